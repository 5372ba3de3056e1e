/**
 * Library-mode producer. Runs on the host's thread: it encodes record batches v2 itself
 * (linger and batch size, like Kafka's producers) and hands the bytes to the dispatcher,
 * which writes them into the partition worker's ring. No disk I/O here.
 *
 * Idempotent (`idempotent: true`): the producer gets an id from the coordinator on its first
 * send and stamps each batch with it, its epoch and the partition's next sequence. A batch is
 * retried only after the batches before it on its partition have settled, so retries keep
 * their order; a retry of a batch the log already holds is answered with its first offsets.
 *
 * Transactional (`transactionalId`): idempotent, and every send happens between
 * beginTransaction() and commitTransaction()/abortTransaction(); the coordinator calls are in
 * transaction-session.ts. Batches are flagged transactional, and each partition is added to the
 * transaction before its first batch.
 */
import { MillraceError, invalidOption } from '../errors.js'
import { LogStatus } from '../log/errors.js'
import { BatchBuilder, maxRecordBytes } from '../protocol/record-batch.js'
import { BATCH_HEADER_BYTES } from '../protocol/batch-header.js'
import { Compression } from '../protocol/compression.js'
import { defaultLogConfig } from '../log/config.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import type { PartitionState, TopicState } from '../dispatcher/topic-table.js'
import { CHECKS } from '../security/api-operations.js'
import type { LibraryCheck } from '../security/library-access.js'
import { partitionForKey, StickyPartitioner } from './partitioner.js'
import { isRetriable, statusError } from './status-error.js'
import { addSequence } from '../log/producer-state.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { TransactionSession, type TxnOffset } from './transaction-session.js'
import type { Consumer } from './consumer.js'

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface ProducerOptions {
  /** 0: do not wait; 1 or -1 (all): resolve after the partition appended (and fsynced if its flush policy says so). */
  acks?: 0 | 1 | -1
  /** How long records wait for more to join their batch. Default 0: batches close at the end of the current tick. */
  lingerMs?: number
  /**
   * Bytes of records per batch (before compression). A batch is sent before the next record
   * would take it past this, past the topic's max.message.bytes or past what a partition's ring
   * takes, so no batch is ever refused for its size. Default 128 KiB.
   */
  batchSize?: number
  compression?: CompressionName
  /** Attempts after a retriable failure (a worker restarting). Default 5. */
  retries?: number
  retryBackoffMs?: number
  /** Each batch is written once even when retried (Kafka's enable.idempotence); needs acks -1. Default false. */
  idempotent?: boolean
  /** Makes the producer transactional (Kafka's transactional.id); implies idempotent, needs acks -1. */
  transactionalId?: string
  /** Kafka's transaction.timeout.ms: an open transaction is aborted by the broker after this long. Default 60000. */
  transactionTimeoutMs?: number
}

export interface SendOffsetsRequest {
  /** The consumer whose group commits the offsets; or name the group with `groupId`. */
  consumer?: Consumer
  groupId?: string
  /** The next offsets to consume (the last processed offset + 1), as Kafka commits them. */
  offsets: TxnOffset[]
}

export interface ProducerMessage {
  key?: string | Uint8Array | null
  value: string | Uint8Array | null
  headers?: Record<string, string | Uint8Array | null>
  partition?: number
  timestamp?: number | bigint
}

export interface SendRequest {
  topic: string
  messages: ProducerMessage[]
}

export interface RecordMetadata {
  topic: string
  partition: number
  /** Offset of the first of this send's records in the partition (-1n with acks=0). */
  baseOffset: bigint
}

/** A batch of an idempotent producer on its way; the next batch of the partition may wait for it. */
interface InFlight {
  done: Promise<void>
  settled: boolean
}

const CODECS: Record<CompressionName, Compression> = {
  none: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4, zstd: Compression.Zstd
}

/** One send() call's share of a batch: where its records start, and who to tell. */
interface Share {
  firstIndex: number
  /** `baseOffset` null: not known (acks=0). */
  settle: (baseOffset: number | null, err: Error | null) => void
}

