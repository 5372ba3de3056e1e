/**
 * CreateTopics (19): per-topic checks in Kafka's order (name, existence, replication factor,
 * partitions, configs), each with its own error code and message. -1 partitions or replication
 * factor means the broker default in every version (kafkajs sends -1 with v3).
 */
import { MillraceError } from '../../errors.js'
import type { CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/apis/create-topics.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { topicNameProblem } from '../../config/topic-name.js'
import { topicConfigProblem } from '../../config/topic-config.js'
import { MAX_PARTITIONS_PER_TOPIC } from '../../dispatcher/topic-admin.js'
import { NODE_ID, type RequestContext } from '../context.js'
import { topicIdBytes } from './metadata.js'
import { topicConfigEntries } from './topic-configs.js'
import { ZERO_UUID } from '../../protocol/apis/codec-util.js'
import { isOffsetsTopic } from '../offsets-topic.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME } from '../../security/acl.js'

export async function handleCreateTopics (ctx: RequestContext, req: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const { dispatcher, config } = ctx
  // Create on the cluster covers every topic of the request; otherwise each topic needs its own.
  const mayCreateAll = ctx.access.allows(CHECKS.createTopics.cluster, CLUSTER_NAME, false)
  const counts = new Map<string, number>()
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
  const topics = await Promise.all(req.topics.map(async (t): Promise<CreatableTopicResult> => {
    const fail = (errorCode: number, errorMessage: string): CreatableTopicResult =>
      ({ name: t.name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null })
    if (!mayCreateAll && !ctx.access.allows(CHECKS.createTopics.topic, t.name)) return fail(CHECKS.createTopics.topic.errorCode, `creating '${t.name}' needs Create on the cluster or on the topic`)
    if (counts.get(t.name)! > 1) return fail(KafkaCode.INVALID_REQUEST, `topic '${t.name}' appears more than once in the request`)
    const nameProblem = topicNameProblem(t.name)
    if (nameProblem !== null) return fail(KafkaCode.INVALID_TOPIC_EXCEPTION, `topic name ${nameProblem}`)
    if (dispatcher.topic(t.name) !== undefined || isOffsetsTopic(t.name)) return fail(KafkaCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`)
    const replicationFactor = t.replicationFactor === -1 ? config.defaultReplicationFactor : t.replicationFactor
    const refused = dispatcher.replicationFactorError(t.name, replicationFactor)
    if (refused !== null) return fail(refused.kafkaCode!, refused.message)
    let partitions = t.numPartitions === -1 ? config.defaultPartitions : t.numPartitions
    if (t.assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1) return fail(KafkaCode.INVALID_REQUEST, 'give either assignments or partitions and replication factor, not both')
      const bad = t.assignments.find((a, i) => a.partitionIndex !== i || a.brokerIds.length !== 1 || a.brokerIds[0] !== NODE_ID)
      if (bad !== undefined) return fail(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `partitions must be numbered from 0 and placed on broker ${NODE_ID} only`)
      partitions = t.assignments.length
    }
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC) {
      return fail(KafkaCode.INVALID_PARTITIONS, `number of partitions must be from 1 to ${MAX_PARTITIONS_PER_TOPIC}, got ${partitions}`)
    }
    const overrides: Record<string, string> = {}
    for (const c of t.configs) if (c.value !== null) overrides[c.name] = c.value
    const configProblem = topicConfigProblem(overrides, config.topicDefaults)
    if (configProblem !== null) return fail(KafkaCode.INVALID_CONFIG, configProblem)
    let topicId = ZERO_UUID
    if (req.validateOnly !== true) {
      try {
        topicId = topicIdBytes((await dispatcher.createTopic(t.name, partitions, overrides, replicationFactor)).topicId)
      } catch (err) {
        if (dispatcher.topic(t.name) !== undefined) return fail(KafkaCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`)
        return fail((err instanceof MillraceError ? err.kafkaCode : undefined) ?? KafkaCode.UNKNOWN_SERVER_ERROR, (err as Error).message)
      }
    }
    return {
      name: t.name,
      topicId,
      errorCode: KafkaCode.NONE,
      errorMessage: null,
      numPartitions: partitions,
      replicationFactor,
      configs: topicConfigEntries(config, overrides).map((e) => ({ name: e.name, value: e.value, readOnly: false, configSource: e.source, isSensitive: false }))
    }
  }))
  return { throttleTimeMs: 0, topics }
}
