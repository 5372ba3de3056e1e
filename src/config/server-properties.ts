/**
 * Kafka's `server.properties` keys → BrokerOptions. One table row per setting Millrace honours
 * (with its Kafka synonyms and unit conversions), a list of Kafka keys Millrace ignores on
 * purpose, and a few keys whose only honoured value is the one a single-replica broker has.
 * Everything else is an unknown key: a warning that names it (and a near match, if any).
 *
 * Values are checked by the same rules as BrokerOptions and topic configs
 * (resolveBrokerConfig, logConfigFromTopicConfig); a refusal names the key, the value, its line
 * and the rule.
 */
import { distance } from 'fastest-levenshtein'
import { MillraceError } from '../errors.js'
import { logConfigFromTopicConfig, defaultLogConfig, NEVER, type LogConfig } from '../log/config.js'
import { resolveBrokerConfig, type BrokerConfig, type BrokerOptions } from './broker-config.js'
import { minInsyncReplicas } from './topic-config.js'
import type { PropertyEntry } from './properties-file.js'
import { SECURITY_PROTOCOLS, type SecurityProtocol } from './listeners.js'

type NumericOption = {
  [K in keyof BrokerOptions]-?: NonNullable<BrokerOptions[K]> extends number ? K : never
}[keyof BrokerOptions]

/** A setting stored in a BrokerOptions field of the same unit. */
interface OptionRow {
  kind: 'option'
  key: string
  field: NumericOption | 'autoCreateTopics'
  type: 'int' | 'boolean'
  doc: string
}

/** A broker-wide default of a topic config; `keys` in Kafka's precedence order, each with its factor to the topic config's unit. */
interface TopicDefaultRow {
  kind: 'topic'
  keys: ReadonlyArray<{ key: string, scale: number }>
  topicConfig: string
  /** Kafka turns any negative retention into -1 (unlimited). */
  negativeIsUnlimited?: boolean
  /** The effective broker default, shown by `config check`. */
  engineDefault: (c: LogConfig, topicDefaults: Readonly<Record<string, string>>) => string
  doc: string
}

type Row = OptionRow | TopicDefaultRow

const KAFKA_LONG_MAX = '9223372036854775807'
const ms = (key: string): { key: string, scale: number } => ({ key, scale: 1 })
const longOrNever = (n: number): string => n === NEVER ? KAFKA_LONG_MAX : String(n)

function option (key: string, field: OptionRow['field'], doc: string, type: OptionRow['type'] = 'int'): OptionRow {
  return { kind: 'option', key, field, type, doc }
}

function topic (keys: TopicDefaultRow['keys'], topicConfig: string, engineDefault: TopicDefaultRow['engineDefault'], doc: string, negativeIsUnlimited = false): TopicDefaultRow {
  return { kind: 'topic', keys, topicConfig, engineDefault, doc, negativeIsUnlimited }
}

