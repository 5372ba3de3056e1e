/**
 * ListOffsets (2): -1 latest, -2 earliest, -3 the first record holding the largest timestamp,
 * T >= 0 the first record whose timestamp is at least T (none: offset -1, timestamp -1, no
 * error). A lookup that fails in the log (records that do not decode, a batch past the inflate
 * cap, a storage fault) gets its Kafka code and a warning in the broker's log.
 * v4+: a `currentLeaderEpoch` other than the partition's is fenced before the lookup (leader-epoch.ts).
 * v0 answers a list (oldStyleOffsets) holding that one offset, or none when maxNumOffsets is 0;
 * Kafka listed segment base offsets there too, which no client we know of reads beyond the first.
 */
import type { ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/list-offsets.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { LogStatus } from '../../log/errors.js'
import { LogRateLimiter } from '../../logger.js'
import type { RequestContext } from '../context.js'
import { kafkaCodeOf } from '../status.js'
import { isOffsetsTopic, listOffsetsTopic } from '../offsets-topic.js'
import { CHECKS } from '../../security/api-operations.js'
import { leaderEpochError, OFFSETS_TOPIC_LEADER_EPOCH } from '../leader-epoch.js'

/** One warning a second per partition and status, however many clients ask. */
const failureLines = new LogRateLimiter()

export async function handleListOffsets (ctx: RequestContext, req: ListOffsetsRequest): Promise<ListOffsetsResponse> {
  const { dispatcher } = ctx
  const topics = await Promise.all(req.topics.map(async (t) => {
    const topic = dispatcher.topic(t.name)
    const denied = !ctx.access.allows(CHECKS.listOffsets.topic, t.name)
    const partitions = await Promise.all(t.partitions.map(async (lp): Promise<ListOffsetsPartitionResponse> => {
      const failed = (errorCode: number): ListOffsetsPartitionResponse => ({ partitionIndex: lp.partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 })
      if (denied) return failed(CHECKS.listOffsets.topic.errorCode)
      if (isOffsetsTopic(t.name)) {
        const fenced = leaderEpochError(lp.currentLeaderEpoch, OFFSETS_TOPIC_LEADER_EPOCH)
        return fenced !== KafkaCode.NONE ? failed(fenced) : await listOffsetsTopic(ctx, lp.partitionIndex, lp.timestamp)
      }
      const p = topic?.partitions[lp.partitionIndex]
      if (p === undefined) return failed(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
      const fenced = leaderEpochError(lp.currentLeaderEpoch, p.leaderEpoch)
      if (fenced !== KafkaCode.NONE) return failed(fenced)
      let answer
      try {
        answer = await dispatcher.router.listOffset(p, lp.timestamp, req.isolationLevel === 1 ? 1 : 0)
      } catch {
        return failed(KafkaCode.NOT_LEADER_OR_FOLLOWER)
      }
      if (answer.status === LogStatus.NotFound) return { partitionIndex: lp.partitionIndex, errorCode: KafkaCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: p.leaderEpoch }
      if (answer.status !== LogStatus.Ok) {
        const errorCode = kafkaCodeOf(answer.status)
        const suppressed = failureLines.admit(`${t.name}-${lp.partitionIndex}:${answer.status}`)
        if (suppressed !== null) {
          dispatcher.logger.warn({ topic: t.name, partition: lp.partitionIndex, timestamp: lp.timestamp, status: LogStatus[answer.status], errorCode, suppressed },
            'ListOffsets lookup failed in the partition log')
        }
        return failed(errorCode)
      }
      const oldStyleOffsets = (lp.maxNumOffsets ?? 1) > 0 ? [answer.offset] : []
      return { partitionIndex: lp.partitionIndex, errorCode: KafkaCode.NONE, oldStyleOffsets, timestamp: answer.timestamp, offset: answer.offset, leaderEpoch: p.leaderEpoch }
    }))
    return { name: t.name, partitions }
  }))
  return { throttleTimeMs: 0, topics }
}
