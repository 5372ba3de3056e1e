/**
 * The broker's options: schema, defaults and validation in one place. `resolveBrokerConfig`
 * validates everything once, eagerly, and returns a frozen plain object that is passed to
 * worker threads through workerData (workers never read process.env or files themselves).
 */
import { availableParallelism } from 'node:os'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { invalidOption } from '../errors.js'
import { topicConfigProblem } from './topic-config.js'
import { isTlsProtocol, resolveAdvertisedListeners, resolveListeners, type AdvertisedListener, type ListenerConfig, type ListenerOptions } from './listeners.js'
import { resolveTls, type TlsConfig, type TlsOptions } from './tls-options.js'

export interface BrokerOptions {
  /** Where partition directories live; `null` keeps everything in memory. Default './data'. */
  dataDir?: string | null
  /**
   * Several data dirs (Kafka's log.dirs, JBOD): partitions are spread over them, and the first
   * also holds the coordinator's logs. Replaces `dataDir`; give one or the other.
   */
  dataDirs?: string[]
  /** Partition worker threads. Default: one per core but one (at least one). */
  workers?: number
  /** Bytes of each dispatcher↔worker ring (one per direction), a power of two. */
  ringBytes?: number
  /** TCP port for Kafka clients; undefined opens no listener (library mode default). 0 picks a free port. */
  port?: number
  host?: string
  /**
   * Port of the HTTP endpoint (/health, /ready, /metrics); undefined or null serves none (library
   * mode default). 0 picks a free port.
   */
  httpPort?: number | null
  /** Address the HTTP endpoint listens on. Default: `host`. */
  httpHost?: string
  /** Host and port put in Metadata responses (Kafka's advertised.listeners). */
  advertisedHost?: string
  advertisedPort?: number
  /**
   * Kafka's listeners: each a name (default: the protocol), a security protocol, host and port
   * (0 picks a free one). Replaces `host`/`port`, which describe a single PLAINTEXT listener.
   */
  listeners?: ListenerOptions[]
  /** Kafka's advertised.listeners: the host and port Metadata gives clients of the listener with that name. */
  advertisedListeners?: AdvertisedListener[]
  /** Certificate and key of the SSL and SASL_SSL listeners (PEM files), and client certificate checks. */
  tls?: TlsOptions
  /** Kafka's auto.create.topics.enable. */
  autoCreateTopics?: boolean
  /** Kafka's num.partitions: partitions of auto-created topics and CreateTopics with -1. */
  defaultPartitions?: number
  /** Broker-wide defaults for topic configs (Kafka topic config names, e.g. 'retention.ms'). */
  topicDefaults?: Record<string, string>
  /** How often partitions check retention and age-based roll (Kafka's log.retention.check.interval.ms). */
  retentionCheckIntervalMs?: number
  /** Threads for background jobs (recovery scans, deletion). */
  jobThreads?: number
  /** Kafka's socket.request.max.bytes. */
  maxRequestBytes?: number
  /** Most open client connections at once. */
  maxConnections?: number
  /** Kafka's group.initial.rebalance.delay.ms: how long an empty group waits for more members before its first rebalance. */
  groupInitialRebalanceDelayMs?: number
  /** Kafka's group.min.session.timeout.ms and group.max.session.timeout.ms: the session timeouts a member may ask for. */
  groupMinSessionTimeoutMs?: number
  groupMaxSessionTimeoutMs?: number
  /** Kafka's offsets.retention.minutes: how long an empty group's committed offsets are kept. */
  offsetsRetentionMinutes?: number
  /** Kafka's offset.metadata.max.bytes: the longest metadata string a commit may carry. */
  offsetMetadataMaxBytes?: number
  /** Kafka's log.cleaner.backoff.ms: how often compacted logs are checked for cleaning. */
  cleanerIntervalMs?: number
  /** Kafka's offsets.topic.segment.bytes: segment size of the coordinator's offsets log (compaction cleans closed segments). */
  offsetsTopicSegmentBytes?: number
  /** Kafka's transaction.max.timeout.ms: the longest transaction.timeout.ms a producer may ask for. */
  transactionMaxTimeoutMs?: number
  /**
   * How fast the scrubber reads sealed segments to verify their CRCs and offsets, in bytes per
   * second across the broker; 0 turns it off. A data-dir broker only.
   */
  scrubBytesPerSecond?: number
  /** The pause between the end of one scrub pass over every partition and the start of the next. */
  scrubIntervalMs?: number
  /** Check every request against ACLs (Kafka's authorizer.class.name). Default false: everything is allowed. */
  authorizer?: boolean
  /** Principals (`User:NAME`) the authorizer allows everything (Kafka's super.users). */
  superUsers?: string[]
  /** Kafka's allow.everyone.if.no.acl.found: a resource without any ACL is open to all. Default false. */
  allowEveryoneIfNoAcl?: boolean
  /** Kafka's default.replication.factor: replicas of topics created without one (auto-created, CreateTopics with -1). Default 1. */
  defaultReplicationFactor?: number
  /** Kafka's replica.lag.time.max.ms: a follower not caught up for this long leaves the in-sync replicas. Default 30000. */
  replicaLagTimeMaxMs?: number
}

