/**
 * Library-mode consumer for assigned partitions. Long-polls the dispatcher (a fetch that finds
 * nothing waits for the next append, up to maxWaitMs) and decodes batches into messages.
 * Runs on the host's thread; the bytes it decodes were copied out of the ring by the dispatcher.
 */
import { MillraceError, invalidOption } from '../errors.js'
import { LogStatus } from '../log/errors.js'
import { forEachRecord } from '../protocol/record-batch.js'
import { ATTR_CONTROL, attributesOf, baseOffsetOf, batchSizeAt, lastOffsetDeltaOf } from '../protocol/batch-header.js'
import { LIST_OFFSET_EARLIEST, LIST_OFFSET_LATEST } from '../partition/frames.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import type { PartitionState } from '../dispatcher/topic-table.js'
import { isRetriable, statusError } from './status-error.js'

export interface ConsumerOptions {
  /** Longest a fetch waits for new records. Default 500 ms. */
  maxWaitMs?: number
  /** Most bytes fetched per partition per round. Default 1 MiB (Kafka's max.partition.fetch.bytes). */
  maxPartitionBytes?: number
  /** Where to go when a position falls outside the log: 'earliest', 'latest', or 'none' (throw). Default 'none'. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none'
}

export type StartOffset = bigint | number | 'earliest' | 'latest'

export interface Assignment {
  topic: string
  partition: number
  /** Default 'earliest'. */
  offset?: StartOffset
}

export interface ConsumerMessage {
  topic: string
  partition: number
  offset: bigint
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | null>
  timestamp: number
}

interface Position {
  readonly p: PartitionState
  /** Next offset to read, or a symbolic start not yet resolved. */
  offset: number | 'earliest' | 'latest'
}

export class Consumer implements AsyncIterable<ConsumerMessage> {
  readonly #dispatcher: Dispatcher
  readonly #maxWaitMs: number
  readonly #maxPartitionBytes: number
  readonly #reset: 'earliest' | 'latest' | 'none'
  #positions: Position[] = []
  #closed = false

  constructor (dispatcher: Dispatcher, options: ConsumerOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidOption('consumer options', 'must be an object')
    const maxWaitMs = options.maxWaitMs ?? 500
    if (!Number.isInteger(maxWaitMs) || maxWaitMs < 0) throw invalidOption('consumer options.maxWaitMs', 'must be an integer ≥ 0')
    const maxPartitionBytes = options.maxPartitionBytes ?? 1024 * 1024
    if (!Number.isInteger(maxPartitionBytes) || maxPartitionBytes < 1) throw invalidOption('consumer options.maxPartitionBytes', 'must be an integer ≥ 1')
    const reset = options.autoOffsetReset ?? 'none'
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') throw invalidOption('consumer options.autoOffsetReset', "must be 'earliest', 'latest' or 'none'")
    this.#dispatcher = dispatcher
    this.#maxWaitMs = maxWaitMs
    this.#maxPartitionBytes = maxPartitionBytes
    this.#reset = reset
  }