/** Every honoured key except log.dirs and the listeners (special rows below). */
export const SETTINGS: readonly Row[] = [
  option('num.partitions', 'defaultPartitions', 'partitions of auto-created topics and of CreateTopics with -1'),
  option('auto.create.topics.enable', 'autoCreateTopics', 'create a topic when a client asks for it by name', 'boolean'),
  option('socket.request.max.bytes', 'maxRequestBytes', 'largest request accepted'),
  option('max.connections', 'maxConnections', 'most client connections open at once'),
  option('log.retention.check.interval.ms', 'retentionCheckIntervalMs', 'how often partitions apply retention and age-based roll'),
  option('log.cleaner.backoff.ms', 'cleanerIntervalMs', 'how often compacted logs are checked for cleaning'),
  option('group.initial.rebalance.delay.ms', 'groupInitialRebalanceDelayMs', 'how long a new group waits for more members before its first rebalance'),
  option('group.min.session.timeout.ms', 'groupMinSessionTimeoutMs', 'shortest session timeout a member may ask for'),
  option('group.max.session.timeout.ms', 'groupMaxSessionTimeoutMs', 'longest session timeout a member may ask for'),
  option('offsets.retention.minutes', 'offsetsRetentionMinutes', "how long an empty group's committed offsets are kept"),
  option('offset.metadata.max.bytes', 'offsetMetadataMaxBytes', 'longest metadata string an offset commit may carry'),
  option('offsets.topic.segment.bytes', 'offsetsTopicSegmentBytes', 'segment size of the committed offsets log'),
  option('default.replication.factor', 'defaultReplicationFactor', 'replicas of auto-created topics and of CreateTopics with -1'),
  option('replica.lag.time.max.ms', 'replicaLagTimeMaxMs', 'a follower not caught up for this long leaves the in-sync replicas'),
  topic([ms('min.insync.replicas')], 'min.insync.replicas', (_, d) => String(minInsyncReplicas(d)), 'fewest in-sync replicas an acks=all produce needs'),
  topic([ms('log.segment.bytes')], 'segment.bytes', c => String(c.segmentBytes), 'largest segment file before a roll'),
  topic([ms('log.roll.ms'), { key: 'log.roll.hours', scale: 3_600_000 }], 'segment.ms', c => String(c.segmentMs), 'roll a segment once its first record is this old'),
  topic([ms('log.retention.ms'), { key: 'log.retention.minutes', scale: 60_000 }, { key: 'log.retention.hours', scale: 3_600_000 }], 'retention.ms',
    c => String(c.retentionMs), 'delete closed segments older than this; -1 keeps them', true),
  topic([ms('log.retention.bytes')], 'retention.bytes', c => String(c.retentionBytes), 'delete the oldest segments while a partition is larger; -1 disables', true),
  topic([ms('log.cleanup.policy')], 'cleanup.policy', c => c.cleanupPolicy.join(','), 'delete, compact, or both'),
  topic([ms('message.max.bytes')], 'max.message.bytes', c => String(c.maxMessageBytes), 'largest record batch accepted'),
  topic([ms('log.flush.interval.messages')], 'flush.messages', c => longOrNever(c.flushMessages), 'fsync after this many records'),
  topic([ms('log.flush.interval.ms')], 'flush.ms', c => longOrNever(c.flushMs), 'fsync when the oldest unsynced record is this old'),
  topic([ms('log.index.interval.bytes')], 'index.interval.bytes', c => String(c.indexIntervalBytes), 'log bytes between two index entries'),
  topic([ms('log.index.size.max.bytes')], 'segment.index.bytes', c => String(c.segmentIndexBytes), 'largest index file; a full index rolls the segment'),
  topic([ms('log.message.timestamp.type')], 'message.timestamp.type', c => c.messageTimestampType, 'CreateTime or LogAppendTime'),
  topic([ms('log.cleaner.delete.retention.ms')], 'delete.retention.ms', c => String(c.deleteRetentionMs), 'how long compaction keeps tombstones'),
  topic([ms('log.cleaner.min.cleanable.ratio')], 'min.cleanable.dirty.ratio', c => String(c.minCleanableDirtyRatio), 'dirty share of a log that triggers compaction'),
  topic([ms('log.cleaner.min.compaction.lag.ms')], 'min.compaction.lag.ms', c => String(c.minCompactionLagMs), 'youngest record compaction may remove'),
  topic([ms('log.cleaner.max.compaction.lag.ms')], 'max.compaction.lag.ms', c => longOrNever(c.maxCompactionLagMs), 'oldest a dirty record may get before compaction runs'),
  // Millrace's own settings, which Kafka has no key for.
  option('millrace.workers', 'workers', 'partition worker threads'),
  option('millrace.ring.bytes', 'ringBytes', 'bytes of each dispatcher/worker ring, a power of two'),
  option('millrace.job.threads', 'jobThreads', 'threads for background jobs'),
  option('millrace.scrub.bytes.per.second', 'scrubBytesPerSecond', 'how fast sealed segments are re-read to verify CRCs; 0 turns it off'),
  option('millrace.scrub.interval.ms', 'scrubIntervalMs', 'pause between two scrub passes'),
  option('millrace.http.port', 'httpPort', 'port of the HTTP endpoint (/health, /ready, /metrics, the console); 0 picks a free one')
]

