/**
 * `millrace produce`: each line of stdin becomes one record of a topic. Lines that arrive
 * together go out together, one Produce request per leader, each partition's records in one
 * batch; the next request waits for the previous one's answer, so the order of lines is the
 * order of offsets within each partition.
 *
 * Partition of a record: --partition when given; else the key's (Java client's murmur2 hash);
 * else one sticky partition per request, as the Java client does for records without a key.
 */
import { createInterface } from 'node:readline'
import { ApiKey } from '../protocol/api-keys.js'
import type { ProduceResponse } from '../protocol/apis/produce.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { BatchBuilder } from '../protocol/record-batch.js'
import { partitionForKey, StickyPartitioner } from '../client/partitioner.js'
import { CliError, COMMON_HELP, COMMON_OPTIONS, intFlag, parseFlags, usageError } from './args.js'
import { topicError, withClient, type KafkaClient, type TopicInfo } from './kafka-client.js'

export const PRODUCE_USAGE = `Usage: millrace produce --topic TOPIC [options] < lines

Sends each line of stdin as one record (the value, without the line ending).

Options:
  -t, --topic TOPIC          topic to write to (required; it must exist)
  -K, --key-separator SEP    text before the first SEP is the key, the rest the value;
                             a line without SEP has no key
  -p, --partition N          write every record to partition N (default: by key, or sticky)
  --acks 0|1|-1|all          acknowledgement to wait for (default -1: all in-sync replicas)
${COMMON_HELP}
`

const COMMAND = 'produce'

/** Lines taken into one request, by bytes; stays under Kafka's default max.request.size (1 MiB). */
const MAX_REQUEST_LINE_BYTES = 512 * 1024
/** Pending lines past which stdin is paused until requests catch up. */
const MAX_PENDING_LINES = 100_000

const OPTIONS = {
  ...COMMON_OPTIONS,
  topic: { type: 'string', short: 't' },
  'key-separator': { type: 'string', short: 'K' },
  partition: { type: 'string', short: 'p' },
  acks: { type: 'string' }
} as const

function parseAcks (value: string | undefined): number {
  if (value === undefined || value === 'all' || value === '-1') return -1
  if (value === '0') return 0
  if (value === '1') return 1
  throw usageError(`--acks must be 0, 1, -1 or all, got '${value}'`, COMMAND)
}

export async function runProduce (argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) { process.stdout.write(PRODUCE_USAGE); return }
  if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0]}'`, COMMAND)
  const topicName = values.topic
  if (topicName === undefined || topicName === '') throw usageError('--topic is required', COMMAND)
  const separator = values['key-separator']
  if (separator === '') throw usageError('--key-separator must not be empty', COMMAND)
  const acks = parseAcks(values.acks)
  const fixedPartition = values.partition === undefined ? undefined : intFlag('partition', values.partition, 0, 0, 0x7fffffff, COMMAND)
  await withClient(values, COMMAND, async (client) => {
    const topic = await client.topic(topicName)
    if (fixedPartition !== undefined && !topic.partitions.some((p) => p.partition === fixedPartition)) {
      throw new CliError(`partition ${fixedPartition} of topic '${topicName}' does not exist (it has ${topic.partitions.length})`)
    }
    const sender = new Sender(client, topic, acks, separator, fixedPartition)
    await readLines(async (lines) => await sender.send(lines))
  })
}

/**
 * Calls `send` with the lines read so far, one call at a time, until stdin ends. Lines that
 * arrive while a call runs wait for the next one.
 */
async function readLines (send: (lines: string[]) => Promise<void>): Promise<void> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  const pending: string[] = []
  let ended = false
  let paused = false
  let wake: (() => void) | null = null
  rl.on('line', (line) => {
    pending.push(line)
    if (pending.length >= MAX_PENDING_LINES && !paused) { paused = true; rl.pause() }
    wake?.()
  })
  rl.on('close', () => { ended = true; wake?.() })
  try {
    for (;;) {
      if (pending.length === 0) {
        if (ended) return
        await new Promise<void>((resolve) => { wake = resolve })
        wake = null
        continue
      }
      let take = 0
      let bytes = 0
      while (take < pending.length && (take === 0 || bytes < MAX_REQUEST_LINE_BYTES)) bytes += pending[take++].length
      const lines = pending.splice(0, take)
      await send(lines)
      if (paused && pending.length < MAX_PENDING_LINES / 2) { paused = false; rl.resume() }
    }
  } finally {
    rl.close()
    process.stdin.destroy()
  }
}

class Sender {
  readonly #client: KafkaClient
  readonly #topic: TopicInfo
  readonly #acks: number
  readonly #separator: string | undefined
  readonly #fixedPartition: number | undefined
  readonly #sticky: StickyPartitioner
  readonly #leaderOf: Map<number, number>

  constructor (client: KafkaClient, topic: TopicInfo, acks: number, separator: string | undefined, fixedPartition: number | undefined) {
    this.#client = client
    this.#topic = topic
    this.#acks = acks
    this.#separator = separator
    this.#fixedPartition = fixedPartition
    this.#sticky = new StickyPartitioner()
    this.#leaderOf = new Map(topic.partitions.map((p) => [p.partition, p.leaderId]))
  }

  async send (lines: string[]): Promise<void> {
    const batches = new Map<number, BatchBuilder>()
    const now = Date.now()
    const count = this.#topic.partitions.length
    for (const line of lines) {
      let key: Buffer | null = null
      let value = line
      if (this.#separator !== undefined) {
        const at = line.indexOf(this.#separator)
        if (at >= 0) {
          key = Buffer.from(line.slice(0, at))
          value = line.slice(at + this.#separator.length)
        }
      }
      const partition = this.#fixedPartition ?? (key !== null ? partitionForKey(key, count) : this.#sticky.partition(this.#topic.name, count))
      let batch = batches.get(partition)
      if (batch === undefined) { batch = new BatchBuilder(); batches.set(partition, batch) }
      batch.append(now, key, Buffer.from(value))
    }
    this.#sticky.onBatchSent(this.#topic.name)
    const byLeader = new Map<number, Array<{ index: number, records: Buffer }>>()
    for (const [partition, batch] of batches) {
      const leaderId = this.#leaderOf.get(partition) ?? -1
      const list = byLeader.get(leaderId) ?? []
      list.push({ index: partition, records: batch.build() })
      byLeader.set(leaderId, list)
    }
    await Promise.all([...byLeader].map(async ([leaderId, partitionData]) => {
      const conn = await this.#client.leader(leaderId)
      const request = { transactionalId: null, acks: this.#acks, timeoutMs: conn.requestTimeoutMs, topicData: [{ name: this.#topic.name, partitionData }] }
      if (this.#acks === 0) { await conn.send(ApiKey.Produce, request); return }
      const { response } = await conn.request<ProduceResponse>(ApiKey.Produce, request)
      for (const t of response.responses) {
        for (const p of t.partitionResponses) {
          if (p.errorCode !== KafkaCode.NONE) throw topicError(this.#topic.name, `producing to partition ${p.index} of topic`, p.errorCode, p.errorMessage)
        }
      }
    }))
  }
}