export interface BrokerConfig {
  /** The first data dir (the coordinator's logs, ACLs and credentials live there), or null in memory. */
  readonly dataDir: string | null
  /** Every data dir, the first being `dataDir`; empty in memory. */
  readonly dataDirs: readonly string[]
  readonly workers: number
  readonly ringBytes: number
  readonly port: number | undefined
  readonly host: string
  readonly httpPort: number | undefined
  readonly httpHost: string
  readonly advertisedHost: string | undefined
  readonly advertisedPort: number | undefined
  /** Every listener; empty when the broker opens none (library mode). The first is what `port` and `host` name. */
  readonly listeners: readonly ListenerConfig[]
  readonly advertisedListeners: readonly AdvertisedListener[]
  readonly tls: TlsConfig | null
  readonly autoCreateTopics: boolean
  readonly defaultPartitions: number
  readonly topicDefaults: Readonly<Record<string, string>>
  readonly retentionCheckIntervalMs: number
  readonly jobThreads: number
  readonly maxRequestBytes: number
  readonly maxConnections: number
  readonly groupInitialRebalanceDelayMs: number
  readonly groupMinSessionTimeoutMs: number
  readonly groupMaxSessionTimeoutMs: number
  readonly offsetsRetentionMinutes: number
  readonly offsetMetadataMaxBytes: number
  readonly cleanerIntervalMs: number
  readonly offsetsTopicSegmentBytes: number
  readonly transactionMaxTimeoutMs: number
  readonly scrubBytesPerSecond: number
  readonly scrubIntervalMs: number
  readonly authorizer: boolean
  readonly superUsers: readonly string[]
  readonly allowEveryoneIfNoAcl: boolean
  readonly defaultReplicationFactor: number
  readonly replicaLagTimeMaxMs: number
}

export const DEFAULT_RING_BYTES = 8 * 1024 * 1024
export const MIN_RING_BYTES = 64 * 1024
export const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024

const KNOWN_OPTIONS = new Set([
  'dataDir', 'workers', 'ringBytes', 'port', 'host', 'httpPort', 'httpHost', 'advertisedHost', 'advertisedPort', 'listeners', 'advertisedListeners', 'tls', 'autoCreateTopics',
  'defaultPartitions', 'topicDefaults', 'retentionCheckIntervalMs', 'jobThreads', 'maxRequestBytes', 'maxConnections',
  'groupInitialRebalanceDelayMs', 'groupMinSessionTimeoutMs', 'groupMaxSessionTimeoutMs', 'offsetsRetentionMinutes',
  'offsetMetadataMaxBytes', 'cleanerIntervalMs', 'offsetsTopicSegmentBytes', 'transactionMaxTimeoutMs',
  'scrubBytesPerSecond', 'scrubIntervalMs', 'authorizer', 'superUsers', 'allowEveryoneIfNoAcl',
  'dataDirs', 'defaultReplicationFactor', 'replicaLagTimeMaxMs'
])

/**
 * Scrubbing defaults: at 4 MiB/s, CRC-32C costs well under 1% of a core (it runs at 0.4–1.5 GB/s
 * here, DESIGN.md) and the reads a small share of one disk; 100 GB take about seven hours. A new
 * pass starts a day after the last one ends.
 */
const SCRUB_BYTES_PER_SECOND = 4 * 1024 * 1024
const SCRUB_INTERVAL_MS = 24 * 60 * 60 * 1000

