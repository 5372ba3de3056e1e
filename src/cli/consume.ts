/**
 * `millrace consume`: prints the records of a topic (all partitions, or one) through a format
 * string. Reads with long-poll Fetch from each partition's leader, without a consumer group,
 * so it commits nothing and works against any Kafka broker.
 *
 * It stops after --count records, after --timeout-ms without a record, or on SIGINT/SIGTERM
 * (exit code 0 in all three cases); otherwise it follows the topic.
 */
import { ApiKey } from '../protocol/api-keys.js'
import type { FetchResponse } from '../protocol/apis/fetch.js'
import { errorName, isRetriable, KafkaCode } from '../protocol/error-codes.js'
import { decodeBatches, type DecodedRecord } from '../protocol/record-batch.js'
import { CliError, COMMON_HELP, COMMON_OPTIONS, intFlag, parseFlags, usageError } from './args.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, topicError, withClient, type KafkaClient, type PartitionInfo, type TopicInfo } from './kafka-client.js'

export const CONSUME_USAGE = `Usage: millrace consume --topic TOPIC [options]

Prints records of a topic, one format string per record. Without --count or --timeout-ms it
follows the topic until interrupted.

Options:
  -t, --topic TOPIC      topic to read (required)
  -p, --partition N      read only partition N (default: every partition)
  --from-beginning       start at the earliest offset
  --from-end             start after the latest record (the default)
  -o, --offset N         start at offset N (needs --partition when the topic has several)
  -c, --count N          exit after N records
  --timeout-ms N         exit when no record arrived for N ms
  -f, --format FMT       output of each record (default '%v\\n'):
                           %k key   %v value   %p partition   %o offset
                           %t timestamp (ms)   %T topic   %h headers (k=v,...)   %% a '%'
                           \\n newline   \\t tab   \\r return   \\\\ backslash
${COMMON_HELP}
`

const COMMAND = 'consume'

/** Longest a Fetch waits at the broker for new records. */
const FETCH_MAX_WAIT_MS = 500
/** Per-partition bytes of one Fetch; doubled when a single batch does not fit. */
const PARTITION_MAX_BYTES = 1024 * 1024
const FETCH_MAX_BYTES = 50 * 1024 * 1024
/** Pause before asking for Metadata again after a retriable error (a leader moving). */
const RETRY_BACKOFF_MS = 200

const OPTIONS = {
  ...COMMON_OPTIONS,
  topic: { type: 'string', short: 't' },
  partition: { type: 'string', short: 'p' },
  'from-beginning': { type: 'boolean' },
  'from-end': { type: 'boolean' },
  offset: { type: 'string', short: 'o' },
  count: { type: 'string', short: 'c' },
  'timeout-ms': { type: 'string' },
  format: { type: 'string', short: 'f' }
} as const

// --- format strings

type Field = 'key' | 'value' | 'partition' | 'offset' | 'timestamp' | 'topic' | 'headers'
type Part = Buffer | Field

const PLACEHOLDERS: Readonly<Record<string, Field>> = { k: 'key', v: 'value', p: 'partition', o: 'offset', t: 'timestamp', T: 'topic', h: 'headers' }
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' }

/** Splits a format string into literal bytes and fields; throws a usage error on unknown ones. */
export function compileFormat (format: string): Part[] {
  const parts: Part[] = []
  let literal = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    const next = format[i + 1]
    if (c === '%' && next !== undefined && (next === '%' || PLACEHOLDERS[next] !== undefined)) {
      i++
      if (next === '%') { literal += '%'; continue }
      if (literal !== '') { parts.push(Buffer.from(literal)); literal = '' }
      parts.push(PLACEHOLDERS[next])
    } else if (c === '\\' && next !== undefined && ESCAPES[next] !== undefined) {
      i++
      literal += ESCAPES[next]
    } else if (c === '%') {
      throw usageError(`--format: unknown placeholder '%${next ?? ''}' (use %k %v %p %o %t %T %h or %%)`, COMMAND)
    } else {
      literal += c
    }
  }
  if (literal !== '') parts.push(Buffer.from(literal))
  return parts
}

