/**
 * OffsetForLeaderEpoch (23): per partition, the end offset of a leader epoch in the leader's log
 * (the start offset of the next larger epoch, or the log end offset for the latest one) and the
 * largest epoch at or below the asked one. A consumer that saw records of epoch E asks for E after a
 * leadership change and, when the answer ends before its position, knows the log was truncated
 * (KIP-320); a follower asks the same to find where it diverged (KIP-101/279).
 * Order per partition: authorization, unknown partition, the current-epoch fence (v2+), an
 * offline partition, then the log. An epoch the log does not know answers [-1, -1] without error.
 */
import type { EpochEndOffset, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, OffsetForLeaderPartition } from '../../protocol/apis/offset-for-leader-epoch.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { LogStatus } from '../../log/errors.js'
import type { PartitionState, TopicState } from '../../dispatcher/topic-table.js'
import type { Logger } from '../../logger.js'
import { LogRateLimiter } from '../../logger.js'
import { CLUSTER_NAME } from '../../security/acl.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestAccess } from '../access.js'
import type { RequestContext } from '../context.js'
import { kafkaCodeOf } from '../status.js'
import { isOffsetsTopic, listOffsetsTopic } from '../offsets-topic.js'
import { leaderEpochError, OFFSETS_TOPIC_LEADER_EPOCH } from '../leader-epoch.js'

/** What the handler needs of the dispatcher (a fake in the unit tests). */
export interface EpochSource {
  readonly logger: Logger
  topic (name: string): TopicState | undefined
  endOffsetForEpoch (p: PartitionState, epoch: number): Promise<[number, number]>
  /** The internal topic's log end offset (the coordinator's log), or an error code. */
  offsetsTopicEnd (partition: number): Promise<{ errorCode: number, endOffset: number }>
}

/** One warning a second per partition when a worker call fails, however many clients ask. */
const failureLines = new LogRateLimiter()

export async function handleOffsetForLeaderEpoch (ctx: RequestContext, req: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
  const { dispatcher } = ctx
  const source: EpochSource = {
    logger: dispatcher.logger,
    topic: (name) => dispatcher.topic(name),
    endOffsetForEpoch: async (p, epoch) => await dispatcher.endOffsetForEpoch(p, epoch),
    offsetsTopicEnd: async (partition) => {
      const latest = await listOffsetsTopic(ctx, partition, -1)
      return { errorCode: latest.errorCode, endOffset: latest.offset ?? -1 }
    }
  }
  return await offsetsForLeaderEpochs(source, ctx.access, req)
}

export async function offsetsForLeaderEpochs (source: EpochSource, access: RequestAccess, req: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
  const clusterAction = access.allows(CHECKS.offsetForLeaderEpoch.cluster, CLUSTER_NAME, false)
  const topics = await Promise.all(req.topics.map(async (t) => {
    const denied = !clusterAction && !access.allows(CHECKS.offsetForLeaderEpoch.topic, t.topic)
    const topic = source.topic(t.topic)
    const partitions = await Promise.all(t.partitions.map(async (op): Promise<EpochEndOffset> => {
      if (denied) return failed(op, CHECKS.offsetForLeaderEpoch.topic.errorCode)
      if (isOffsetsTopic(t.topic)) return await offsetsTopicAnswer(source, op)
      const p = topic?.partitions[op.partition]
      if (p === undefined) return failed(op, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
      const fenced = leaderEpochError(op.currentLeaderEpoch, p.leaderEpoch)
      if (fenced !== KafkaCode.NONE) return failed(op, fenced)
      if (!p.online) return failed(op, kafkaCodeOf(LogStatus.WorkerFault))
      try {
        const [leaderEpoch, endOffset] = await source.endOffsetForEpoch(p, op.leaderEpoch)
        return { partition: op.partition, errorCode: KafkaCode.NONE, leaderEpoch, endOffset }
      } catch (err) {
        // The worker died or the partition closed under the request: retriable, as for Fetch.
        const errorCode = kafkaCodeOf(LogStatus.WorkerFault)
        const suppressed = failureLines.admit(`${t.topic}-${op.partition}`)
        if (suppressed !== null) {
          source.logger.warn({ topic: t.topic, partition: op.partition, err, errorCode, suppressed }, 'OffsetForLeaderEpoch could not reach the partition\'s worker')
        }
        return failed(op, errorCode)
      }
    }))
    return { topic: t.topic, partitions }
  }))
  return { throttleTimeMs: 0, topics }
}

/** The internal topic has had one leader epoch since it was created: every record belongs to it. */
async function offsetsTopicAnswer (source: EpochSource, op: OffsetForLeaderPartition): Promise<EpochEndOffset> {
  const fenced = leaderEpochError(op.currentLeaderEpoch, OFFSETS_TOPIC_LEADER_EPOCH)
  if (fenced !== KafkaCode.NONE) return failed(op, fenced)
  const end = await source.offsetsTopicEnd(op.partition)
  if (end.errorCode !== KafkaCode.NONE) return failed(op, end.errorCode)
  if (op.leaderEpoch < OFFSETS_TOPIC_LEADER_EPOCH) return { partition: op.partition, errorCode: KafkaCode.NONE, leaderEpoch: -1, endOffset: -1 }
  return { partition: op.partition, errorCode: KafkaCode.NONE, leaderEpoch: OFFSETS_TOPIC_LEADER_EPOCH, endOffset: end.endOffset }
}

function failed (op: OffsetForLeaderPartition, errorCode: number): EpochEndOffset {
  return { partition: op.partition, errorCode, leaderEpoch: -1, endOffset: -1 }
}