function integer (path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(path, max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`)
  }
  return value
}

function boolean (path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidOption(path, 'must be a boolean')
  return value
}

function principals (path: string, value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([])
  if (!Array.isArray(value)) throw invalidOption(path, 'must be an array of principals like User:admin')
  for (const p of value) {
    if (typeof p !== 'string' || !/^[^:]+:.+$/.test(p)) throw invalidOption(path, `must hold principals like User:admin; got ${JSON.stringify(p)}`)
  }
  return Object.freeze([...value as string[]])
}

function optional<T> (value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value
}

export function resolveBrokerConfig (options: BrokerOptions = {}): BrokerConfig {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'must be an object')
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw invalidOption(`options.${key}`, 'is not a known option')
  }
  const dataDirs = resolveDataDirs(options)
  const dataDir = dataDirs[0] ?? null
  const ringBytes = integer('options.ringBytes', optional(options.ringBytes, DEFAULT_RING_BYTES), MIN_RING_BYTES, 1 << 30)
  if ((ringBytes & (ringBytes - 1)) !== 0) throw invalidOption('options.ringBytes', 'must be a power of two')
  let port = options.port === undefined ? undefined : integer('options.port', options.port, 0, 65535)
  let host = optional(options.host, '127.0.0.1')
  if (typeof host !== 'string' || host.length === 0) throw invalidOption('options.host', 'must be a non-empty string')
  let listeners: readonly ListenerConfig[] = Object.freeze([])
  if (options.listeners !== undefined) {
    if (options.port !== undefined || options.host !== undefined) throw invalidOption('options.listeners', 'replaces options.host and options.port; give one or the other')
    listeners = resolveListeners(options.listeners)
    port = listeners[0]!.port
    host = listeners[0]!.host
  } else if (port !== undefined) {
    listeners = Object.freeze([Object.freeze({ name: 'PLAINTEXT', protocol: 'PLAINTEXT' as const, host, port })])
  }
  const advertisedListeners = resolveAdvertisedListeners(options.advertisedListeners, listeners)
  const tls = options.tls === undefined ? null : resolveTls(options.tls)
  const needsTls = listeners.find((l) => isTlsProtocol(l.protocol))
  if (needsTls !== undefined && tls === null) throw invalidOption('options.tls', `is needed by listener ${needsTls.name} (${needsTls.protocol}): give { certFile, keyFile }`)
  // The HTTP endpoint binds the Kafka host (the first listener's) unless told otherwise.
  const httpPort = options.httpPort === undefined || options.httpPort === null ? undefined : integer('options.httpPort', options.httpPort, 0, 65535)
  const httpHost = optional(options.httpHost, host)
  if (typeof httpHost !== 'string' || httpHost.length === 0) throw invalidOption('options.httpHost', 'must be a non-empty string')
  if (options.advertisedHost !== undefined && (typeof options.advertisedHost !== 'string' || options.advertisedHost.length === 0)) {
    throw invalidOption('options.advertisedHost', 'must be a non-empty string')
  }
  const advertisedPort = options.advertisedPort === undefined ? undefined : integer('options.advertisedPort', options.advertisedPort, 1, 65535)
  const autoCreateTopics = optional(options.autoCreateTopics, true)
  if (typeof autoCreateTopics !== 'boolean') throw invalidOption('options.autoCreateTopics', 'must be a boolean')
  const topicDefaults = optional(options.topicDefaults, {})
  if (topicDefaults === null || typeof topicDefaults !== 'object') throw invalidOption('options.topicDefaults', 'must be an object of string values')
  for (const [key, value] of Object.entries(topicDefaults)) {
    if (typeof value !== 'string') throw invalidOption(`options.topicDefaults['${key}']`, 'must be a string')
  }
  // Checked here, not when the first partition is created with them.
  const topicDefaultsProblem = topicConfigProblem(topicDefaults, {})
  if (topicDefaultsProblem !== null) throw invalidOption('options.topicDefaults', `is not a valid topic config: ${topicDefaultsProblem}`)
  // The dispatcher (sockets, framing, routing) keeps a core of its own: one worker per remaining core.
  const workers = integer('options.workers', optional(options.workers, Math.max(1, availableParallelism() - 1)), 1, 256)
  const defaultReplicationFactor = integer('options.defaultReplicationFactor', optional(options.defaultReplicationFactor, 1), 1, 32767)
  if (defaultReplicationFactor > workers) {
    throw invalidOption('options.defaultReplicationFactor', `must not exceed options.workers (${defaultReplicationFactor} replicas need ${defaultReplicationFactor} partition workers; this broker has ${workers})`)
  }
  const groupMinSessionTimeoutMs = integer('options.groupMinSessionTimeoutMs', optional(options.groupMinSessionTimeoutMs, 6_000), 1)
  const groupMaxSessionTimeoutMs = integer('options.groupMaxSessionTimeoutMs', optional(options.groupMaxSessionTimeoutMs, 1_800_000), 1)
  if (groupMaxSessionTimeoutMs < groupMinSessionTimeoutMs) throw invalidOption('options.groupMaxSessionTimeoutMs', 'must not be below options.groupMinSessionTimeoutMs')
  return Object.freeze({
    dataDir,
    dataDirs,
    workers,
    ringBytes,
    port,
    host,
    httpPort,
    httpHost,
    advertisedHost: options.advertisedHost,
    advertisedPort,
    listeners,
    advertisedListeners,
    tls,
    autoCreateTopics,
    defaultPartitions: integer('options.defaultPartitions', optional(options.defaultPartitions, 1), 1, 100_000),
    topicDefaults: Object.freeze({ ...topicDefaults }),
    retentionCheckIntervalMs: integer('options.retentionCheckIntervalMs', optional(options.retentionCheckIntervalMs, 300_000), 10),
    jobThreads: integer('options.jobThreads', optional(options.jobThreads, Math.max(1, Math.min(4, workers))), 1, 64),
    maxRequestBytes: integer('options.maxRequestBytes', optional(options.maxRequestBytes, DEFAULT_MAX_REQUEST_BYTES), 1024),
    maxConnections: integer('options.maxConnections', optional(options.maxConnections, 10_000), 1),
    // Kafka waits 3 s so a starting fleet joins in one rebalance; 30 ms is enough for clients started together.
    groupInitialRebalanceDelayMs: integer('options.groupInitialRebalanceDelayMs', optional(options.groupInitialRebalanceDelayMs, 30), 0, 300_000),
    groupMinSessionTimeoutMs,
    groupMaxSessionTimeoutMs,
    offsetsRetentionMinutes: integer('options.offsetsRetentionMinutes', optional(options.offsetsRetentionMinutes, 10_080), 1),
    offsetMetadataMaxBytes: integer('options.offsetMetadataMaxBytes', optional(options.offsetMetadataMaxBytes, 4096), 0),
    cleanerIntervalMs: integer('options.cleanerIntervalMs', optional(options.cleanerIntervalMs, 15_000), 10),
    offsetsTopicSegmentBytes: integer('options.offsetsTopicSegmentBytes', optional(options.offsetsTopicSegmentBytes, 104_857_600), 1024, 1_073_741_824),
    transactionMaxTimeoutMs: integer('options.transactionMaxTimeoutMs', optional(options.transactionMaxTimeoutMs, 900_000), 1, 2_147_483_647),
    scrubBytesPerSecond: integer('options.scrubBytesPerSecond', optional(options.scrubBytesPerSecond, SCRUB_BYTES_PER_SECOND), 0),
    scrubIntervalMs: integer('options.scrubIntervalMs', optional(options.scrubIntervalMs, SCRUB_INTERVAL_MS), 10),
    authorizer: boolean('options.authorizer', options.authorizer, false),
    superUsers: principals('options.superUsers', options.superUsers),
    allowEveryoneIfNoAcl: boolean('options.allowEveryoneIfNoAcl', options.allowEveryoneIfNoAcl, false),
    defaultReplicationFactor,
    replicaLagTimeMaxMs: integer('options.replicaLagTimeMaxMs', optional(options.replicaLagTimeMaxMs, 30_000), 1, 2_147_483_647)
  })
}

/**
 * `dataDir` or `dataDirs` → the data dirs, first one first; empty for a broker in memory. Two
 * names for one directory, or one inside another, would let two replica directories (or a
 * partition and a whole data dir) share files: both are refused.
 */
function resolveDataDirs (options: BrokerOptions): readonly string[] {
  if (options.dataDirs === undefined) {
    const dataDir = options.dataDir === undefined ? './data' : options.dataDir
    if (dataDir !== null && (typeof dataDir !== 'string' || dataDir.length === 0)) {
      throw invalidOption('options.dataDir', 'must be a non-empty path or null (in memory)')
    }
    return Object.freeze(dataDir === null ? [] : [dataDir])
  }
  if (options.dataDir !== undefined) throw invalidOption('options.dataDirs', 'replaces options.dataDir; give one or the other')
  const dirs: unknown = options.dataDirs
  if (!Array.isArray(dirs) || dirs.length === 0) throw invalidOption('options.dataDirs', 'must be a non-empty array of paths')
  for (const dir of dirs) {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidOption('options.dataDirs', `must hold non-empty paths; got ${JSON.stringify(dir)}`)
  }
  const paths = (dirs as string[]).map((dir) => resolve(dir))
  for (let i = 0; i < paths.length; i++) {
    for (let j = 0; j < paths.length; j++) {
      if (i === j) continue
      if (paths[i] === paths[j]) throw invalidOption('options.dataDirs', `names ${dirs[i]} twice${dirs[i] === dirs[j] ? '' : ` (as ${dirs[j]})`}`)
      const inside = relative(paths[j], paths[i])
      if (inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside)) throw invalidOption('options.dataDirs', `must not nest data dirs: ${dirs[i]} is inside ${dirs[j]}`)
    }
  }
  return Object.freeze([...dirs as string[]])
}