const DATA_DIR_KEYS = ['log.dirs', 'log.dir'] as const
const LISTENER_KEYS = ['listeners', 'advertised.listeners'] as const
const SECURITY_KEYS = ['ssl.keystore.location', 'ssl.keystore.type', 'ssl.truststore.location', 'ssl.truststore.type', 'ssl.client.auth',
  'authorizer.class.name', 'super.users', 'allow.everyone.if.no.acl.found'] as const
/** Consulted to read `listeners`, never applied on their own. */
const LISTENER_HELPER_KEYS = ['listener.security.protocol.map', 'controller.listener.names'] as const

/** Keys whose only honoured value is a single-replica, single-node broker's; another value is refused or warned about. */
const FIXED: ReadonlyArray<{ key: string, value: string, refuse: boolean, why: string }> = [
  { key: 'offsets.topic.replication.factor', value: '1', refuse: true, why: 'the coordinator keeps one copy of its offsets log, in the first of log.dirs (replication covers topics only)' },
  { key: 'transaction.state.log.replication.factor', value: '1', refuse: true, why: 'the coordinator keeps one copy of its transaction log, in the first of log.dirs (replication covers topics only)' },
  { key: 'transaction.state.log.min.isr', value: '1', refuse: true, why: 'the coordinator keeps one copy of its transaction log, in the first of log.dirs (replication covers topics only)' },
  { key: 'unclean.leader.election.enable', value: 'false', refuse: true, why: 'Millrace never elects a replica that is not in sync: that would drop acknowledged records' },
  { key: 'delete.topic.enable', value: 'true', refuse: true, why: 'Millrace always lets clients delete topics' },
  { key: 'node.id', value: '1', refuse: false, why: 'Millrace is one node and reports node id 1 in Metadata (clients find it there)' },
  { key: 'broker.id', value: '1', refuse: false, why: 'Millrace is one node and reports node id 1 in Metadata (clients find it there)' },
  { key: 'compression.type', value: 'producer', refuse: false, why: 'Millrace stores batches as producers compressed them' }
]

/** Kafka keys with no meaning for Millrace, by reason. */
const IGNORED: ReadonlyArray<{ why: string, keys: readonly string[] }> = [
  {
    why: 'Millrace needs no ZooKeeper or KRaft quorum',
    keys: ['zookeeper.connect', 'zookeeper.connection.timeout.ms', 'zookeeper.session.timeout.ms', 'process.roles',
      'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'metadata.log.dir', 'inter.broker.listener.name',
      'inter.broker.protocol.version', 'group.coordinator.rebalance.protocols']
  },
  {
    why: 'Millrace sizes its threads itself (see millrace.workers and millrace.job.threads)',
    keys: ['num.network.threads', 'num.io.threads', 'num.recovery.threads.per.data.dir', 'num.replica.fetchers',
      'log.cleaner.threads', 'background.threads', 'queued.max.requests']
  },
  {
    why: 'Millrace serves PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 on every SASL listener and has no traffic between brokers',
    keys: ['sasl.enabled.mechanisms', 'sasl.mechanism.inter.broker.protocol', 'security.inter.broker.protocol', 'inter.broker.listener.name']
  },
  {
    why: 'the coordinator keeps its offsets and its transactions in one log each',
    keys: ['offsets.topic.num.partitions', 'transaction.state.log.num.partitions']
  },
  {
    why: 'Millrace is one broker: replicas are copied inside it, with no fetcher threads, leader balancing or share coordinator to tune',
    keys: ['replica.fetch.max.bytes', 'auto.leader.rebalance.enable', 'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr']
  },
  {
    why: 'Millrace leaves these to the operating system or does not tune them',
    keys: ['socket.send.buffer.bytes', 'socket.receive.buffer.bytes', 'log.flush.scheduler.interval.ms',
      'log.flush.offset.checkpoint.interval.ms', 'log.preallocate', 'log.roll.jitter.ms', 'log.roll.jitter.hours',
      'log.cleaner.enable', 'log.cleaner.dedupe.buffer.size', 'log.cleaner.io.buffer.size', 'log.cleaner.io.max.bytes.per.second',
      'log.message.timestamp.difference.max.ms', 'log.message.timestamp.before.max.ms', 'log.message.timestamp.after.max.ms',
      'log.message.downconversion.enable', 'log.message.format.version', 'connections.max.idle.ms']
  }
]

