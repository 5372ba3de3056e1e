/** CreatePartitions (37): raise a topic's partition count (never lower it); validate-only supported. */
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopicResult } from '../../protocol/apis/create-partitions.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { MAX_PARTITIONS_PER_TOPIC } from '../../dispatcher/topic-admin.js'
import { NODE_ID, type RequestContext } from '../context.js'
import { CHECKS } from '../../security/api-operations.js'

export async function handleCreatePartitions (ctx: RequestContext, req: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const { dispatcher } = ctx
  const results = await Promise.all(req.topics.map(async (t): Promise<CreatePartitionsTopicResult> => {
    const fail = (errorCode: number, errorMessage: string): CreatePartitionsTopicResult => ({ name: t.name, errorCode, errorMessage })
    if (!ctx.access.allows(CHECKS.createPartitions.topic, t.name)) return fail(CHECKS.createPartitions.topic.errorCode, `adding partitions to '${t.name}' needs Alter on it`)
    const topic = dispatcher.topic(t.name)
    if (topic === undefined) return fail(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${t.name}'`)
    const current = topic.partitions.length
    if (t.count <= current) return fail(KafkaCode.INVALID_PARTITIONS, `topic '${t.name}' has ${current} partitions; the new count must be larger`)
    if (t.count > MAX_PARTITIONS_PER_TOPIC) return fail(KafkaCode.INVALID_PARTITIONS, `at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic`)
    if (t.assignments !== null && (t.assignments.length !== t.count - current || t.assignments.some((a) => a.brokerIds.some((id) => id !== NODE_ID)))) {
      return fail(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `new partitions can only be placed on broker ${NODE_ID}`)
    }
    if (req.validateOnly) return { name: t.name, errorCode: KafkaCode.NONE, errorMessage: null }
    try {
      await dispatcher.createPartitions(t.name, t.count)
    } catch (err) {
      return fail(KafkaCode.INVALID_PARTITIONS, (err as Error).message)
    }
    return { name: t.name, errorCode: KafkaCode.NONE, errorMessage: null }
  }))
  return { throttleTimeMs: 0, results }
}