  /** Replaces the assignment. Throws for unknown topics or partitions and bad offsets. */
  assign (assignments: Assignment[]): void {
    if (!Array.isArray(assignments)) throw invalidOption('assign()', 'takes an array of { topic, partition, offset }')
    const positions: Position[] = []
    for (const [i, a] of assignments.entries()) {
      if (a === null || typeof a !== 'object') throw invalidOption(`assignments[${i}]`, 'must be an object')
      positions.push({ p: this.#partition(a.topic, a.partition), offset: startOffset(a.offset ?? 'earliest', `assignments[${i}].offset`) })
    }
    this.#positions = positions
  }

  /** Moves one assigned partition's position. */
  seek (target: { topic: string, partition: number, offset: StartOffset }): void {
    const p = this.#partition(target.topic, target.partition)
    const position = this.#positions.find((pos) => pos.p === p)
    if (position === undefined) throw invalidOption('seek()', `${target.topic}-${target.partition} is not assigned`)
    position.offset = startOffset(target.offset, 'seek offset')
  }

  /** The next offset to be read per assigned partition. */
  positions (): Array<{ topic: string, partition: number, offset: bigint | string }> {
    return this.#positions.map((pos) => ({ topic: pos.p.topic, partition: pos.p.partition, offset: typeof pos.offset === 'number' ? BigInt(pos.offset) : pos.offset }))
  }

  #partition (topic: string, partition: number): PartitionState {
    const t = this.#dispatcher.topic(topic)
    if (t === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${String(topic)}'`)
    const p = Number.isInteger(partition) ? t.partitions[partition] : undefined
    if (p === undefined) throw new MillraceError('MR_ERR_UNKNOWN_PARTITION', `partition ${String(partition)} does not exist: topic '${topic}' has ${t.partitions.length} partitions`)
    return p
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<ConsumerMessage> {
    while (!this.#closed) {
      const batch = await this.poll()
      for (const m of batch) yield m
    }
  }

  /** One fetch round over every assigned partition; waits up to maxWaitMs when nothing is there. */
  async poll (): Promise<ConsumerMessage[]> {
    for (;;) {
      if (this.#closed) return []
      if (this.#positions.length === 0) throw new MillraceError('MR_ERR_INVALID_OPTION', 'the consumer has no assigned partitions; call assign() first')
      const positions = this.#positions
      const rounds = await Promise.all(positions.map((pos) => this.#fetchOne(pos)))
      const out: ConsumerMessage[] = []
      for (const messages of rounds) for (const m of messages) out.push(m)
      if (out.length > 0 || this.#maxWaitMs === 0) return out
      await this.#dispatcher.waitForData(positions.map((pos) => pos.p), this.#maxWaitMs)
    }
  }

  async #resolve (pos: Position): Promise<number> {
    if (typeof pos.offset === 'number') return pos.offset
    const answer = await this.#dispatcher.listOffset(pos.p, pos.offset === 'earliest' ? LIST_OFFSET_EARLIEST : LIST_OFFSET_LATEST)
    if (answer.status !== LogStatus.Ok) throw statusError(answer.status, `list offsets of ${pos.p.topic}-${pos.p.partition}`)
    pos.offset = answer.a
    return answer.a
  }

  async #fetchOne (pos: Position): Promise<ConsumerMessage[]> {
    const p = pos.p
    const offset = await this.#resolve(pos)
    const answer = await this.#dispatcher.fetch(p, offset, this.#maxPartitionBytes)
    if (answer.status === LogStatus.OffsetOutOfRange && this.#reset !== 'none') {
      pos.offset = this.#reset
      return []
    }
    if (isRetriable(answer.status)) return [] // the worker restarts; the next round retries
    if (answer.status !== LogStatus.Ok) throw statusError(answer.status, `fetch ${p.topic}-${p.partition} at offset ${offset}`)
    const bytes = answer.bytes!
    const out: ConsumerMessage[] = []
    let next = offset
    for (let at = 0; at < bytes.length;) {
      const size = batchSizeAt(bytes, at)
      if (size < 0 || at + size > bytes.length) break
      if ((attributesOf(bytes, at) & ATTR_CONTROL) === 0) {
        forEachRecord(bytes, at, (recordOffset, timestamp, key, value, headers) => {
          // A fetch starts at the batch holding `offset`: skip the records before it.
          if (recordOffset >= offset) out.push(toMessage(p, recordOffset, timestamp, key, value, headers))
        })
      }
      next = Math.max(next, baseOffsetOf(bytes, at) + lastOffsetDeltaOf(bytes, at) + 1)
      at += size
    }
    if (pos.offset === offset) pos.offset = next
    return out
  }

  async close (): Promise<void> {
    this.#closed = true
  }
}

/** Shared by every message without headers; frozen so no caller can fill it for the others. */
const NO_HEADERS: Record<string, Buffer | null> = Object.freeze({}) as Record<string, Buffer | null>

function toMessage (p: PartitionState, offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, recordHeaders: Array<[string, Buffer | null]>): ConsumerMessage {
  let headers = NO_HEADERS
  if (recordHeaders.length > 0) {
    headers = {}
    for (const [k, v] of recordHeaders) headers[k] = v
  }
  return { topic: p.topic, partition: p.partition, offset: BigInt(offset), key, value, headers, timestamp }
}

function startOffset (offset: StartOffset, path: string): number | 'earliest' | 'latest' {
  if (offset === 'earliest' || offset === 'latest') return offset
  if (typeof offset === 'bigint') {
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidOption(path, 'must be a non-negative offset')
    return Number(offset)
  }
  if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset
  throw invalidOption(path, "must be a non-negative integer (bigint or number), 'earliest' or 'latest'")
}
