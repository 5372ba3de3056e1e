/**
 * WorkerLink: the dispatcher's end of one partition worker: its thread, its two rings, its
 * comlink control proxy, and the requests in flight to it.
 *
 * Thread: the dispatcher's. Requests are written into the request ring in call order (a FIFO
 * of waiting senders keeps per-partition order when the ring is full: backpressure, bounded by
 * the callers that wait). Responses are drained by one loop that waits with Atomics.waitAsync.
 * When the thread dies, every request in flight is answered WorkerFault (retriable) and
 * `onExit` tells the owner, which restarts the worker and reopens its partitions.
 *
 * Replication: the replica fetcher reads from a leader with `fetch(…, ISOLATION_REPLICA)` and
 * copies with `replicaAppend`; the controller moves leaders' high watermarks with
 * `setHighWatermark` and roles with the control calls. The worker's control block gives the
 * supervisor its `heartbeat()` and `fence()` without a message to a thread that may be stuck.
 */
import { MessageChannel, Worker } from 'node:worker_threads'
import { claimEarlyWorker, PARTITION_WORKER_URL } from './early-workers.js'
import { threadOptions } from './thread-options.js'
import { remoteOn, type Remote } from '../control/comlink.js'
import { createRing, maxFrameBytes, RING_OPEN, RingReader, RingWriter, ringCapacity, ringUsedBytes } from '../ring/ring.js'
import type { PartitionControl } from '../partition/partition-host.js'
import { LogStatus } from '../log/errors.js'
import { relayWorkerLogs, type Logger } from '../logger.js'
import { CallsInFlight } from './calls-in-flight.js'
import { ControlBlock, createControlBlock } from '../partition/control-block.js'
import {
  ABORTED_ENTRY_BYTES, type AppendFault, FrameType, kA, kArg, kB, kFlags, kPartition, kRequestId, kRespA, kRespB, kRespHw, kRespLeo, kRespLogStart,
  kRespStable, kStatus, kType, MARKER_COMMIT, readAppendFault, REQUEST_HEADER_BYTES, RESPONSE_HEADER_BYTES
} from '../partition/frames.js'

/** How long `hang` waits for the worker to report it is blocked before giving up. */
const HANG_START_TIMEOUT_MS = 5000

/** Backstop for a missed notify: the response loop re-checks the ring at least this often. */
const RESPONSE_WAIT_MS = 1000

/** One aborted transaction a read_committed fetch lists (Kafka's FetchResponse AbortedTransaction). */
export interface AbortedTransaction {
  producerId: number
  firstOffset: number
}

/** What every partition answer carries. `bytes` is set for fetches only (a copy out of the ring). */
export interface PartitionAnswer {
  status: LogStatus
  /** append: base offset; fetch: last stable offset; list-offset: offset; delete-records: log start; txn-marker: marker offset. */
  a: number
  /** append: log append time; list-offset: timestamp. */
  b: number
  highWatermark: number
  logStartOffset: number
  logEndOffset: number
  /** The partition's last stable offset (the high watermark while no transaction is open). */
  lastStableOffset: number
  bytes: Buffer | null
  /** A refused append's reason and the records at fault, when the log gave one. */
  fault: AppendFault | null
  /** A read_committed fetch: the aborted transactions its batches overlap, sorted by first offset; else null. */
  abortedTransactions: AbortedTransaction[] | null
}

interface Pending {
  resolve: (answer: PartitionAnswer) => void
}

interface Outgoing {
  type: FrameType
  flags: number
  partitionId: number
  arg: number
  a: number
  b: number
  payload: Uint8Array | null
  resolve: ((answer: PartitionAnswer) => void) | null
}

export interface WorkerLinkOptions {
  index: number
  ringBytes: number
  dataDir: string | null
  topicDefaults: Readonly<Record<string, string>>
  retentionCheckIntervalMs: number
  /** Where the worker's own log records (recovery, faults it saw) go. */
  logger: Logger
  onExit: (link: WorkerLink, cause: Error) => void
}

function faultAnswer (): PartitionAnswer {
  return { status: LogStatus.WorkerFault, a: -1, b: -1, highWatermark: -1, logStartOffset: -1, logEndOffset: -1, lastStableOffset: -1, bytes: null, fault: null, abortedTransactions: null }
}

