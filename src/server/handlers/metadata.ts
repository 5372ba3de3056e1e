/**
 * Metadata (3): this broker as the only node, leader of every partition, and the topics asked
 * for (null = all; in v0 an empty list also means all). Missing topics are created when the
 * broker allows auto-creation and the request does (v4+ flag; older versions: broker decides).
 * The coordinator's log is the internal topic `__consumer_offsets`, listed with the others as
 * Kafka does, whether or not the coordinator runs yet.
 */
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../../protocol/apis/metadata.js'
import { MillraceError } from '../../errors.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { topicNameProblem } from '../../config/topic-name.js'
import type { TopicState } from '../../dispatcher/topic-table.js'
import { CLUSTER_ID, NODE_ID, type RequestContext } from '../context.js'
import { OFFSETS_PARTITIONS, OFFSETS_TOPIC, OFFSETS_TOPIC_ID } from '../../coordinator/offsets-topic.js'
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_OPERATIONS, TOPIC_OPERATIONS, authorizedOperationsField } from '../../protocol/acl-operations.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME, ResourceType } from '../../security/acl.js'

export function advertisedAddress (ctx: RequestContext): { host: string, port: number } {
  // The advertised listener of the same name as the one the client reached (Kafka's rule).
  const advertised = ctx.config.advertisedListeners?.find((l) => l.name === ctx.listenerName)
  if (advertised !== undefined) return { host: advertised.host, port: advertised.port }
  // advertisedHost/advertisedPort describe the first listener (the --host/--port one).
  const first = ctx.config.listeners === undefined || ctx.config.listeners.length === 0 || ctx.config.listeners[0]!.name === (ctx.listenerName ?? 'PLAINTEXT')
  if (!first) return { host: ctx.localHost, port: ctx.localPort }
  return { host: ctx.config.advertisedHost ?? ctx.localHost, port: ctx.config.advertisedPort ?? ctx.localPort }
}

export function topicIdBytes (topicId: string): Buffer {
  return Buffer.from(topicId, 'hex')
}

function describe (topic: TopicState): MetadataResponseTopic {
  return {
    errorCode: KafkaCode.NONE,
    name: topic.name,
    topicId: topicIdBytes(topic.topicId),
    isInternal: false,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    partitions: topic.partitions.map((p) => ({
      errorCode: p.online ? KafkaCode.NONE : KafkaCode.LEADER_NOT_AVAILABLE,
      partitionIndex: p.partition,
      leaderId: p.online ? NODE_ID : -1,
      leaderEpoch: p.leaderEpoch,
      // One broker: every replica of a partition lives on this one node, NODE_ID (on distinct workers and dirs
      // inside it), so clients see one replica; the replicas are in describeTopic and the metrics.
      replicaNodes: [NODE_ID],
      isrNodes: p.online ? [NODE_ID] : [],
      offlineReplicas: p.online ? [] : [NODE_ID]
    }))
  }
}

function describeOffsetsTopic (): MetadataResponseTopic {
  return {
    errorCode: KafkaCode.NONE,
    name: OFFSETS_TOPIC,
    topicId: topicIdBytes(OFFSETS_TOPIC_ID),
    isInternal: true,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    partitions: Array.from({ length: OFFSETS_PARTITIONS }, (_, partitionIndex) => ({
      errorCode: KafkaCode.NONE,
      partitionIndex,
      leaderId: NODE_ID,
      leaderEpoch: 0,
      replicaNodes: [NODE_ID],
      isrNodes: [NODE_ID],
      offlineReplicas: []
    }))
  }
}

function missing (name: string | null, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, isInternal: false, topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED, partitions: [] }
}

