/** DeleteRecords (21): raise each partition's log start offset; -1 means the high watermark. */
import type { DeleteRecordsPartitionResult, DeleteRecordsRequest, DeleteRecordsResponse } from '../../protocol/apis/delete-records.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { LogStatus } from '../../log/errors.js'
import type { RequestContext } from '../context.js'
import { kafkaCodeOf } from '../status.js'
import { isOffsetsTopic, refuseOffsetsTopic } from '../offsets-topic.js'
import { CHECKS } from '../../security/api-operations.js'

export async function handleDeleteRecords (ctx: RequestContext, req: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const { dispatcher } = ctx
  const topics = await Promise.all(req.topics.map(async (t) => {
    const topic = dispatcher.topic(t.name)
    const denied = !ctx.access.allows(CHECKS.deleteRecords.topic, t.name)
    const partitions = await Promise.all(t.partitions.map(async (dp): Promise<DeleteRecordsPartitionResult> => {
      const fail = (errorCode: number): DeleteRecordsPartitionResult => ({ partitionIndex: dp.partitionIndex, lowWatermark: -1, errorCode })
      if (denied) return fail(CHECKS.deleteRecords.topic.errorCode)
      // As Kafka: the records of an internal topic are not the client's to delete.
      if (isOffsetsTopic(t.name)) { refuseOffsetsTopic(ctx, 'cannot delete records of'); return fail(KafkaCode.INVALID_TOPIC_EXCEPTION) }
      const p = topic?.partitions[dp.partitionIndex]
      if (p === undefined) return fail(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
      try {
        if (dp.offset === -1) await dispatcher.describePartition(p)
        const answer = await dispatcher.router.deleteRecords(p, dp.offset === -1 ? p.highWatermark : dp.offset)
        if (answer.status !== LogStatus.Ok) return fail(kafkaCodeOf(answer.status))
        return { partitionIndex: dp.partitionIndex, lowWatermark: answer.logStartOffset, errorCode: KafkaCode.NONE }
      } catch {
        return fail(KafkaCode.NOT_LEADER_OR_FOLLOWER)
      }
    }))
    return { name: t.name, partitions }
  }))
  return { throttleTimeMs: 0, topics }
}
