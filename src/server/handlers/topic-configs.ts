/**
 * The topic configs DescribeConfigs and CreateTopics report: the keys the storage engine knows,
 * each with its default (broker topicDefaults over the engine defaults) and the topic's override.
 */
import type { BrokerConfig } from '../../config/broker-config.js'

export const ConfigSource = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const

/** Engine defaults in Kafka's spelling, with each key's type (min.insync.replicas: replication's, config/topic-config.ts). */
const ENGINE_DEFAULTS: ReadonlyArray<readonly [string, string, number]> = [
  ['cleanup.policy', 'delete', ConfigType.LIST],
  ['delete.retention.ms', '86400000', ConfigType.LONG],
  ['flush.messages', '9223372036854775807', ConfigType.LONG],
  ['flush.ms', '9223372036854775807', ConfigType.LONG],
  ['index.interval.bytes', '4096', ConfigType.INT],
  ['max.compaction.lag.ms', '9223372036854775807', ConfigType.LONG],
  ['max.message.bytes', '1048588', ConfigType.INT],
  ['message.timestamp.type', 'CreateTime', ConfigType.STRING],
  ['min.cleanable.dirty.ratio', '0.5', ConfigType.DOUBLE],
  ['min.compaction.lag.ms', '0', ConfigType.LONG],
  ['min.insync.replicas', '1', ConfigType.INT],
  ['retention.bytes', '-1', ConfigType.LONG],
  ['retention.ms', '604800000', ConfigType.LONG],
  ['segment.bytes', '1073741824', ConfigType.INT],
  ['segment.index.bytes', '10485760', ConfigType.INT],
  ['segment.ms', '604800000', ConfigType.LONG]
]

/** Keys whose values are lists (the only ones APPEND and SUBTRACT apply to). */
export const LIST_CONFIGS: ReadonlySet<string> = new Set(['cleanup.policy', 'follower.replication.throttled.replicas', 'leader.replication.throttled.replicas'])

export interface TopicConfigEntry {
  name: string
  value: string
  source: number
  type: number
  isDefault: boolean
}

/** Every known key with its effective value, plus overrides of keys the engine ignores. */
export function topicConfigEntries (config: BrokerConfig, overrides: Readonly<Record<string, string>>): TopicConfigEntry[] {
  const entries: TopicConfigEntry[] = []
  const seen = new Set<string>()
  for (const [name, engineDefault, type] of ENGINE_DEFAULTS) {
    seen.add(name)
    if (Object.hasOwn(overrides, name)) {
      entries.push({ name, value: overrides[name], source: ConfigSource.TOPIC_CONFIG, type, isDefault: false })
    } else if (Object.hasOwn(config.topicDefaults, name)) {
      entries.push({ name, value: config.topicDefaults[name], source: ConfigSource.STATIC_BROKER_CONFIG, type, isDefault: false })
    } else {
      entries.push({ name, value: engineDefault, source: ConfigSource.DEFAULT_CONFIG, type, isDefault: true })
    }
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (!seen.has(name)) entries.push({ name, value, source: ConfigSource.TOPIC_CONFIG, type: LIST_CONFIGS.has(name) ? ConfigType.LIST : ConfigType.STRING, isDefault: false })
  }
  return entries
}