export class WorkerLink {
  readonly index: number
  readonly control: Remote<PartitionControl>
  readonly #worker: Worker
  readonly #requests: RingWriter
  readonly #responses: RingReader
  readonly #requestRing: SharedArrayBuffer
  readonly #responseRing: SharedArrayBuffer
  readonly #out: DataView
  readonly #in: DataView
  readonly #pending = new Map<number, Pending>()
  readonly #calls = new CallsInFlight()
  readonly #waiting: Outgoing[] = []
  readonly #options: WorkerLinkOptions
  readonly #maxRequestPayload: number
  readonly #controlBlock: ControlBlock
  #nextRequestId = 1
  #flushQueued = false
  readonly #publish = (): void => {
    this.#flushQueued = false
    this.#requests.flush()
  }
  #alive = true
  #closing = false
  #fault: Error | null = null
  readonly exited: Promise<void>
  /** Settles when the thread runs; rejects if it failed first. */
  readonly #online: Promise<void>

  private constructor (options: WorkerLinkOptions) {
    this.index = options.index
    this.#options = options
    const requestRing = createRing(options.ringBytes)
    const responseRing = createRing(options.ringBytes)
    this.#requestRing = requestRing
    this.#responseRing = responseRing
    this.#requests = new RingWriter(requestRing)
    this.#maxRequestPayload = maxFrameBytes(requestRing) - REQUEST_HEADER_BYTES
    this.#responses = new RingReader(responseRing)
    const outBytes = this.#requests.bytes
    const inBytes = this.#responses.bytes
    this.#out = new DataView(outBytes.buffer, outBytes.byteOffset, outBytes.byteLength)
    this.#in = new DataView(inBytes.buffer, inBytes.byteOffset, inBytes.byteLength)
    const controlBlock = createControlBlock()
    this.#controlBlock = new ControlBlock(controlBlock)
    const { port1, port2 } = new MessageChannel()
    const settings = {
      controlPort: port2,
      controlBlock,
      dataDir: options.dataDir,
      requestRing,
      responseRing,
      topicDefaults: options.topicDefaults,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs
    }
    const early = claimEarlyWorker()
    if (early === undefined) {
      this.#worker = new Worker(PARTITION_WORKER_URL, { name: `millrace-partition-${options.index}`, ...threadOptions(), workerData: settings, transferList: [port2] })
      const worker = this.#worker
      this.#online = new Promise((resolve, reject) => {
        worker.once('online', resolve)
        worker.once('error', reject)
      })
    } else {
      this.#worker = early.worker
      this.#worker.postMessage(settings, [port2])
      this.#online = early.online
    }
    this.#online.catch(() => {})
    relayWorkerLogs(this.#worker, options.logger.child({ worker: options.index }))
    this.control = remoteOn<PartitionControl>(port1)
    this.#worker.on('error', (err) => { this.#fault ??= err })
    this.exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        port1.close()
        this.#onExit(code)
        resolve()
      })
    })
    void this.#responseLoop()
  }

  static async start (options: WorkerLinkOptions): Promise<WorkerLink> {
    const link = new WorkerLink(options)
    await link.#online
    return link
  }

  get alive (): boolean { return this.#alive }
  get fault (): Error | null { return this.#fault }
  get threadId (): number { return this.#worker.threadId }

  /** Bytes in use in each of its two rings now, and their size (for the metrics). */
  ringUsage (): { requestBytes: number, responseBytes: number, capacityBytes: number } {
    return { requestBytes: ringUsedBytes(this.#requestRing), responseBytes: ringUsedBytes(this.#responseRing), capacityBytes: ringCapacity(this.#requestRing) }
  }

  /** Calls the control plane, failing fast if the worker dies meanwhile (comlink alone would hang). */
  async call<T> (fn: (control: Remote<PartitionControl>) => Promise<T>): Promise<T> {
    if (!this.#alive) throw this.#deadError()
    return await this.#calls.run(fn(this.control))
  }

  #deadError (): Error {
    return new Error(`partition worker ${this.index} is not running`, { cause: this.#fault ?? undefined })
  }

  // --- requests

  append (partitionId: number, leaderEpoch: number, batches: Uint8Array): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.Append, flags: 0, partitionId, arg: leaderEpoch, a: 0, b: 0, payload: batches, resolve: null })
  }

  fetch (partitionId: number, offset: number, maxBytes: number, isolation: number): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.Fetch, flags: 0, partitionId, arg: maxBytes, a: offset, b: isolation, payload: null, resolve: null })
  }

  listOffset (partitionId: number, timestamp: number, isolation = 0): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.ListOffset, flags: 0, partitionId, arg: 0, a: timestamp, b: isolation, payload: null, resolve: null })
  }

  deleteRecords (partitionId: number, offset: number): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.DeleteRecords, flags: 0, partitionId, arg: 0, a: offset, b: 0, payload: null, resolve: null })
  }

  /**
   * A COMMIT or ABORT marker for one partition. Through the request ring like an append, so it
   * lands after every append sent to the partition before it; markers for several partitions of
   * one worker sent in the same tick go out in one burst.
   */
  txnMarker (partitionId: number, producerId: number, producerEpoch: number, coordinatorEpoch: number, commit: boolean): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.TxnMarker, flags: commit ? MARKER_COMMIT : 0, partitionId, arg: producerEpoch, a: producerId, b: coordinatorEpoch, payload: null, resolve: null })
  }

  /**
   * Replication: the leader's batches for this follower replica, offsets and leader epochs kept.
   * Answered with the follower's new log end offset, or NotLeader / FencedLeaderEpoch /
   * UnknownLeaderEpoch when the replica is not a follower of `leaderEpoch`.
   */
  replicaAppend (partitionId: number, leaderEpoch: number, batches: Uint8Array): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.ReplicaAppend, flags: 0, partitionId, arg: leaderEpoch, a: 0, b: 0, payload: batches, resolve: null })
  }

  /** Replication: the high watermark over the in-sync replicas, for the leader (ordered with its appends). */
  setHighWatermark (partitionId: number, highWatermark: number): Promise<PartitionAnswer> {
    return this.#request({ type: FrameType.HighWatermark, flags: 0, partitionId, arg: 0, a: highWatermark, b: 0, payload: null, resolve: null })
  }

  get maxRequestPayload (): number { return this.#maxRequestPayload }

  // --- replication control

  becomeLeader (partitionId: number, leaderEpoch: number, highWatermark: number): Promise<void> {
    return this.call((c) => c.becomeLeader(partitionId, leaderEpoch, highWatermark))
  }

  becomeFollower (partitionId: number, leaderEpoch: number): Promise<void> {
    return this.call((c) => c.becomeFollower(partitionId, leaderEpoch))
  }

  truncateTo (partitionId: number, offset: number): Promise<void> {
    return this.call((c) => c.truncateTo(partitionId, offset))
  }

  truncateFullyAndStartAt (partitionId: number, offset: number): Promise<void> {
    return this.call((c) => c.truncateFullyAndStartAt(partitionId, offset))
  }

  endOffsetForEpoch (partitionId: number, leaderEpoch: number): Promise<[number, number]> {
    return this.call((c) => c.endOffsetForEpoch(partitionId, leaderEpoch))
  }

  latestEpoch (partitionId: number): Promise<number> {
    return this.call((c) => c.latestEpoch(partitionId))
  }

  /** The worker's heartbeat word: it moves while the thread runs its pump and timers. */
  heartbeat (): number { return this.#controlBlock.heartbeat }

  /** From now on the worker refuses every write with NOT_LEADER_OR_FOLLOWER, even if it was stuck when this was set. */
  fence (): void { this.#controlBlock.fence() }

  get fenced (): boolean { return this.#controlBlock.fenced }

  /** Fault: the worker's replicas under `dir` fail from now on (KAFKA_STORAGE_ERROR). Resolves once in effect. */
  failDataDir (dir: string): Promise<void> {
    return this.call((c) => c.failDataDir(dir))
  }

  /**
   * Fault: blocks the worker's thread for `ms`. Resolves once the thread is blocked (not when it
   * resumes); rejects if it did not block within a few seconds.
   */
  async hang (ms: number): Promise<void> {
    const before = this.#controlBlock.hangsBegun
    // The call itself only returns when the hang ends, or fails when the worker is terminated.
    this.call((c) => c.hang(ms)).catch(() => {})
    if (!(await this.#controlBlock.waitForHang(before, HANG_START_TIMEOUT_MS))) {
      throw new Error(`partition worker ${this.index} did not block within ${HANG_START_TIMEOUT_MS} ms`, { cause: this.#fault ?? undefined })
    }
  }

  #request (req: Outgoing): Promise<PartitionAnswer> {
    if (!this.#alive) return Promise.resolve(faultAnswer())
    return new Promise((resolve) => {
      req.resolve = resolve
      // Full ring, or others already waiting: queue behind them so per-partition order is kept.
      if (this.#waiting.length > 0 || !this.#trySend(req)) {
        this.#waiting.push(req)
        if (this.#waiting.length === 1) void this.#drainWaiting()
      }
    })
  }

  /** Writes one request frame if the ring has room; false means full. */
  #trySend (req: Outgoing): boolean {
    const bytes = REQUEST_HEADER_BYTES + (req.payload === null ? 0 : req.payload.length)
    const at = this.#requests.reserve(bytes)
    if (at < 0) return false
    const requestId = this.#nextRequestId
    this.#nextRequestId = (requestId % 0xfffffff0) + 1
    const out = this.#out
    out.setUint8(at + kType, req.type)
    out.setUint8(at + kFlags, req.flags)
    out.setUint32(at + kRequestId, requestId, true)
    out.setUint32(at + kPartition, req.partitionId, true)
    out.setInt32(at + kArg, req.arg, true)
    out.setFloat64(at + kA, req.a, true)
    out.setFloat64(at + kB, req.b, true)
    if (req.payload !== null) this.#requests.bytes.set(req.payload, at + REQUEST_HEADER_BYTES)
    this.#pending.set(requestId, req as Pending)
    // Requests written in the same tick are published together: one store and at most one
    // wake-up of the worker per burst instead of per request (Atomics.notify is a syscall).
    this.#requests.commit(bytes, false)
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(this.#publish)
    }
    return true
  }

  async #drainWaiting (): Promise<void> {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]
      if (!this.#alive) { this.#waiting.shift(); next.resolve!(faultAnswer()); continue }
      if (!this.#trySend(next)) {
        await this.#requests.waitForSpace(REQUEST_HEADER_BYTES + (next.payload?.length ?? 0), 100)
        continue
      }
      this.#waiting.shift()
    }
  }

  // --- responses

  async #responseLoop (): Promise<void> {
    while (this.#alive) {
      this.#drainResponses()
      // A closed or faulted ring makes waits return at once: stop rather than spin on microtasks.
      if (!this.#alive || this.#responses.state !== RING_OPEN) break
      await this.#responses.waitAsync(RESPONSE_WAIT_MS)
    }
  }

  #drainResponses (): void {
    const reader = this.#responses
    const view = this.#in
    let drained = 0
    for (;;) {
      const at = reader.next()
      if (at < 0) break
      drained++
      const requestId = view.getUint32(at + kRequestId, true)
      const pending = this.#pending.get(requestId)
      if (pending === undefined) continue
      this.#pending.delete(requestId)
      const length = reader.frameLength - RESPONSE_HEADER_BYTES
      let bytes: Buffer | null = null
      let fault: AppendFault | null = null
      let aborted: AbortedTransaction[] | null = null
      const type = view.getUint8(at + kType)
      if (type === FrameType.Fetch) {
        const count = view.getFloat64(at + kRespB, true)
        const batchBytes = count > 0 ? length - count * ABORTED_ENTRY_BYTES : length
        bytes = Buffer.allocUnsafe(batchBytes)
        bytes.set(reader.bytes.subarray(at + RESPONSE_HEADER_BYTES, at + RESPONSE_HEADER_BYTES + batchBytes))
        if (count > 0) aborted = readAborted(view, at + RESPONSE_HEADER_BYTES + batchBytes, count)
      } else if (type === FrameType.Append && length > 0) {
        fault = readAppendFault(reader.bytes, at + RESPONSE_HEADER_BYTES, length)
      }
      pending.resolve({
        status: view.getUint16(at + kStatus, true),
        a: view.getFloat64(at + kRespA, true),
        b: view.getFloat64(at + kRespB, true),
        highWatermark: view.getFloat64(at + kRespHw, true),
        logStartOffset: view.getFloat64(at + kRespLogStart, true),
        logEndOffset: view.getFloat64(at + kRespLeo, true),
        lastStableOffset: view.getFloat64(at + kRespStable, true),
        bytes,
        fault,
        abortedTransactions: aborted
      })
    }
    if (drained > 0) reader.release()
  }

  // --- lifecycle

  #onExit (code: number): void {
    this.#alive = false
    this.#drainResponses()
    for (const pending of this.#pending.values()) pending.resolve(faultAnswer())
    this.#pending.clear()
    for (const next of this.#waiting.splice(0)) next.resolve!(faultAnswer())
    this.#calls.failAll(() => this.#deadError())
    if (!this.#closing) {
      this.#fault ??= new Error(`partition worker ${this.index} exited with code ${code}`)
      this.#options.onExit(this, this.#fault)
    }
  }

  /** Test hook: makes the worker fail as a bug would. */
  crash (): Promise<void> { return this.call((c) => c.crash()) }

  async close (): Promise<void> {
    if (!this.#alive) return
    this.#closing = true
    try {
      await this.call((c) => c.close())
    } finally {
      this.#requests.close()
      await this.#worker.terminate()
      await this.exited
    }
  }

  /** Stops the thread at once, without a clean close (tests: simulates a dying worker). */
  async kill (): Promise<void> {
    await this.#worker.terminate()
    await this.exited
  }
}

function readAborted (view: DataView, at: number, count: number): AbortedTransaction[] {
  const list = new Array<AbortedTransaction>(count)
  for (let i = 0; i < count; i++, at += ABORTED_ENTRY_BYTES) {
    list[i] = { producerId: view.getFloat64(at, true), firstOffset: view.getFloat64(at + 8, true) }
  }
  return list
}
