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
import { relayWorkerLogs, type Logger } from '../logger.js'
import { CallsInFlight } from './calls-in-flight.js'
import { ControlBlock, createControlBlock } from '../partition/control-block.js'
import { REQUEST_HEADER_BYTES } from '../partition/frames.js'
import {
  answerRequestId, appendRequest, deleteRecordsRequest, fetchRequest, highWatermarkRequest, listOffsetRequest, readAnswer, replicaAppendRequest, requestFrameBytes,
  txnMarkerRequest, workerFaultAnswer, writeRequest, type AppendAnswer, type DeleteRecordsAnswer, type FetchAnswer, type HighWatermarkAnswer, type ListOffsetAnswer,
  type PartitionAnswer, type ReplicaAppendAnswer, type RequestFrame, type TxnMarkerAnswer
} from '../partition/frame-codec.js'

/** How long `hang` waits for the worker to report it is blocked before giving up. */
const HANG_START_TIMEOUT_MS = 5000

/** Backstop for a missed notify: the response loop re-checks the ring at least this often. */
const RESPONSE_WAIT_MS = 1000

/** A request on its way: its frame, and who waits for its answer. */
interface Outgoing {
  readonly frame: RequestFrame
  readonly resolve: (answer: PartitionAnswer) => void
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
  readonly #pending = new Map<number, Outgoing>()
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
  /** Set by fence(): a plain copy of the control block's flag for the request and answer paths. */
  #fenced = false
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

  /** `returnStored`: the answer carries the batches as the log stored them (for parked long-polls). */
  append (partitionId: number, leaderEpoch: number, batches: Uint8Array, returnStored = false): Promise<AppendAnswer> {
    return this.#request(appendRequest(partitionId, leaderEpoch, batches, returnStored)) as Promise<AppendAnswer>
  }

  fetch (partitionId: number, offset: number, maxBytes: number, isolation: number): Promise<FetchAnswer> {
    return this.#request(fetchRequest(partitionId, offset, maxBytes, isolation)) as Promise<FetchAnswer>
  }

  listOffset (partitionId: number, timestamp: number, isolation = 0): Promise<ListOffsetAnswer> {
    return this.#request(listOffsetRequest(partitionId, timestamp, isolation)) as Promise<ListOffsetAnswer>
  }

  deleteRecords (partitionId: number, offset: number): Promise<DeleteRecordsAnswer> {
    return this.#request(deleteRecordsRequest(partitionId, offset)) as Promise<DeleteRecordsAnswer>
  }

  /**
   * A COMMIT or ABORT marker for one partition. Through the request ring like an append, so it
   * lands after every append sent to the partition before it; markers for several partitions of
   * one worker sent in the same tick go out in one burst.
   */
  txnMarker (partitionId: number, producerId: number, producerEpoch: number, coordinatorEpoch: number, commit: boolean): Promise<TxnMarkerAnswer> {
    return this.#request(txnMarkerRequest(partitionId, producerId, producerEpoch, coordinatorEpoch, commit)) as Promise<TxnMarkerAnswer>
  }

  /**
   * Replication: the leader's batches for this follower replica, offsets and leader epochs kept.
   * Answered with the follower's new log end offset, or NotLeader / FencedLeaderEpoch /
   * UnknownLeaderEpoch when the replica is not a follower of `leaderEpoch`.
   */
  replicaAppend (partitionId: number, leaderEpoch: number, batches: Uint8Array): Promise<ReplicaAppendAnswer> {
    return this.#request(replicaAppendRequest(partitionId, leaderEpoch, batches)) as Promise<ReplicaAppendAnswer>
  }

  /** Replication: the high watermark over the in-sync replicas, for the leader (ordered with its appends). */
  setHighWatermark (partitionId: number, highWatermark: number): Promise<HighWatermarkAnswer> {
    return this.#request(highWatermarkRequest(partitionId, highWatermark)) as Promise<HighWatermarkAnswer>
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

  /**
   * From now on the worker refuses every write with NOT_LEADER_OR_FOLLOWER, even if it was stuck
   * when this was set, and this side stops listening to it: requests in flight and later ones are
   * answered WorkerFault (NOT_LEADER_OR_FOLLOWER to clients), its late answers are dropped.
   */
  fence (): void {
    this.#controlBlock.fence()
    this.#fenced = true
    this.#answerAllFaulted()
  }

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

  #request (frame: RequestFrame): Promise<PartitionAnswer> {
    if (!this.#alive || this.#fenced) return Promise.resolve(workerFaultAnswer(frame.type))
    return new Promise((resolve) => {
      const req: Outgoing = { frame, resolve }
      // Full ring, or others already waiting: queue behind them so per-partition order is kept.
      if (this.#waiting.length > 0 || !this.#trySend(req)) {
        this.#waiting.push(req)
        if (this.#waiting.length === 1) void this.#drainWaiting()
      }
    })
  }

  /** Writes one request frame if the ring has room; false means full. */
  #trySend (req: Outgoing): boolean {
    const bytes = requestFrameBytes(req.frame)
    const at = this.#requests.reserve(bytes)
    if (at < 0) return false
    const requestId = this.#nextRequestId
    this.#nextRequestId = (requestId % 0xfffffff0) + 1
    writeRequest(this.#out, this.#requests.bytes, at, requestId, req.frame)
    this.#pending.set(requestId, req)
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
      if (!this.#alive || this.#fenced) { this.#waiting.shift(); next.resolve(workerFaultAnswer(next.frame.type)); continue }
      if (!this.#trySend(next)) {
        await this.#requests.waitForSpace(requestFrameBytes(next.frame), 100)
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
      // A fenced worker's answers are not believed (its requests were answered when it was fenced).
      if (this.#fenced) continue
      const requestId = answerRequestId(view, at)
      const pending = this.#pending.get(requestId)
      if (pending === undefined) continue
      this.#pending.delete(requestId)
      pending.resolve(readAnswer(view, reader.bytes, at, reader.frameLength))
    }
    if (drained > 0) reader.release()
  }

  // --- lifecycle

  #onExit (code: number): void {
    this.#alive = false
    this.#drainResponses()
    this.#answerAllFaulted()
    this.#calls.failAll(() => this.#deadError())
    if (!this.#closing) {
      this.#fault ??= new Error(`partition worker ${this.index} exited with code ${code}`)
      this.#options.onExit(this, this.#fault)
    }
  }

  /** Every request in flight or waiting for ring space gets a WorkerFault answer now. */
  #answerAllFaulted (): void {
    for (const pending of this.#pending.values()) pending.resolve(workerFaultAnswer(pending.frame.type))
    this.#pending.clear()
    for (const next of this.#waiting.splice(0)) next.resolve(workerFaultAnswer(next.frame.type))
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
