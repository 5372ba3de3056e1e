/**
 * The storage engine's per-topic settings, parsed from Kafka topic config names. Validation is
 * strict for the keys the engine honours and silent for every other key (the topic config layer
 * decides which names exist). Values come back as a frozen plain object.
 */
import { invalidOption } from '../errors.js'

export type TimestampType = 'CreateTime' | 'LogAppendTime'
export type CleanupPolicy = 'delete' | 'compact'

export interface LogConfig {
  /** Roll before an append that would make the active segment larger than this. */
  readonly segmentBytes: number
  /** Roll when the active segment's first batch (or its creation) is older than this. */
  readonly segmentMs: number
  /** Delete closed segments whose newest timestamp is older than this; -1 keeps them. */
  readonly retentionMs: number
  /** Delete the oldest closed segments while the log is larger than this; -1 disables. */
  readonly retentionBytes: number
  /** fsync after this many messages; Number.MAX_SAFE_INTEGER leaves it to the OS. */
  readonly flushMessages: number
  /** fsync when the oldest unflushed append is older than this (checked by `maybeFlush`). */
  readonly flushMs: number
  /** Largest batch accepted, in bytes (12-byte log overhead included, as Kafka counts it). */
  readonly maxMessageBytes: number
  /** One offset and time index entry per this many log bytes. */
  readonly indexIntervalBytes: number
  /** Largest size of an index file; a full index rolls the segment. */
  readonly segmentIndexBytes: number
  readonly messageTimestampType: TimestampType
  readonly cleanupPolicy: readonly CleanupPolicy[]
  /** How long the cleaner keeps a tombstone after it first passed it. */
  readonly deleteRetentionMs: number
  /** Clean only when dirty bytes / cleanable bytes reach this (0 to 1). */
  readonly minCleanableDirtyRatio: number
  /** A segment whose newest record is younger than this is not cleaned yet. */
  readonly minCompactionLagMs: number
  /** A dirty record older than this forces a clean whatever the dirty ratio. */
  readonly maxCompactionLagMs: number
}

/** Kafka's LONG defaults (Long.MAX_VALUE) map to the largest safe integer. */
export const NEVER = Number.MAX_SAFE_INTEGER

export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  retentionMs: 604800000,
  retentionBytes: -1,
  flushMessages: NEVER,
  flushMs: NEVER,
  maxMessageBytes: 1048588,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10485760,
  messageTimestampType: 'CreateTime',
  cleanupPolicy: Object.freeze(['delete'] as CleanupPolicy[]),
  deleteRetentionMs: 86400000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER
})

const INT32_MAX = 2147483647
const INTEGER = /^[+-]?\d+$/

function parseInteger (key: string, value: string, min: number, max: number): number {
  const text = value.trim()
  const rule = max === INT32_MAX ? `must be an integer ≥ ${min} and ≤ ${INT32_MAX}` : `must be an integer ≥ ${min}`
  if (!INTEGER.test(text)) throw invalidOption(key, rule)
  let n = Number(text)
  // Clients send Long.MAX_VALUE for "never"; it does not fit a double exactly, and needs not.
  if (max === NEVER && n > NEVER) n = NEVER
  if (n < min || n > max) throw invalidOption(key, rule)
  return n
}

function parseTimestampType (value: string): TimestampType {
  const text = value.trim()
  if (text === 'CreateTime' || text === 'LogAppendTime') return text
  throw invalidOption('message.timestamp.type', "must be 'CreateTime' or 'LogAppendTime'")
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function parseRatio (key: string, value: string): number {
  const text = value.trim()
  const n = Number(text)
  if (!DECIMAL.test(text) || n < 0 || n > 1) throw invalidOption(key, 'must be a number from 0 to 1')
  return n
}

function parseCleanupPolicy (value: string): readonly CleanupPolicy[] {
  const items = value.split(',').map(s => s.trim()).filter(s => s.length > 0)
  const policy: CleanupPolicy[] = []
  for (const item of items) {
    if (item !== 'delete' && item !== 'compact') throw invalidOption('cleanup.policy', "must be a list of 'delete' and 'compact'")
    if (!policy.includes(item)) policy.push(item)
  }
  if (policy.length === 0) throw invalidOption('cleanup.policy', "must be a list of 'delete' and 'compact'")
  return Object.freeze(policy)
}

/**
 * Builds a LogConfig from Kafka topic config keys on top of `base`. Throws MillraceError
 * (MR_ERR_INVALID_OPTION) naming the key and the rule; ignores keys the engine does not use.
 * Bounds follow Kafka's own validators (segment.bytes ≥ 14, segment.index.bytes ≥ 4, …).
 */
export function logConfigFromTopicConfig (map: Readonly<Record<string, string>>, base: LogConfig = defaultLogConfig): LogConfig {
  const get = (key: string): string | undefined => {
    const value = Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined
    if (value !== undefined && typeof value !== 'string') throw invalidOption(key, 'must be a string')
    return value
  }
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const value = get(key)
    return value === undefined ? fallback : parseInteger(key, value, min, max)
  }
  const timestampType = get('message.timestamp.type')
  const cleanupPolicy = get('cleanup.policy')
  const ratio = get('min.cleanable.dirty.ratio')
  const minCompactionLagMs = int('min.compaction.lag.ms', base.minCompactionLagMs, 0, NEVER)
  const maxCompactionLagMs = int('max.compaction.lag.ms', base.maxCompactionLagMs, 1, NEVER)
  if (minCompactionLagMs > maxCompactionLagMs) {
    throw invalidOption('min.compaction.lag.ms', `must not be greater than max.compaction.lag.ms (${minCompactionLagMs} > ${maxCompactionLagMs})`)
  }
  return Object.freeze({
    segmentBytes: int('segment.bytes', base.segmentBytes, 14, INT32_MAX),
    segmentMs: int('segment.ms', base.segmentMs, 1, NEVER),
    retentionMs: int('retention.ms', base.retentionMs, -1, NEVER),
    retentionBytes: int('retention.bytes', base.retentionBytes, -1, NEVER),
    flushMessages: int('flush.messages', base.flushMessages, 1, NEVER),
    flushMs: int('flush.ms', base.flushMs, 0, NEVER),
    maxMessageBytes: int('max.message.bytes', base.maxMessageBytes, 0, INT32_MAX),
    indexIntervalBytes: int('index.interval.bytes', base.indexIntervalBytes, 0, INT32_MAX),
    segmentIndexBytes: int('segment.index.bytes', base.segmentIndexBytes, 4, INT32_MAX),
    messageTimestampType: timestampType === undefined ? base.messageTimestampType : parseTimestampType(timestampType),
    cleanupPolicy: cleanupPolicy === undefined ? base.cleanupPolicy : parseCleanupPolicy(cleanupPolicy),
    deleteRetentionMs: int('delete.retention.ms', base.deleteRetentionMs, 0, NEVER),
    minCleanableDirtyRatio: ratio === undefined ? base.minCleanableDirtyRatio : parseRatio('min.cleanable.dirty.ratio', ratio),
    minCompactionLagMs,
    maxCompactionLagMs
  })
}