const IGNORED_WHY: ReadonlyMap<string, string> = new Map(IGNORED.flatMap(({ why, keys }) => keys.map((k) => [k, why] as const)))

/** Every key this module knows, for "did you mean". */
export const KNOWN_KEYS: readonly string[] = [
  ...SETTINGS.flatMap((r) => r.kind === 'option' ? [r.key] : r.keys.map((k) => k.key)),
  ...DATA_DIR_KEYS, ...LISTENER_KEYS, ...LISTENER_HELPER_KEYS, ...SECURITY_KEYS,
  ...FIXED.map((f) => f.key), ...IGNORED_WHY.keys()
]

/** The key a misspelt one was probably meant to be, or undefined. */
export function nearestKey (key: string): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(key.length / 6)) + 1
  for (const known of KNOWN_KEYS) {
    const d = distance(key, known)
    if (d < bestDistance) { best = known; bestDistance = d }
  }
  return best
}

export interface MappedProperties {
  options: BrokerOptions
  /** One line per key set but not honoured, and per key set twice. */
  warnings: string[]
  /** Kafka key shown by `config check` → where its value came from ("file, line 4", "file, line 4 (log.retention.hours)"). */
  origins: Map<string, string>
}

/** The refusal of one value: names the key, the value, its line and the rule. */
export function invalidProperty (entry: PropertyEntry, rule: string): MillraceError {
  return new MillraceError('MR_ERR_INVALID_OPTION', `line ${entry.line}: ${entry.key}=${entry.value} ${rule}`)
}

const INTEGER = /^[+-]?\d+$/

function parseInteger (entry: PropertyEntry): number {
  const text = entry.value.trim()
  const n = Number(text)
  if (!INTEGER.test(text) || !Number.isSafeInteger(n)) throw invalidProperty(entry, 'must be an integer')
  return n
}

function parseBoolean (entry: PropertyEntry): boolean {
  const text = entry.value.trim().toLowerCase()
  if (text === 'true') return true
  if (text === 'false') return false
  throw invalidProperty(entry, 'must be true or false')
}

/** One `NAME://host:port` of a Kafka listener list. */
export interface Listener { name: string, host: string, port: number }

export function parseListeners (entry: PropertyEntry): Listener[] {
  return entry.value.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((text) => {
    const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/[\]]*):(\d+)$/.exec(text)
    const port = match === null ? NaN : Number(match[3])
    if (match === null || port > 65535) throw invalidProperty(entry, `must be a list of NAME://HOST:PORT (port 0 to 65535), and '${text}' is not`)
    const host = match[2]!.startsWith('[') ? match[2]!.slice(1, -1) : match[2]!
    return { name: match[1]!.toUpperCase(), host, port }
  })
}

/**
 * The one Kafka listener Millrace serves today → host/port and the advertised address.
 * Kept apart so that a full `listeners` broker option can take its place.
 * An empty host binds every interface, as Kafka does; an empty advertised host leaves clients the address they reached.
 */
export function singleListenerOptions (listener: Listener, advertised: Listener | undefined): Pick<BrokerOptions, 'host' | 'port' | 'advertisedHost' | 'advertisedPort'> {
  return {
    host: listener.host === '' ? '0.0.0.0' : listener.host,
    port: listener.port,
    advertisedHost: advertised === undefined || advertised.host === '' ? undefined : advertised.host,
    advertisedPort: advertised === undefined || advertised.port === 0 ? undefined : advertised.port
  }
}