interface Accumulator {
  readonly p: PartitionState
  readonly builder: BatchBuilder
  /** The producer id generation the batch was stamped with (idempotent only; else 0). */
  readonly generation: number
  readonly baseSequence: number
  shares: Share[]
  /** The send() that last added a share here, so each send takes one share per batch. */
  lastSendId: number
}

/**
 * The default batchSize. Throughput of `bench produce --target embedded` was flat from 128 KiB
 * to 1 MiB batches (README figures), and smaller batches hold less memory per open partition.
 */
const DEFAULT_BATCH_BYTES = 128 * 1024

/**
 * Room left in a batch for what compression adds to bytes that do not compress: about 0.4% for
 * zstd and lz4 frames (their compress bounds), less for gzip and snappy's framing.
 */
function compressionSlack (compression: Compression, bytes: number): number {
  return compression === Compression.None ? 0 : Math.ceil(bytes / 128) + 64
}

function byteLengthOf (value: string | Uint8Array | null | undefined): number {
  if (value === null || value === undefined) return 0
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length
}

/** The most bytes message `m` takes in a batch (checked before any record of a send is built). */
function messageBytesBound (m: ProducerMessage): number {
  let headerCount = 0
  let headerBytes = 0
  if (m.headers !== undefined) {
    for (const name in m.headers) {
      headerCount++
      headerBytes += Buffer.byteLength(name) + byteLengthOf(m.headers[name])
    }
  }
  return maxRecordBytes(byteLengthOf(m.key), byteLengthOf(m.value), headerCount, headerBytes)
}

function toBytes (value: string | Uint8Array | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? Buffer.from(value) : value
}

function integerOption (path: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw invalidOption(path, `must be an integer ≥ ${min}`)
  return value
}

export class Producer {
  readonly #dispatcher: Dispatcher
  /** Set when the producer acts as a principal (broker.producer({ principal })). */
  readonly #check: LibraryCheck | undefined
  readonly #acks: 0 | 1 | -1
  readonly #lingerMs: number
  readonly #batchSize: number
  readonly #compression: Compression
  readonly #retries: number
  readonly #retryBackoffMs: number
  readonly #sticky = new StickyPartitioner()
  readonly #open = new Map<number, Accumulator>()
  readonly #inFlight = new Set<Promise<void>>()
  /** Partition of each message of the send in progress; reused across sends. */
  #placement = new Int32Array(1024)
  /** The most bytes each message of the send in progress takes in a batch; reused across sends. */
  #bounds = new Float64Array(1024)
  #sendCount = 0
  #lingerTimer: NodeJS.Timeout | NodeJS.Immediate | undefined
  #closed = false
  readonly #idempotent: boolean
  /** Producer id and epoch (idempotent only), -1 until the coordinator gave one. */
  #producerId = -1
  #producerEpoch = -1
  /** Bumped whenever a new producer id is taken: batches stamped before go on with the old one. */
  #generation = 0
  #identity: Promise<void> | null = null
  /** Next sequence per partition id, for the current producer id. */
  readonly #sequences = new Map<number, number>()
  /** The last batch sent to each partition: a retry waits for the batches before it. */
  readonly #tails = new Map<number, InFlight>()
  /** Null unless transactional. */
  readonly #session: TransactionSession | null
  /** A batch of the open transaction failed: it can only be aborted. */
  #txnBatchFailure: Error | null = null