export async function handleMetadata (ctx: RequestContext, req: MetadataRequest): Promise<MetadataResponse> {
  const { dispatcher, config, apiVersion } = ctx
  const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0)
  const topics: MetadataResponseTopic[] = []
  const check = CHECKS.metadata
  // As Kafka: an all-topics answer leaves out what the principal may not Describe, silently.
  const describable = (name: string): boolean => ctx.access.allows(check.topic, name, false)
  if (all) {
    for (const t of dispatcher.topics.all()) if (describable(t.name)) topics.push(describe(t))
    // Offline topics are shown, with their error, rather than silently missing.
    for (const name of dispatcher.offlineTopics()) if (describable(name)) topics.push(missing(name, KafkaCode.KAFKA_STORAGE_ERROR))
    if (describable(OFFSETS_TOPIC)) topics.push(describeOffsetsTopic())
  } else {
    const mayCreate = config.autoCreateTopics && (apiVersion < 4 || req.allowAutoTopicCreation !== false)
    const answers = await Promise.all(req.topics!.map(async (wanted): Promise<MetadataResponseTopic> => {
      let name = wanted.name
      if (name === null && wanted.topicId !== undefined) {
        const hex = wanted.topicId.toString('hex')
        name = hex === OFFSETS_TOPIC_ID ? OFFSETS_TOPIC : [...dispatcher.topics.all()].find((t) => t.topicId === hex)?.name ?? null
        if (name === null) return { ...missing(null, KafkaCode.UNKNOWN_TOPIC_ID), topicId: wanted.topicId }
      }
      if (name === null) return missing(null, KafkaCode.INVALID_REQUEST)
      // Asked for by name: refused whether or not it exists, so existence is not disclosed.
      if (!ctx.access.allows(check.topic, name)) return missing(name, check.topic.errorCode)
      if (name === OFFSETS_TOPIC) return describeOffsetsTopic()
      const found = dispatcher.topic(name)
      if (found !== undefined) return describe(found)
      if (topicNameProblem(name) !== null) return missing(name, KafkaCode.INVALID_TOPIC_EXCEPTION)
      if (dispatcher.offlineTopicError(name) !== null) return missing(name, KafkaCode.KAFKA_STORAGE_ERROR)
      if (!mayCreate) return missing(name, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
      if (!ctx.access.allows(check.createCluster, CLUSTER_NAME, false) && !ctx.access.allows(check.createTopic, name)) return missing(name, check.createTopic.errorCode)
      try {
        return describe(await dispatcher.createTopic(name, config.defaultPartitions))
      } catch (err) {
        // default.replication.factor cannot be served: retrying would not help, so say why.
        if (err instanceof MillraceError && err.kafkaCode === KafkaCode.INVALID_REPLICATION_FACTOR) return missing(name, err.kafkaCode)
        // Created concurrently by another request, or creation failed: clients retry on 5.
        const raced = dispatcher.topic(name)
        return raced !== undefined ? describe(raced) : missing(name, KafkaCode.LEADER_NOT_AVAILABLE)
      }
    }))
    topics.push(...answers)
  }
  // Asked for (v8+), each listed topic carries its operations; as in Kafka, a topic id that
  // resolved to no name keeps the "not requested" value.
  for (const t of topics) {
    if (t.errorCode === KafkaCode.UNKNOWN_TOPIC_ID || t.errorCode === check.topic.errorCode) continue
    const allowed = t.name === null || req.includeTopicAuthorizedOperations !== true ? TOPIC_OPERATIONS : ctx.access.operations(ResourceType.TOPIC, t.name, TOPIC_OPERATIONS)
    t.topicAuthorizedOperations = authorizedOperationsField(req.includeTopicAuthorizedOperations, allowed)
  }
  const { host, port } = advertisedAddress(ctx)
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: NODE_ID, host, port, rack: null }],
    clusterId: CLUSTER_ID,
    controllerId: NODE_ID,
    topics,
    clusterAuthorizedOperations: authorizedOperationsField(req.includeClusterAuthorizedOperations,
      req.includeClusterAuthorizedOperations === true ? ctx.access.operations(ResourceType.CLUSTER, CLUSTER_NAME, CLUSTER_OPERATIONS) : CLUSTER_OPERATIONS)
  }
}