const DEFAULT_PROTOCOLS: Record<string, string> = { PLAINTEXT: 'PLAINTEXT', SSL: 'SSL', SASL_PLAINTEXT: 'SASL_PLAINTEXT', SASL_SSL: 'SASL_SSL' }

/** Maps the entries of a server.properties file to BrokerOptions, checking every value; throws MR_ERR_INVALID_OPTION. */
export function mapServerProperties (entries: readonly PropertyEntry[]): MappedProperties {
  const warnings: string[] = []
  const byKey = new Map<string, PropertyEntry>()
  for (const entry of entries) {
    const earlier = byKey.get(entry.key)
    if (earlier !== undefined) warnings.push(`line ${entry.line}: ${entry.key} is set again; line ${earlier.line} no longer counts`)
    byKey.set(entry.key, entry)
  }
  const used = new Set<string>()
  const take = (key: string): PropertyEntry | undefined => {
    used.add(key)
    return byKey.get(key)
  }
  const options: BrokerOptions = {}
  const origins = new Map<string, string>()
  /** Field or topic config → the entry that set it, to name it when the broker's own rules refuse the value. */
  const sources = new Map<string, PropertyEntry>()
  const topicDefaults: Record<string, string> = {}

  for (const row of SETTINGS) {
    if (row.kind === 'option') {
      const entry = take(row.key)
      if (entry === undefined) continue
      Object.assign(options, { [row.field]: row.type === 'boolean' ? parseBoolean(entry) : parseInteger(entry) })
      sources.set(`options.${row.field}`, entry)
      origins.set(row.key, `file, line ${entry.line}`)
      continue
    }
    const present = row.keys.map(({ key, scale }) => ({ entry: take(key), scale })).filter((k) => k.entry !== undefined)
    const chosen = present[0]
    if (chosen === undefined) continue
    for (const shadowed of present.slice(1)) {
      warnings.push(`line ${shadowed.entry!.line}: ${shadowed.entry!.key} does not count: ${chosen.entry!.key} (line ${chosen.entry!.line}) takes precedence`)
    }
    const entry = chosen.entry!
    let value = entry.value.trim()
    if (chosen.scale !== 1 || row.negativeIsUnlimited === true) {
      const n = parseInteger(entry) * chosen.scale
      value = row.negativeIsUnlimited === true && n < 0 ? '-1' : String(n)
    }
    topicDefaults[row.topicConfig] = value
    sources.set(row.topicConfig, entry)
    const canonical = row.keys[0]!.key
    origins.set(canonical, entry.key === canonical ? `file, line ${entry.line}` : `file, line ${entry.line} (${entry.key})`)
  }
  if (Object.keys(topicDefaults).length > 0) options.topicDefaults = topicDefaults

  Object.assign(options, dataDirOption(take, warnings, origins))
  const dirsEntry = byKey.get('log.dirs') ?? byKey.get('log.dir')
  if (dirsEntry !== undefined) sources.set('options.dataDirs', dirsEntry)
  Object.assign(options, listenerOptions(take, warnings, origins))
  Object.assign(options, tlsOptions(take, origins))
  const tlsListener = options.listeners?.find((l) => l.protocol === 'SSL' || l.protocol === 'SASL_SSL')
  if (tlsListener !== undefined && options.tls === undefined) {
    throw invalidProperty(byKey.get('listeners')!, `has ${tlsListener.protocol} listener ${tlsListener.name ?? tlsListener.protocol}, which needs ssl.keystore.type=PEM and ssl.keystore.location (the broker's PEM key and certificate)`)
  }
  Object.assign(options, authorizerOptions(take, warnings, origins))

  for (const fixed of FIXED) {
    const entry = take(fixed.key)
    if (entry === undefined || entry.value.trim().toLowerCase() === fixed.value) continue
    if (fixed.refuse) throw invalidProperty(entry, `must be ${fixed.value}: ${fixed.why}`)
    warnings.push(`line ${entry.line}: ${entry.key}=${entry.value} is ignored: ${fixed.why}`)
  }
  for (const entry of byKey.values()) {
    if (used.has(entry.key)) continue
    const why = IGNORED_WHY.get(entry.key)
    if (why !== undefined) {
      warnings.push(`line ${entry.line}: ${entry.key} is ignored: ${why}`)
    } else {
      const near = nearestKey(entry.key)
      warnings.push(`line ${entry.line}: unknown key '${entry.key}'${near === undefined ? '' : ` (did you mean '${near}'?)`}`)
    }
  }
  checkValues(options, sources)
  // In file order, whichever check found them.
  const lineOf = (warning: string): number => Number(/^line (\d+)/.exec(warning)?.[1] ?? 0)
  warnings.sort((a, b) => lineOf(a) - lineOf(b))
  return { options, warnings, origins }
}

