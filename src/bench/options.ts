/**
 * Flags of `millrace bench <workload>`, checked into a frozen BenchOptions. Every bad value
 * becomes a usage error (exit code 2) that names the flag and what it accepts.
 */
import { intFlag, parseEndpoint, parseFlags, usageError, type Endpoint } from '../cli/args.js'
import { Compression } from '../protocol/compression.js'
import { PLAINTEXT_SECURITY, readClientSecurity, type ClientSecurity } from '../cli/client-security.js'

export const COMMAND = 'bench'

export const WORKLOADS = ['produce', 'consume', 'latency', 'mixed', 'startup'] as const
export type Workload = typeof WORKLOADS[number]

export const PEERS = ['nats', 'redis'] as const
export type PeerName = typeof PEERS[number]

export type TargetKind = 'embedded' | 'server' | 'brokers'
/** plain = the fastest producer; idempotent and transactional are the library's (acks=all). */
export type ProducerMode = 'plain' | 'idempotent' | 'transactional'
export type ProfileKind = 'flame' | 'doctor'

const COMPRESSIONS: Record<string, Compression> = {
  none: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4, zstd: Compression.Zstd
}

export interface BenchOptions {
  workload: Workload
  /** Records per run; undefined when the run is timed by `durationMs`. */
  records: number | undefined
  durationMs: number | undefined
  recordBytes: number
  partitions: number
  producers: number
  consumers: number
  /** 0, 1 or -1 (all). */
  acks: number
  compression: Compression
  compressionName: string
  batchBytes: number
  lingerMs: number
  inFlight: number
  /** Records per second the producers aim at; undefined = as fast as they can. */
  rate: number | undefined
  runs: number
  target: TargetKind
  brokers: Endpoint | undefined
  /** TLS and SASL settings for --brokers (--command-config); plaintext otherwise. */
  security: ClientSecurity
  /** Millrace targets: a data dir to use, null for memory, undefined for a fresh temp dir per run. */
  dataDir: string | null | undefined
  durable: boolean
  /** Topic configs set on every topic the run creates. */
  topicConfig: Record<string, string>
  vs: PeerName[]
  outDir: string
  jsonPath: string | undefined
  htmlPath: string | undefined
  profile: ProfileKind | undefined
  progress: boolean
  producerMode: ProducerMode
  /** Records per transaction of a transactional producer. */
  txnRecords: number
  /** With --transactional: run the idempotent producer too, as the baseline the ratios compare with. */
  compareIdempotent: boolean
  /** Replicas of each topic the run creates; a Millrace server gets at least this many workers and data dirs. */
  replicationFactor: number
  /** With --replication-factor N: run replication factor 1 too, as the baseline the ratios compare with. */
  compareReplication: boolean
}

export const BENCH_USAGE = `Usage: millrace bench <workload> [options]

Workloads:
  produce    producer throughput (records/s, MB/s)
  consume    consumer throughput, reading records produced before the timer starts
  latency    end-to-end latency at a fixed rate (p50, p99, p99.9, max)
  mixed      produce and consume at once
  startup    spawn to first produce+consume round trip, idle and peak RSS

Target (default: a Millrace server this command starts):
  --target embedded|server    embedded = library mode in this process, no TCP
  --brokers HOST:PORT         any Kafka-protocol broker already running
  --command-config FILE       (with --brokers) Kafka client properties: security.protocol,
                              sasl.mechanism, sasl.username, sasl.password, ssl.ca.location
  --memory                    Millrace targets keep data in memory
  --data DIR                  Millrace targets use DIR (default: a fresh temp dir per run)
  --vs nats,redis             run the same workload against NATS JetStream and Redis Streams

Workload options:
  --records N                 records per run (default 1000000)
  --duration SECONDS          run for this long instead of a record count
  --record-size BYTES         value bytes per record (default 100)
  --partitions N              topic partitions (default 1)
  --producers N               producer connections, each on its own thread (default 1)
  --consumers N               consumer connections (default 1)
  --acks 0|1|all              (default 1)
  --durable                   acks=all and flush.messages=1 (an fsync before each acknowledgement)
  --compression CODEC         none, gzip, snappy, lz4 or zstd (default none)
  --batch-size BYTES          bytes per record batch (default 131072)
  --linger-ms N               at a fixed rate, gather records this long before sending (default 1)
  --in-flight N               produce requests in flight per connection (default 8)
  --rate N                    records/s to aim at (latency default 10000; otherwise flat out)
  --runs N                    runs per target; the summary shows medians (default 3)

Replication (Millrace targets start with at least N partition workers and N data dirs):
  --replication-factor N      replicas of each topic the run creates (default 1)
  --compare-replication       (with --replication-factor N above 1) run replication factor 1
                              too, as the baseline of the ratios; acks=all unless --acks is given

Idempotent and transactional producers (produce workload, library mode: --target embedded is
the default and the only target; both mean acks=all):
  --idempotent                each batch written once even when retried
  --transactional             every --txn-records records are one transaction; also reports
                              commit latency and read_committed consume throughput
  --txn-records N             records per transaction (default 1000)
  --compare-idempotent        (with --transactional) run the idempotent producer too, as the
                              baseline of the ratios

Output:
  --out DIR                   where result files go (default ./bench-results)
  --json FILE                 the JSON result file (default DIR/bench-<workload>-<time>.json)
  --html FILE                 the HTML report (default next to the JSON file)
  --profile flame|doctor      run the Millrace server under clinic; the summary names the report
  --no-progress               no live progress line
  -h, --help                  show this help
`

