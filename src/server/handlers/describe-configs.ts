/**
 * DescribeConfigs (32): topic resources list the engine's keys (overrides as TOPIC_CONFIG,
 * broker topicDefaults as STATIC_BROKER_CONFIG, the rest DEFAULT_CONFIG); the broker resource
 * lists a few of the broker's own settings, read-only.
 */
import type { DescribeConfigsRequest, DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult } from '../../protocol/apis/describe-configs.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { NODE_ID, type RequestContext } from '../context.js'
import { ConfigSource, ConfigType, topicConfigEntries, type TopicConfigEntry } from './topic-configs.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME } from '../../security/acl.js'

export const ResourceType = { TOPIC: 2, BROKER: 4 } as const

function brokerEntries (ctx: RequestContext): TopicConfigEntry[] {
  const { config } = ctx
  const entry = (name: string, value: string, type: number): TopicConfigEntry => ({ name, value, source: ConfigSource.STATIC_BROKER_CONFIG, type, isDefault: false })
  return [
    entry('auto.create.topics.enable', String(config.autoCreateTopics), ConfigType.BOOLEAN),
    entry('broker.id', String(NODE_ID), ConfigType.INT),
    entry('num.partitions', String(config.defaultPartitions), ConfigType.INT),
    entry('default.replication.factor', String(config.defaultReplicationFactor), ConfigType.INT),
    entry('replica.lag.time.max.ms', String(config.replicaLagTimeMaxMs), ConfigType.LONG),
    entry('log.dirs', config.dataDirs.join(','), ConfigType.STRING),
    entry('socket.request.max.bytes', String(config.maxRequestBytes), ConfigType.INT)
  ]
}

export function handleDescribeConfigs (ctx: RequestContext, req: DescribeConfigsRequest): DescribeConfigsResponse {
  const { dispatcher, config } = ctx
  const results = req.resources.map((res): DescribeConfigsResult => {
    const fail = (errorCode: number, errorMessage: string): DescribeConfigsResult =>
      ({ errorCode, errorMessage, resourceType: res.resourceType, resourceName: res.resourceName, configs: [] })
    let entries: TopicConfigEntry[]
    let readOnly = false
    if (res.resourceType === ResourceType.TOPIC) {
      if (!ctx.access.allows(CHECKS.describeConfigs.topic, res.resourceName)) return fail(CHECKS.describeConfigs.topic.errorCode, `describing the configs of '${res.resourceName}' needs DescribeConfigs on it`)
      const topic = dispatcher.topic(res.resourceName)
      if (topic === undefined) return fail(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${res.resourceName}'`)
      entries = topicConfigEntries(config, topic.overrides)
    } else if (res.resourceType === ResourceType.BROKER) {
      if (!ctx.access.allows(CHECKS.describeConfigs.broker, CLUSTER_NAME)) return fail(CHECKS.describeConfigs.broker.errorCode, 'describing broker configs needs DescribeConfigs on the cluster')
      if (res.resourceName !== '' && res.resourceName !== String(NODE_ID)) return fail(KafkaCode.INVALID_REQUEST, `unknown broker '${res.resourceName}'`)
      entries = brokerEntries(ctx)
      readOnly = true
    } else {
      return fail(KafkaCode.INVALID_REQUEST, `resource type ${res.resourceType} is not supported`)
    }
    if (res.configurationKeys !== null && res.configurationKeys.length > 0) {
      const keys = new Set(res.configurationKeys)
      entries = entries.filter((e) => keys.has(e.name))
    }
    const configs = entries.map((e): DescribeConfigsResourceResult => ({
      name: e.name,
      value: e.value,
      readOnly,
      isDefault: e.isDefault,
      configSource: e.source,
      isSensitive: false,
      synonyms: req.includeSynonyms === true ? [{ name: e.name, value: e.value, source: e.source }] : [],
      configType: e.type,
      documentation: null
    }))
    return { errorCode: KafkaCode.NONE, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName, configs }
  })
  return { throttleTimeMs: 0, results }
}