/** log.dirs (or Kafka's older log.dir) → the data dir, or several (JBOD). */
function dataDirOption (take: (key: string) => PropertyEntry | undefined, warnings: string[], origins: Map<string, string>): BrokerOptions {
  const dirs = take('log.dirs') ?? take('log.dir')
  const shadowed = take('log.dir')
  if (dirs === undefined) return {}
  if (shadowed !== undefined && dirs !== shadowed) {
    warnings.push(`line ${shadowed.line}: log.dir does not count: log.dirs (line ${dirs.line}) takes precedence`)
  }
  const list = dirs.value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (list.length === 0) throw invalidProperty(dirs, 'must name a directory')
  origins.set('log.dirs', dirs.key === 'log.dirs' ? `file, line ${dirs.line}` : `file, line ${dirs.line} (log.dir)`)
  return list.length === 1 ? { dataDir: list[0] } : { dataDirs: list }
}

function listenerOptions (take: (key: string) => PropertyEntry | undefined, warnings: string[], origins: Map<string, string>): BrokerOptions {
  const listenersEntry = take('listeners')
  const advertisedEntry = take('advertised.listeners')
  const protocolMap = take('listener.security.protocol.map')
  const controllerNames = take('controller.listener.names')
  if (listenersEntry === undefined) {
    if (advertisedEntry !== undefined) throw invalidProperty(advertisedEntry, 'needs listeners to be set too')
    return {}
  }
  const protocols = { ...DEFAULT_PROTOCOLS }
  for (const pair of protocolMap?.value.split(',') ?? []) {
    const [name, protocol] = pair.split(':').map((s) => s.trim().toUpperCase())
    if (name === undefined || name === '' || protocol === undefined) throw invalidProperty(protocolMap!, 'must be a list of NAME:PROTOCOL')
    protocols[name] = protocol
  }
  const controllers = new Set(controllerNames?.value.split(',').map((s) => s.trim().toUpperCase()) ?? [])
  const served = (entry: PropertyEntry): Listener[] => parseListeners(entry).filter((l) => {
    if (!controllers.has(l.name)) return true
    warnings.push(`line ${entry.line}: ${entry.key}: ${l.name}://${l.host}:${l.port} is ignored: a KRaft controller listener (Millrace needs no quorum)`)
    return false
  })
  const listeners = served(listenersEntry)
  if (listeners.length === 0) throw invalidProperty(listenersEntry, 'must name at least one listener')
  const withProtocols = listeners.map((l) => {
    const protocol = protocols[l.name]
    if (protocol === undefined) throw invalidProperty(listenersEntry, `names listener ${l.name}, which listener.security.protocol.map does not map`)
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) throw invalidProperty(protocolMap ?? listenersEntry, `maps ${l.name} to ${protocol}, which is not one of ${SECURITY_PROTOCOLS.join(', ')}`)
    return { ...l, host: l.host === '' ? '0.0.0.0' : l.host, protocol: protocol as SecurityProtocol }
  })
  if (new Set(withProtocols.map((l) => l.name)).size !== withProtocols.length) throw invalidProperty(listenersEntry, 'names a listener twice')
  const advertised = advertisedEntry === undefined ? [] : served(advertisedEntry)
  for (const a of advertised) {
    if (!withProtocols.some((l) => l.name === a.name)) throw invalidProperty(advertisedEntry!, `names ${a.name}, which listeners does not have`)
  }
  if (advertisedEntry !== undefined) origins.set('advertised.listeners', `file, line ${advertisedEntry.line}`)
  origins.set('listeners', `file, line ${listenersEntry.line}`)
  const only = withProtocols[0]!
  // One PLAINTEXT listener keeps the host/port options, so --port and --host still override the file.
  if (withProtocols.length === 1 && only.protocol === 'PLAINTEXT' && advertised.length <= 1) {
    return singleListenerOptions(only, advertised[0])
  }
  return {
    listeners: withProtocols.map((l) => ({ name: l.name, protocol: l.protocol, host: l.host, port: l.port })),
    ...(advertised.length === 0 ? {} : { advertisedListeners: advertised.filter((a) => a.host !== '').map((a) => ({ name: a.name, host: a.host, port: a.port })) })
  }
}