const OPTIONS = {
  target: { type: 'string' },
  brokers: { type: 'string' },
  'command-config': { type: 'string' },
  memory: { type: 'boolean' },
  data: { type: 'string' },
  vs: { type: 'string' },
  records: { type: 'string' },
  duration: { type: 'string' },
  'record-size': { type: 'string' },
  partitions: { type: 'string' },
  producers: { type: 'string' },
  consumers: { type: 'string' },
  acks: { type: 'string' },
  durable: { type: 'boolean' },
  compression: { type: 'string' },
  'batch-size': { type: 'string' },
  'linger-ms': { type: 'string' },
  'in-flight': { type: 'string' },
  rate: { type: 'string' },
  runs: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  profile: { type: 'string' },
  'no-progress': { type: 'boolean' },
  idempotent: { type: 'boolean' },
  transactional: { type: 'boolean' },
  'txn-records': { type: 'string' },
  'compare-idempotent': { type: 'boolean' },
  'replication-factor': { type: 'string' },
  'compare-replication': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

const DEFAULT_RECORDS = 1_000_000
const DEFAULT_TXN_RECORDS = 1000
const DEFAULT_LATENCY_RATE = 10_000
const DEFAULT_LATENCY_DURATION_MS = 10_000
/** Kafka's default max.message.bytes is 1 MiB; a batch must fit in it. */
const MAX_BATCH_BYTES = 1024 * 1024 - 1024
const MAX_RECORD_BYTES = 1024 * 1024 - 1024

/** Thrown for `--help`: main prints the usage and exits 0. */
export class HelpRequested extends Error {}

function positiveNumber (name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN
  if (!(n > 0) || n > max) throw usageError(`--${name} must be a number above 0 and at most ${max}, got '${value}'`, COMMAND)
  return n
}

function parseProducerMode (values: { idempotent?: boolean, transactional?: boolean, 'txn-records'?: string, 'compare-idempotent'?: boolean, vs?: string }, workload: Workload): ProducerMode {
  const mode: ProducerMode = values.transactional === true ? 'transactional' : values.idempotent === true ? 'idempotent' : 'plain'
  if (values.transactional === true && values.idempotent === true) throw usageError('--transactional and --idempotent cannot be used together (use --compare-idempotent to run both)', COMMAND)
  if (mode !== 'plain' && workload !== 'produce') throw usageError(`--${mode} applies to the produce workload, not ${workload}`, COMMAND)
  if (mode !== 'transactional' && values['txn-records'] !== undefined) throw usageError('--txn-records applies to --transactional', COMMAND)
  if (mode !== 'transactional' && values['compare-idempotent'] === true) throw usageError('--compare-idempotent applies to --transactional', COMMAND)
  if (mode !== 'plain' && values.vs !== undefined) throw usageError(`--vs cannot be used with --${mode}: the peers have no such producer`, COMMAND)
  return mode
}

export function parseBenchArgs (argv: string[]): BenchOptions {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) throw new HelpRequested()
  if (positionals.length === 0) throw usageError(`name a workload: ${WORKLOADS.join(', ')}`, COMMAND)
  if (positionals.length > 1) throw usageError(`one workload at a time, got '${positionals.join(' ')}'`, COMMAND)
  const workload = positionals[0] as Workload
  if (!WORKLOADS.includes(workload)) throw usageError(`unknown workload '${positionals[0]}': use one of ${WORKLOADS.join(', ')}`, COMMAND)

  const producerMode = parseProducerMode(values, workload)
  let target: TargetKind = producerMode === 'plain' ? 'server' : 'embedded'
  let brokers: Endpoint | undefined
  if (values.target !== undefined) {
    if (values.target !== 'embedded' && values.target !== 'server') throw usageError(`--target must be embedded or server, got '${values.target}' (use --brokers HOST:PORT for another broker)`, COMMAND)
    target = values.target
  }
  if (values.brokers !== undefined) {
    if (values.target !== undefined) throw usageError('--brokers and --target cannot be used together', COMMAND)
    if (!/^(\[[^\]]+\]|[^:[\]]+):\d+$/.test(values.brokers.trim())) throw usageError(`--brokers must be HOST:PORT, got '${values.brokers}'`, COMMAND)
    brokers = parseEndpoint(values.brokers, COMMAND)
    target = 'brokers'
  }
  if (values.memory === true && values.data !== undefined) throw usageError('--memory and --data cannot be used together', COMMAND)
  if (target !== 'brokers' && values['command-config'] !== undefined) throw usageError('--command-config applies to --brokers HOST:PORT', COMMAND)
  if (target === 'brokers' && (values.memory === true || values.data !== undefined)) throw usageError('--memory and --data apply to Millrace targets, not to --brokers', COMMAND)
  const dataDir = values.memory === true ? null : values.data
  if (producerMode !== 'plain' && target !== 'embedded') throw usageError(`--${producerMode} uses the library's ${producerMode} producer: it runs with --target embedded only`, COMMAND)

  const vs: PeerName[] = []
  if (values.vs !== undefined) {
    for (const name of values.vs.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      if (!PEERS.includes(name as PeerName)) throw usageError(`unknown peer '${name}' in --vs: use ${PEERS.join(', ')}`, COMMAND)
      if (!vs.includes(name as PeerName)) vs.push(name as PeerName)
    }
    if (vs.length === 0) throw usageError(`--vs needs a peer: ${PEERS.join(', ')}`, COMMAND)
  }

  const durationSec = positiveNumber('duration', values.duration, 24 * 3600)
  if (durationSec !== undefined && values.records !== undefined) throw usageError('--records and --duration cannot be used together', COMMAND)
  const recordsFlag = intFlag('records', values.records, DEFAULT_RECORDS, 1, Number.MAX_SAFE_INTEGER, COMMAND)
  let durationMs = durationSec === undefined ? undefined : Math.round(durationSec * 1000)
  if (workload === 'consume' && durationMs !== undefined) throw usageError('consume reads a fixed number of records: use --records, not --duration', COMMAND)
  let rate = positiveNumber('rate', values.rate, 100_000_000)
  if (workload === 'latency') {
    rate ??= DEFAULT_LATENCY_RATE
    if (values.records === undefined && durationMs === undefined) durationMs = DEFAULT_LATENCY_DURATION_MS
  }
  const records = durationMs === undefined ? recordsFlag : undefined

  const replicationFactor = intFlag('replication-factor', values['replication-factor'], 1, 1, 256, COMMAND)
  const compareReplication = values['compare-replication'] === true
  if (compareReplication && replicationFactor === 1) throw usageError('--compare-replication needs --replication-factor N above 1', COMMAND)
  if (compareReplication && values['compare-idempotent'] === true) throw usageError('--compare-replication and --compare-idempotent cannot be used together: each is the baseline of the ratios', COMMAND)
  if (replicationFactor > 1 && dataDir === null) throw usageError('--replication-factor above 1 needs data dirs, not --memory', COMMAND)

  // Replication is compared where it costs: acks=all waits for every in-sync replica.
  let acks = producerMode === 'plain' && !compareReplication ? 1 : -1
  if (producerMode !== 'plain' && values.acks !== undefined && values.acks !== 'all' && values.acks !== '-1') throw usageError(`--${producerMode} means acks=all: drop --acks or give --acks all`, COMMAND)
  if (values.acks !== undefined) {
    const map: Record<string, number> = { 0: 0, 1: 1, all: -1, '-1': -1 }
    if (!(values.acks in map)) throw usageError(`--acks must be 0, 1 or all, got '${values.acks}'`, COMMAND)
    acks = map[values.acks]
  }
  const durable = values.durable === true
  if (durable && values.acks !== undefined && acks !== -1) throw usageError('--durable means acks=all: drop --acks or give --acks all', COMMAND)
  if (durable) acks = -1
  if (durable && target === 'embedded' && dataDir === null) throw usageError('--durable needs a data dir, not --memory', COMMAND)
  if (durable && target === 'server' && dataDir === null) throw usageError('--durable needs a data dir, not --memory', COMMAND)

  const compressionName = values.compression ?? 'none'
  const compression = COMPRESSIONS[compressionName]
  if (compression === undefined) throw usageError(`--compression must be one of ${Object.keys(COMPRESSIONS).join(', ')}, got '${compressionName}'`, COMMAND)

  const profile = values.profile
  if (profile !== undefined && profile !== 'flame' && profile !== 'doctor') throw usageError(`--profile must be flame or doctor, got '${profile}'`, COMMAND)
  if (profile !== undefined && target !== 'server') throw usageError('--profile wraps the Millrace server this command starts: it cannot be used with --target embedded or --brokers', COMMAND)

  const recordBytes = intFlag('record-size', values['record-size'], 100, 0, MAX_RECORD_BYTES, COMMAND)
  const batchBytes = intFlag('batch-size', values['batch-size'], 128 * 1024, 1024, MAX_BATCH_BYTES, COMMAND)
  if (recordBytes + 100 > batchBytes) throw usageError(`--batch-size ${batchBytes} cannot hold one record of --record-size ${recordBytes}`, COMMAND)
  const latencyNeedsBytes = 8
  if (workload === 'latency' && recordBytes < latencyNeedsBytes) throw usageError(`latency puts a timestamp in each record: --record-size must be at least ${latencyNeedsBytes}`, COMMAND)

  const options: BenchOptions = {
    workload,
    records,
    durationMs,
    recordBytes,
    partitions: intFlag('partitions', values.partitions, 1, 1, 10_000, COMMAND),
    producers: intFlag('producers', values.producers, 1, 1, 64, COMMAND),
    consumers: intFlag('consumers', values.consumers, 1, 1, 64, COMMAND),
    acks,
    compression,
    compressionName,
    batchBytes,
    lingerMs: intFlag('linger-ms', values['linger-ms'], 1, 0, 10_000, COMMAND),
    inFlight: intFlag('in-flight', values['in-flight'], 8, 1, 1024, COMMAND),
    rate,
    runs: intFlag('runs', values.runs, 3, 1, 100, COMMAND),
    target,
    brokers,
    security: target === 'brokers' ? readClientSecurity(values['command-config'], COMMAND) : PLAINTEXT_SECURITY,
    dataDir,
    durable,
    topicConfig: durable ? { 'flush.messages': '1' } : {},
    vs,
    outDir: values.out ?? 'bench-results',
    jsonPath: values.json,
    htmlPath: values.html,
    profile,
    progress: values['no-progress'] !== true,
    producerMode,
    txnRecords: intFlag('txn-records', values['txn-records'], DEFAULT_TXN_RECORDS, 1, 1_000_000_000, COMMAND),
    compareIdempotent: values['compare-idempotent'] === true,
    replicationFactor,
    compareReplication
  }
  if (options.consumers > options.partitions && (workload === 'consume' || workload === 'mixed' || workload === 'latency')) {
    throw usageError(`--consumers ${options.consumers} is more than --partitions ${options.partitions}: each consumer reads its own partitions`, COMMAND)
  }
  return Object.freeze(options)
}