  constructor (dispatcher: Dispatcher, options: ProducerOptions = {}, check?: LibraryCheck) {
    if (options === null || typeof options !== 'object') throw invalidOption('producer options', 'must be an object')
    const acks = options.acks ?? -1
    if (acks !== 0 && acks !== 1 && acks !== -1) throw invalidOption('producer options.acks', 'must be 0, 1 or -1')
    const compression = options.compression ?? 'none'
    if (!(compression in CODECS)) throw invalidOption('producer options.compression', 'must be one of none, gzip, snappy, lz4, zstd')
    this.#dispatcher = dispatcher
    this.#check = check
    this.#acks = acks
    this.#lingerMs = integerOption('producer options.lingerMs', options.lingerMs, 0, 0)
    this.#batchSize = integerOption('producer options.batchSize', options.batchSize, 1, DEFAULT_BATCH_BYTES)
    this.#compression = CODECS[compression]
    this.#retries = integerOption('producer options.retries', options.retries, 0, 5)
    this.#retryBackoffMs = integerOption('producer options.retryBackoffMs', options.retryBackoffMs, 0, 100)
    const transactionalId = options.transactionalId
    if (transactionalId !== undefined && (typeof transactionalId !== 'string' || transactionalId.length === 0)) throw invalidOption('producer options.transactionalId', 'must be a non-empty string')
    const transactionTimeoutMs = integerOption('producer options.transactionTimeoutMs', options.transactionTimeoutMs, 1, 60_000)
    const idempotent = options.idempotent ?? transactionalId !== undefined
    if (typeof idempotent !== 'boolean') throw invalidOption('producer options.idempotent', 'must be a boolean')
    if (transactionalId !== undefined && !idempotent) throw invalidOption('producer options.idempotent', 'must be true when transactionalId is set')
    if (idempotent && acks !== -1) throw invalidOption('producer options.acks', `must be -1 (all) when ${transactionalId !== undefined ? 'transactionalId is set' : 'idempotent is true'}`)
    this.#idempotent = idempotent
    this.#session = transactionalId === undefined ? null : new TransactionSession(dispatcher, transactionalId, transactionTimeoutMs)
  }