/**
 * TLS of SSL and SASL_SSL listeners from Kafka's PEM keys: `ssl.keystore.type=PEM` with
 * `ssl.keystore.location` (one PEM file holding the private key and the certificate chain),
 * `ssl.truststore.location` (PEM CA bundle for client certificates), `ssl.client.auth`.
 */
function tlsOptions (take: (key: string) => PropertyEntry | undefined, origins: Map<string, string>): BrokerOptions {
  const keystore = take('ssl.keystore.location')
  const keystoreType = take('ssl.keystore.type')
  const truststore = take('ssl.truststore.location')
  const truststoreType = take('ssl.truststore.type')
  const clientAuth = take('ssl.client.auth')
  for (const type of [keystoreType, truststoreType]) {
    if (type !== undefined && type.value.trim().toUpperCase() !== 'PEM') throw invalidProperty(type, 'must be PEM: Millrace reads PEM files (convert a JKS or PKCS12 store with keytool and openssl)')
  }
  if (keystore === undefined) {
    const stray = truststore ?? clientAuth
    if (stray !== undefined) throw invalidProperty(stray, 'needs ssl.keystore.location (the broker\'s PEM key and certificate) too')
    return {}
  }
  if (keystoreType === undefined) throw invalidProperty(keystore, 'needs ssl.keystore.type=PEM (Millrace reads PEM files)')
  const auth = clientAuth?.value.trim().toLowerCase()
  if (auth !== undefined && auth !== 'required' && auth !== 'requested' && auth !== 'none') throw invalidProperty(clientAuth!, 'must be required, requested or none')
  for (const e of [keystore, truststore, clientAuth]) if (e !== undefined) origins.set(e.key, `file, line ${e.line}`)
  const file = keystore.value.trim()
  return {
    tls: {
      certFile: file,
      keyFile: file,
      ...(truststore === undefined ? {} : { caFile: truststore.value.trim() }),
      ...(auth === undefined ? {} : { clientAuth: auth })
    }
  }
}

