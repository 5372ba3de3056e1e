/**
 * Topic-level config: which Kafka names exist, and validation of the ones the engine honours
 * (through the log's own parser, so the rule lives in one place).
 */
import { logConfigFromTopicConfig } from '../log/config.js'
import { invalidOption } from '../errors.js'

/** Kafka's topic config names. Known names the engine ignores are accepted and kept, as Kafka keeps them. */
export const TOPIC_CONFIG_NAMES: ReadonlySet<string> = new Set([
  'cleanup.policy', 'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
  'follower.replication.throttled.replicas', 'index.interval.bytes', 'leader.replication.throttled.replicas',
  'local.retention.bytes', 'local.retention.ms', 'max.compaction.lag.ms', 'max.message.bytes',
  'message.downconversion.enable', 'message.format.version', 'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms', 'message.timestamp.difference.max.ms', 'message.timestamp.type',
  'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate', 'remote.storage.enable',
  'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms',
  'unclean.leader.election.enable'
])

/** Returns why `overrides` (on top of `defaults`) is not a valid topic config, or null. */
export function topicConfigProblem (overrides: Record<string, unknown>, defaults: Readonly<Record<string, string>>): string | null {
  for (const [key, value] of Object.entries(overrides)) {
    if (!TOPIC_CONFIG_NAMES.has(key)) return `unknown topic config '${key}'`
    if (typeof value !== 'string') return `topic config '${key}' must be a string`
  }
  const merged = { ...defaults, ...(overrides as Record<string, string>) }
  try {
    logConfigFromTopicConfig(merged)
    minInsyncReplicas(merged)
  } catch (err) {
    return (err as Error).message
  }
  return null
}

const INT32_MAX = 2147483647

/**
 * The topic's min.insync.replicas (Kafka's default 1), a config of replication that the log
 * does not read. Kafka takes any int of at least 1, even above the replication factor (acks=all
 * then always fails with NOT_ENOUGH_REPLICAS). Throws MR_ERR_INVALID_OPTION for anything else.
 */
export function minInsyncReplicas (config: Readonly<Record<string, string>>): number {
  const value = config['min.insync.replicas']
  if (value === undefined) return 1
  const text = value.trim()
  const n = Number(text)
  if (!/^\+?\d+$/.test(text) || n < 1 || n > INT32_MAX) throw invalidOption('min.insync.replicas', `must be an integer ≥ 1 and ≤ ${INT32_MAX}; got '${value}'`)
  return n
}