function render (parts: readonly Part[], topic: string, partition: number, rec: DecodedRecord, out: Buffer[]): void {
  for (const part of parts) {
    if (typeof part !== 'string') { out.push(part); continue }
    switch (part) {
      case 'key': if (rec.key !== null) out.push(rec.key); break
      case 'value': if (rec.value !== null) out.push(rec.value); break
      case 'partition': out.push(Buffer.from(String(partition))); break
      case 'offset': out.push(Buffer.from(String(rec.offset))); break
      case 'timestamp': out.push(Buffer.from(String(rec.timestamp))); break
      case 'topic': out.push(Buffer.from(topic)); break
      case 'headers': out.push(Buffer.from(rec.headers.map(([k, v]) => v === null ? k : `${k}=${v.toString()}`).join(','))); break
    }
  }
}

// ---

type Start = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset', offset: number }

export async function runConsume (argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) { process.stdout.write(CONSUME_USAGE); return }
  if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0]}'`, COMMAND)
  const topicName = values.topic
  if (topicName === undefined || topicName === '') throw usageError('--topic is required', COMMAND)
  const starts = [values['from-beginning'] === true, values['from-end'] === true, values.offset !== undefined].filter(Boolean).length
  if (starts > 1) throw usageError('use only one of --from-beginning, --from-end and --offset', COMMAND)
  const start: Start = values['from-beginning'] === true
    ? { kind: 'earliest' }
    : values.offset !== undefined
      ? { kind: 'offset', offset: intFlag('offset', values.offset, 0, 0, Number.MAX_SAFE_INTEGER, COMMAND) }
      : { kind: 'latest' }
  const onlyPartition = values.partition === undefined ? undefined : intFlag('partition', values.partition, 0, 0, 0x7fffffff, COMMAND)
  const count = values.count === undefined ? Infinity : intFlag('count', values.count, 0, 1, Number.MAX_SAFE_INTEGER, COMMAND)
  const timeoutMs = values['timeout-ms'] === undefined ? Infinity : intFlag('timeout-ms', values['timeout-ms'], 0, 1, 0x7fffffff, COMMAND)
  const format = compileFormat(values.format ?? '%v\\n')
  await withClient(values, COMMAND, async (client) => {
    const topic = await client.topic(topicName)
    let partitions = topic.partitions
    if (onlyPartition !== undefined) {
      partitions = partitions.filter((p) => p.partition === onlyPartition)
      if (partitions.length === 0) throw new CliError(`partition ${onlyPartition} of topic '${topicName}' does not exist (it has ${topic.partitions.length})`)
    }
    if (start.kind === 'offset' && partitions.length > 1) throw usageError(`--offset needs --partition: topic '${topicName}' has ${partitions.length} partitions`, COMMAND)
    const positions = start.kind === 'offset'
      ? new Map(partitions.map((p) => [p.partition, start.offset]))
      : await client.offsets(topic, partitions, start.kind === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP)
    await new Reader(client, topic, partitions.map((p) => p.partition), positions, format, count, timeoutMs).run()
  })
}

/** The fetch loop: positions per partition, the stop conditions, and output with backpressure. */
class Reader {
  readonly #client: KafkaClient
  readonly #topicName: string
  readonly #partitions: readonly number[]
  readonly #positions: Map<number, number>
  readonly #format: readonly Part[]
  readonly #count: number
  readonly #timeoutMs: number
  #topic: TopicInfo
  #printed: number
  #lastRecordAt: number
  #partitionMaxBytes: number
  #stopping: boolean

  constructor (client: KafkaClient, topic: TopicInfo, partitions: number[], positions: Map<number, number>, format: Part[], count: number, timeoutMs: number) {
    this.#client = client
    this.#topicName = topic.name
    this.#partitions = partitions
    this.#positions = positions
    this.#format = format
    this.#count = count
    this.#timeoutMs = timeoutMs
    this.#topic = topic
    this.#printed = 0
    this.#lastRecordAt = Date.now()
    this.#partitionMaxBytes = PARTITION_MAX_BYTES
    this.#stopping = false
  }

