/** DeleteTopics (20): by name (v0-5) or by name or topic id (v6+); per-topic errors. */
import type { DeletableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/apis/delete-topics.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { ZERO_UUID } from '../../protocol/apis/codec-util.js'
import type { RequestContext } from '../context.js'
import { topicIdBytes } from './metadata.js'
import { isOffsetsTopic, isOffsetsTopicId, refuseOffsetsTopic } from '../offsets-topic.js'
import { CHECKS } from '../../security/api-operations.js'

/** First DeleteTopics version that may name topics by id. */
const TOPIC_IDS_FROM_VERSION = 6

export async function handleDeleteTopics (ctx: RequestContext, req: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
  const { dispatcher } = ctx
  const wanted = ctx.apiVersion >= TOPIC_IDS_FROM_VERSION
    ? req.topics ?? []
    : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }))
  const responses = await Promise.all(wanted.map(async (w): Promise<DeletableTopicResult> => {
    const byId = w.name === null
    if (isOffsetsTopic(w.name) || (byId && isOffsetsTopicId(w.topicId))) {
      // The coordinator's log cannot go while the broker runs. Kafka has no refusal of its own
      // here; INVALID_TOPIC_EXCEPTION is the code it gives other writes to internal topics.
      return { name: w.name, topicId: w.topicId, errorCode: KafkaCode.INVALID_TOPIC_EXCEPTION, errorMessage: refuseOffsetsTopic(ctx, 'cannot delete') }
    }
    let name = w.name
    if (byId) {
      const hex = w.topicId.toString('hex')
      name = dispatcher.topics.byTopicId(hex)?.name ?? null
      if (name === null) return { name: null, topicId: w.topicId, errorCode: KafkaCode.UNKNOWN_TOPIC_ID, errorMessage: 'unknown topic id' }
    }
    if (!ctx.access.allows(CHECKS.deleteTopics.topic, name!)) return { name, topicId: byId ? w.topicId : ZERO_UUID, errorCode: CHECKS.deleteTopics.topic.errorCode, errorMessage: `deleting '${name!}' needs Delete on it` }
    const topic = dispatcher.topic(name!)
    if (topic === undefined) return { name, topicId: ZERO_UUID, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${name!}'` }
    const topicId = topicIdBytes(topic.topicId)
    try {
      await dispatcher.deleteTopic(topic.name)
    } catch (err) {
      if (dispatcher.topic(topic.name) === undefined) return { name, topicId, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${name!}'` }
      return { name, topicId, errorCode: KafkaCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message }
    }
    return { name, topicId, errorCode: KafkaCode.NONE, errorMessage: null }
  }))
  return { throttleTimeMs: 0, responses }
}