/** Kafka's ACL authorizer keys: `authorizer.class.name` turns it on; `super.users`; `allow.everyone.if.no.acl.found`. */
function authorizerOptions (take: (key: string) => PropertyEntry | undefined, warnings: string[], origins: Map<string, string>): BrokerOptions {
  const className = take('authorizer.class.name')
  const superUsers = take('super.users')
  const allowEveryone = take('allow.everyone.if.no.acl.found')
  const options: BrokerOptions = {}
  if (className !== undefined && className.value.trim() !== '') {
    options.authorizer = true
    if (!KAFKA_AUTHORIZERS.has(className.value.trim())) warnings.push(`line ${className.line}: authorizer.class.name=${className.value} is read as Kafka's ACL authorizer: Millrace has that one only`)
    origins.set('authorizer.class.name', `file, line ${className.line}`)
  }
  if (superUsers !== undefined) {
    options.superUsers = superUsers.value.split(';').map((u) => u.trim()).filter((u) => u.length > 0)
    origins.set('super.users', `file, line ${superUsers.line}`)
  }
  if (allowEveryone !== undefined) {
    options.allowEveryoneIfNoAcl = parseBoolean(allowEveryone)
    origins.set('allow.everyone.if.no.acl.found', `file, line ${allowEveryone.line}`)
  }
  return options
}

const KAFKA_AUTHORIZERS = new Set(['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer'])

/** Runs the broker's and the engine's own rules, naming the file's key when they refuse one of its values. */
function checkValues (options: BrokerOptions, sources: ReadonlyMap<string, PropertyEntry>): void {
  const rename = (err: unknown): never => {
    if (err instanceof MillraceError && err.code === 'MR_ERR_INVALID_OPTION') {
      for (const [path, entry] of sources) {
        if (err.message.startsWith(`${path} `)) {
          // The broker's rules name other options by their field: say the Kafka key instead.
          let rule = err.message.slice(path.length + 1)
          for (const row of SETTINGS) if (row.kind === 'option') rule = rule.replaceAll(`options.${row.field}`, row.key)
          throw invalidProperty(entry, rule)
        }
      }
    }
    throw err
  }
  try {
    logConfigFromTopicConfig(options.topicDefaults ?? {})
    minInsyncReplicas(options.topicDefaults ?? {})
  } catch (err) { rename(err) }
  try { resolveBrokerConfig(options) } catch (err) { rename(err) }
}

export interface EffectiveSetting { key: string, value: string, doc: string }

/** Every honoured setting of a broker as Kafka keys and Kafka units, for `config check`. */
export function effectiveSettings (config: BrokerConfig): EffectiveSetting[] {
  const engine = logConfigFromTopicConfig(config.topicDefaults, defaultLogConfig)
  const out: EffectiveSetting[] = [
    { key: 'log.dirs', value: config.dataDirs.length === 0 ? '(none: in memory)' : config.dataDirs.join(','), doc: 'the data directories (the first also holds the coordinator\'s logs)' },
    { key: 'listeners', value: config.listeners.length === 0 ? '(none)' : config.listeners.map((l) => `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`).join(','), doc: 'where clients connect' },
    {
      key: 'advertised.listeners',
      value: config.advertisedHost === undefined && config.advertisedPort === undefined
        ? '(the address each client reached)'
        : `PLAINTEXT://${config.advertisedHost ?? '(reached host)'}:${config.advertisedPort ?? '(reached port)'}`,
      doc: 'the address put in Metadata'
    }
  ]
  for (const row of SETTINGS) {
    if (row.kind === 'option') out.push({ key: row.key, value: String(config[row.field]), doc: row.doc })
    else out.push({ key: row.keys[0]!.key, value: row.engineDefault(engine, config.topicDefaults), doc: row.doc })
  }
  return out
}

/** Where each shown setting of a JSON config file came from: the file when it sets the field. */
export function originsOfOptions (options: BrokerOptions): Map<string, string> {
  const origins = new Map<string, string>()
  if (options.dataDir !== undefined || options.dataDirs !== undefined) origins.set('log.dirs', 'file')
  if (options.port !== undefined || options.host !== undefined) origins.set('listeners', 'file')
  if (options.advertisedHost !== undefined || options.advertisedPort !== undefined) origins.set('advertised.listeners', 'file')
  for (const row of SETTINGS) {
    if (row.kind === 'option' && options[row.field] !== undefined) origins.set(row.key, 'file')
    if (row.kind === 'topic' && options.topicDefaults?.[row.topicConfig] !== undefined) origins.set(row.keys[0]!.key, 'file')
  }
  return origins
}