  async run (): Promise<void> {
    const stop = (): void => { this.#stopping = true; this.#client.close() }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      while (!this.#stopping && this.#printed < this.#count) {
        const waitMs = Math.min(FETCH_MAX_WAIT_MS, this.#timeoutMs - (Date.now() - this.#lastRecordAt))
        if (waitMs <= 0) break
        let retry: boolean
        try {
          retry = await this.#fetchOnce(waitMs)
        } catch (err) {
          if (this.#stopping) break
          throw err
        }
        if (retry) {
          await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS))
          this.#topic = await this.#client.topic(this.#topicName)
        }
      }
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }

  /** One Fetch to each leader; prints what came back. True when metadata should be refreshed. */
  async #fetchOnce (waitMs: number): Promise<boolean> {
    const byLeader = new Map<number, PartitionInfo[]>()
    for (const p of this.#topic.partitions) {
      if (!this.#partitions.includes(p.partition)) continue
      const list = byLeader.get(p.leaderId)
      if (list === undefined) byLeader.set(p.leaderId, [p]); else list.push(p)
    }
    const responses = await Promise.all([...byLeader].map(async ([leaderId, list]) => {
      const conn = await this.#client.leader(leaderId)
      const { response } = await conn.request<FetchResponse>(ApiKey.Fetch, {
        replicaId: -1,
        maxWaitMs: waitMs,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{
          topic: this.#topicName,
          partitions: list.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: -1,
            fetchOffset: this.#positions.get(p.partition)!,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: this.#partitionMaxBytes
          }))
        }],
        forgottenTopicsData: [],
        rackId: ''
      }, { timeoutMs: conn.requestTimeoutMs + waitMs })
      return response
    }))
    let retry = false
    const out: Buffer[] = []
    for (const res of responses) {
      if (res.errorCode !== undefined && res.errorCode !== KafkaCode.NONE) throw new CliError(`Fetch failed: ${errorName(res.errorCode)}`)
      for (const t of res.responses) {
        for (const pd of t.partitions) {
          if (pd.errorCode !== KafkaCode.NONE) {
            if (pd.errorCode === KafkaCode.OFFSET_OUT_OF_RANGE) {
              throw new CliError(`offset ${this.#positions.get(pd.partitionIndex)} is out of range for partition ${pd.partitionIndex} of topic '${this.#topicName}'`)
            }
            if (pd.errorCode !== KafkaCode.UNKNOWN_TOPIC_OR_PARTITION && isRetriable(pd.errorCode)) { retry = true; continue }
            throw topicError(this.#topicName, `fetching partition ${pd.partitionIndex} of topic`, pd.errorCode)
          }
          this.#take(pd.partitionIndex, pd.records as Buffer | null, out)
          if (this.#printed >= this.#count) break
        }
      }
    }
    if (out.length > 0) await write(Buffer.concat(out))
    return retry
  }

  /** Renders the records of one partition's record set that are at or past its position. */
  #take (partition: number, records: Buffer | null, out: Buffer[]): void {
    if (records === null || records.length === 0) return
    const batches = decodeBatches(records)
    if (batches.length === 0) {
      // One batch larger than the partition limit (brokers before KIP-74 return it cut short).
      this.#partitionMaxBytes = Math.min(this.#partitionMaxBytes * 2, FETCH_MAX_BYTES)
      return
    }
    let position = this.#positions.get(partition)!
    for (const batch of batches) {
      if (!batch.isControl) {
        for (const rec of batch.records) {
          if (rec.offset < position) continue
          render(this.#format, this.#topicName, partition, rec, out)
          position = rec.offset + 1
          this.#lastRecordAt = Date.now()
          if (++this.#printed >= this.#count) { this.#positions.set(partition, position); return }
        }
      }
      position = Math.max(position, batch.baseOffset + batch.lastOffsetDelta + 1)
    }
    this.#positions.set(partition, position)
  }
}

function write (bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(bytes)) resolve(); else process.stdout.once('drain', resolve)
  })
}