  /** Takes a producer id from the coordinator (once per generation; concurrent sends share the call). */
  #ensureIdentity (): Promise<void> {
    this.#identity ??= (async () => {
      const session = this.#session
      if (session !== null) {
        await session.init()
        this.#producerId = session.producerId
        this.#producerEpoch = session.producerEpoch
        this.#generation++
        this.#sequences.clear()
        return
      }
      const coordinator = await this.#dispatcher.coordinator()
      const res = await coordinator.initProducerId({ producerId: -1, producerEpoch: -1 })
      if (res.errorCode !== KafkaCode.NONE) {
        throw new MillraceError('MR_ERR_KAFKA', `could not get a producer id: Kafka error ${res.errorCode}`, { kafkaCode: res.errorCode, retriable: true })
      }
      this.#producerId = res.producerId
      this.#producerEpoch = res.producerEpoch
      this.#generation++
      this.#sequences.clear()
    })().catch((err: unknown) => {
      this.#identity = null
      throw err
    })
    return this.#identity
  }

  /** After a batch failed for good its partition's sequence has a gap: the next send takes a new id. */
  #dropIdentity (generation: number): void {
    // A transactional producer keeps its epoch: a new one would fence itself; the transaction is aborted instead.
    if (this.#session !== null) return
    if (generation === this.#generation) this.#identity = null
  }

  async send (request: SendRequest): Promise<RecordMetadata[]> {
    if (this.#closed) throw new MillraceError('MR_ERR_CLOSED', 'the producer is closed')
    if (request === null || typeof request !== 'object') throw invalidOption('send request', 'must be an object with topic and messages')
    const { topic: name, messages } = request
    const topic = this.#dispatcher.topic(name)
    if (topic === undefined) {
      if (typeof name !== 'string') throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', 'send request.topic must be a topic name')
      throw this.#dispatcher.offlineTopicError(name) ?? new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${name}'`)
    }
    if (!Array.isArray(messages) || messages.length === 0) throw invalidOption('send request.messages', 'must be a non-empty array')
    if (this.#session !== null && !this.#session.inTransaction) {
      throw new MillraceError('MR_ERR_INVALID_TXN_STATE', `transactional id '${this.#session.transactionalId}': send needs an open transaction (beginTransaction first)`)
    }
    this.#check?.(CHECKS.produce.topic, topic.name)
    if (this.#idempotent && this.#identity === null) {
      await this.#ensureIdentity()
      if (this.#closed) throw new MillraceError('MR_ERR_CLOSED', 'the producer is closed')
    } else if (this.#idempotent) {
      await this.#identity
    }
    const count = topic.partitions.length
    const now = Date.now()
    const largestBatch = this.#largestBatchBytes(topic)
    const batchLimit = Math.min(this.#batchSize, largestBatch)
    // Validate and place every message before any is appended, so a bad one fails the whole send.
    const partitions = this.#placement.length >= messages.length ? this.#placement : (this.#placement = new Int32Array(messages.length * 2))
    const bounds = this.#bounds.length >= messages.length ? this.#bounds : (this.#bounds = new Float64Array(messages.length * 2))
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]
      if (m === null || typeof m !== 'object') throw invalidOption(`messages[${i}]`, 'must be an object')
      if (m.partition !== undefined) {
        if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= count) {
          throw new MillraceError('MR_ERR_UNKNOWN_PARTITION', `messages[${i}].partition ${String(m.partition)} does not exist: topic '${name}' has ${count} partitions`)
        }
        partitions[i] = m.partition
      } else {
        const key = toBytes(m.key)
        partitions[i] = key === null ? this.#sticky.partition(name, count) : partitionForKey(key, count)
      }
      if (m.timestamp !== undefined) {
        const timestamp = Number(m.timestamp)
        if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalidOption(`messages[${i}].timestamp`, 'must be a non-negative integer (ms)')
      }
      if (m.headers !== undefined && (m.headers === null || typeof m.headers !== 'object')) throw invalidOption(`messages[${i}].headers`, 'must be an object')
      bounds[i] = messageBytesBound(m)
      if (BATCH_HEADER_BYTES + bounds[i] > largestBatch) {
        throw new MillraceError('MR_ERR_RECORD_TOO_LARGE',
          `messages[${i}] takes up to ${BATCH_HEADER_BYTES + bounds[i]} bytes as a batch of its own, more than topic '${name}' takes ` +
          `(${largestBatch} bytes: max.message.bytes and the partition ring, less room for compression); nothing of this send was written`)
      }
    }

    if (this.#session !== null) {
      // Every partition joins the transaction before its first batch is built (AddPartitionsToTxn).
      const touched: Array<{ topic: string, partition: number }> = []
      const seen = new Set<number>()
      for (let i = 0; i < messages.length; i++) if (!seen.has(partitions[i])) { seen.add(partitions[i]); touched.push({ topic: name, partition: partitions[i] }) }
      await this.#session.addPartitions(touched)
    }
    // Each batch this send's records land in gets a share; the send resolves when all are acknowledged.
    const sendId = ++this.#sendCount
    const firstOffsets = new Map<number, Promise<number>>()
    const all: Array<Promise<number>> = []
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]
      const p = topic.partitions[partitions[i]]
      let acc = this.#open.get(p.id)
      // Sealed before the record that would take it past the limit, never after.
      if (acc !== undefined && acc.builder.recordCount > 0 && acc.builder.sizeBytes + bounds[i] > batchLimit) {
        this.#seal(acc)
        acc = undefined
      }
      if (acc === undefined) {
        acc = this.#accumulator(p)
        this.#open.set(p.id, acc)
      }
      if (acc.lastSendId !== sendId) {
        acc.lastSendId = sendId
        const firstIndex = acc.builder.recordCount
        const shares = acc.shares
        const acked = new Promise<number>((resolve, reject) => {
          shares.push({ firstIndex, settle: (base, err) => err === null ? resolve(base === null ? -1 : base + firstIndex) : reject(err) })
        })
        all.push(acked)
        if (!firstOffsets.has(p.id)) firstOffsets.set(p.id, acked)
      }
      const headers = m.headers === undefined ? undefined : Object.entries(m.headers).map(([k, v]): [string, Uint8Array | null] => [k, toBytes(v)])
      acc.builder.append(m.timestamp === undefined ? now : Number(m.timestamp), toBytes(m.key), toBytes(m.value), headers)
      if (acc.builder.sizeBytes >= batchLimit) this.#seal(acc)
    }
    this.#scheduleLinger()
    await Promise.all(all)
    const out: RecordMetadata[] = []
    for (const [id, first] of firstOffsets) {
      const p = this.#dispatcher.topics.partitionById(id)
      out.push({ topic: name, partition: p?.partition ?? -1, baseOffset: BigInt(await first) })
    }
    return out
  }

  /**
   * The largest batch (before compression) this producer builds for `topic`: the topic's
   * max.message.bytes, or less when a partition's ring frame holds less, less the room
   * compression may add.
   */
  #largestBatchBytes (topic: TopicState): number {
    const configured = topic.overrides['max.message.bytes'] ?? this.#dispatcher.config.topicDefaults['max.message.bytes']
    const maxMessageBytes = configured === undefined ? defaultLogConfig.maxMessageBytes : Number(configured)
    const limit = Math.min(maxMessageBytes, this.#dispatcher.maxAppendBytes)
    return limit - compressionSlack(this.#compression, limit)
  }

  #accumulator (p: PartitionState): Accumulator {
    if (!this.#idempotent) return { p, builder: new BatchBuilder({ compression: this.#compression }), generation: 0, baseSequence: -1, shares: [], lastSendId: 0 }
    // One open batch per partition, sealed before the next is opened: sequences follow in order.
    const baseSequence = this.#sequences.get(p.id) ?? 0
    const builder = new BatchBuilder({ compression: this.#compression, producerId: this.#producerId, producerEpoch: this.#producerEpoch, baseSequence, transactional: this.#session !== null })
    return { p, builder, generation: this.#generation, baseSequence, shares: [], lastSendId: 0 }
  }

  #scheduleLinger (): void {
    if (this.#lingerTimer !== undefined || this.#open.size === 0) return
    const fire = (): void => { this.#lingerTimer = undefined; this.#sealAll() }
    this.#lingerTimer = this.#lingerMs === 0 ? setImmediate(fire) : setTimeout(fire, this.#lingerMs)
  }

  #sealAll (): void {
    for (const acc of [...this.#open.values()]) this.#seal(acc)
  }

  /** Closes the accumulator's batch and sends it. */
  #seal (acc: Accumulator): void {
    this.#open.delete(acc.p.id)
    if (acc.builder.recordCount === 0) return
    if (this.#idempotent && acc.generation === this.#generation) this.#sequences.set(acc.p.id, addSequence(acc.baseSequence, acc.builder.recordCount))
    const bytes = acc.builder.build()
    const shares = acc.shares
    if (acc.p.partition >= 0) this.#sticky.onBatchSent(acc.p.topic)
    const sending = this.#idempotent ? this.#deliverInOrder(acc, bytes, shares) : this.#deliver(acc.p, bytes, shares)
    this.#inFlight.add(sending)
    void sending.finally(() => this.#inFlight.delete(sending))
  }

  async #deliver (p: PartitionState, bytes: Buffer, shares: Share[]): Promise<void> {
    const where = `produce to ${p.topic}-${p.partition}`
    if (bytes.length > this.#dispatcher.maxAppendBytes) {
      const err = statusError(LogStatus.RecordTooLarge, where)
      for (const s of shares) s.settle(null, err)
      return
    }
    if (this.#acks === 0) {
      for (const s of shares) s.settle(null, null)
      await this.#dispatcher.append(p, bytes)
      return
    }
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#dispatcher.append(p, bytes, this.#acks)
      if (answer.status === LogStatus.Ok) {
        for (const s of shares) s.settle(answer.baseOffset, null)
        return
      }
      if (!isRetriable(answer.status) || attempt >= this.#retries || this.#closed) {
        const err = statusError(answer.status, where, answer.fault?.message ?? null)
        for (const s of shares) s.settle(null, err)
        return
      }
      await new Promise((resolve) => setTimeout(resolve, this.#retryBackoffMs * (attempt + 1)))
    }
  }

  /**
   * Idempotent delivery: a failed batch is retried only once every earlier batch of its
   * partition has settled, and OUT_OF_ORDER_SEQUENCE_NUMBER is retried while an earlier batch
   * is still pending (this batch overtook a retry). A final failure drops the producer id.
   */
  async #deliverInOrder (acc: Accumulator, bytes: Buffer, shares: Share[]): Promise<void> {
    const p = acc.p
    const where = `produce to ${p.topic}-${p.partition}`
    const previous = this.#tails.get(p.id) ?? null
    const self: InFlight = { done: null as unknown as Promise<void>, settled: false }
    let finish!: () => void
    self.done = new Promise<void>((resolve) => { finish = resolve })
    this.#tails.set(p.id, self)
    try {
      if (bytes.length > this.#dispatcher.maxAppendBytes) {
        this.#fail(acc, shares, statusError(LogStatus.RecordTooLarge, where))
        return
      }
      for (let attempt = 0; ; attempt++) {
        const answer = await this.#dispatcher.append(p, bytes, this.#acks)
        if (answer.status === LogStatus.Ok) {
          for (const s of shares) s.settle(answer.baseOffset, null)
          return
        }
        const overtaken = answer.status === LogStatus.OutOfOrderSequence && previous !== null && !previous.settled
        if ((!isRetriable(answer.status) && !overtaken) || attempt >= this.#retries || this.#closed) {
          this.#fail(acc, shares, statusError(answer.status, where, answer.fault?.message ?? null))
          return
        }
        if (previous !== null) await previous.done
        await new Promise((resolve) => setTimeout(resolve, this.#retryBackoffMs * (attempt + 1)))
      }
    } finally {
      self.settled = true
      if (this.#tails.get(p.id) === self) this.#tails.delete(p.id)
      finish()
    }
  }

  #fail (acc: Accumulator, shares: Share[], err: Error): void {
    if (this.#session !== null) this.#txnBatchFailure ??= err
    this.#dropIdentity(acc.generation)
    for (const s of shares) s.settle(null, err)
  }

  /** Sends every open batch now and waits for all batches in flight. */
  async flush (): Promise<void> {
    if (this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer as NodeJS.Timeout)
      clearImmediate(this.#lingerTimer as NodeJS.Immediate)
      this.#lingerTimer = undefined
    }
    this.#sealAll()
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  // --- transactions (transactionalId only)

  /** Starts a transaction; the first call also registers the producer (fencing older ones with the same id). */
  async beginTransaction (): Promise<void> {
    const session = this.#transactional('beginTransaction')
    if (!session.initialised) await this.#ensureIdentity()
    session.begin()
    this.#txnBatchFailure = null
  }

  /** Adds a consumer group's offsets to the transaction: committed with it, dropped if it aborts (exactly-once copy). */
  async sendOffsets (request: SendOffsetsRequest): Promise<void> {
    const session = this.#transactional('sendOffsets')
    if (request === null || typeof request !== 'object') throw invalidOption('sendOffsets request', 'must be an object with consumer or groupId, and offsets')
    const groupId = request.groupId ?? request.consumer?.groupId ?? null
    if (typeof groupId !== 'string' || groupId.length === 0) throw invalidOption('sendOffsets request', 'needs groupId or a consumer with a groupId')
    if (!Array.isArray(request.offsets)) throw invalidOption('sendOffsets request.offsets', 'must be an array')
    await session.sendOffsets(groupId, request.offsets)
  }

  /** Sends what is pending, then commits: resolves once the broker has decided the commit (PrepareCommit written). */
  async commitTransaction (): Promise<void> {
    const session = this.#transactional('commitTransaction')
    await this.flush()
    if (this.#txnBatchFailure !== null) {
      throw new MillraceError('MR_ERR_INVALID_TXN_STATE', `transactional id '${session.transactionalId}': a batch of this transaction failed; abort it`, { cause: this.#txnBatchFailure })
    }
    await session.end(true)
  }

  /** Waits for batches in flight, then aborts: nothing sent in the transaction is ever read by read_committed consumers. */
  async abortTransaction (): Promise<void> {
    const session = this.#transactional('abortTransaction')
    await this.flush()
    this.#txnBatchFailure = null
    await session.end(false)
  }

  #transactional (what: string): TransactionSession {
    if (this.#closed) throw new MillraceError('MR_ERR_CLOSED', 'the producer is closed')
    if (this.#session === null) throw new MillraceError('MR_ERR_INVALID_TXN_STATE', `${what} needs a transactional producer (producer options.transactionalId)`)
    return this.#session
  }

  async close (): Promise<void> {
    if (this.#closed) return
    await this.flush()
    this.#closed = true
  }
}
