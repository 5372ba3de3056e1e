/**
 * PartitionHost: the mailbox loop of one partition worker thread.
 *
 * Thread: a partition worker (workers/partition-worker.ts). It owns every partition actor on
 * that thread and is the only writer of their files. Data plane: request frames from the
 * dispatcher's ring, answers into the response ring; record batches never go through
 * postMessage. Control plane: the `PartitionControl` methods below, called over comlink.
 *
 * Lifecycle: `start()` runs the pump until `close()`. The pump drains the request ring, then
 * blocks in a bounded `Atomics.wait` (through the ring) and yields to the event loop between
 * slices, so comlink calls and timers (flush.ms, retention) still run. Every request is
 * answered with a status frame: nothing thrown inside a handler crosses the ring.
 *
 * Replication (issue 11): each actor is one replica, a `leader` or a `follower`. A follower
 * refuses client writes and takes the leader's batches as ReplicaAppend frames of its current
 * leader epoch; a leader of several replicas moves its high watermark only on a HighWatermark
 * frame (the dispatcher computes it over the in-sync replicas). The control block (shared
 * memory) carries the heartbeat the dispatcher watches and the fence it sets on a hung worker.
 */
import { join, resolve, sep } from 'node:path'
import { mkdirSync, renameSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { maxFrameBytes, RingReader, RingWriter } from '../ring/ring.js'
import { PartitionLog } from '../log/partition-log.js'
import { DiskStore, MemoryStore, type StoreFault } from '../log/store.js'
import { LogRateLimiter, workerLogger, type Logger } from '../logger.js'
import { StorageFaultLog } from './storage-faults.js'
import { logConfigFromTopicConfig } from '../log/config.js'
import { LogStatus } from '../log/errors.js'
import { logRecoveryFindings } from '../log/recovery-findings.js'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import type { ScrubPlan } from '../log/scrub.js'
import type { OpenedPartition, PartitionOffsets, PartitionSpec, ReplicaRole } from './partition-spec.js'
import { replicaDirName } from './partition-spec.js'
import { blockThread, ControlBlock, createControlBlock } from './control-block.js'
import { holdsPartitionData, writePartitionMetadata, writeTopicConfig } from './partition-files.js'
import type { BatchFault } from '../log/batch-validator.js'
import {
  ABORTED_ENTRY_BYTES, APPEND_RETURN_STORED, appendFaultBytes, writeAppendFault, FrameType, kCoordinatorEpoch, kDeleteBefore, kFetchOffset, kFlags, kIsolation,
  kLeaderEpoch, kListTimestamp, kMaxBytes, kNewHighWatermark, kPartition, kProducerEpoch, kProducerId, kRequestId, kRespAbortedCount, kRespBaseOffset,
  kRespFoundOffset, kRespFoundTimestamp, kRespHw, kRespLeo, kRespLogAppendTime, kRespLogStart, kRespMarkerOffset, kRespStable, kStatus, kType,
  ISOLATION_COMMITTED, ISOLATION_REPLICA, LIST_OFFSET_EARLIEST, LIST_OFFSET_LATEST, LIST_OFFSET_MAX_TIMESTAMP, MARKER_COMMIT, REQUEST_HEADER_BYTES,
  RESPONSE_HEADER_BYTES
} from './frames.js'
import { nextOffsetAfter } from '../protocol/batch-header.js'

/** Longest a pump slice keeps the thread before yielding to the event loop (comlink, timers). */
const SLICE_MS = 20
/** Bounded wait for new requests; also the worst-case delay of a control-plane call when idle. */
const WAIT_MS = 10
/** Answers published at least this often within one drain (a power of two). */
const PUBLISH_EVERY_FRAMES = 32
/** How often flush.ms is checked. */
const TICK_MS = 100

export interface PartitionHostOptions {
  readonly dataDir: string | null
  readonly requestRing: SharedArrayBuffer
  readonly responseRing: SharedArrayBuffer
  readonly topicDefaults: Readonly<Record<string, string>>
  readonly retentionCheckIntervalMs: number
  /** The worker's control block (control-block.ts), shared with the dispatcher; a private one when left out. */
  readonly controlBlock?: SharedArrayBuffer
}

/** The control plane a worker offers the dispatcher (comlink). */
export interface PartitionControl {
  openPartition (spec: PartitionSpec, create: boolean): OpenedPartition
  closePartition (id: number): void
  /** Closes the partition and moves its directory aside; returns that path for a deletion job (or null in memory). */
  deletePartition (id: number): string | null
  alterConfig (id: number, overrides: Record<string, string>): void
  describe (id: number): PartitionOffsets | null
  setLeaderEpoch (id: number, epoch: number): void
  /** The partition's next clean (compaction.ts), or null when there is nothing to clean or no such partition. */
  planClean (id: number, now: number): CleanPlan | null
  /** Runs a plan here, for a log in memory (no job pool, no files to hand over). */
  cleanInline (id: number, plan: CleanPlan): CleanResult
  /** Swaps a clean's files in; false when the result was stale (and was discarded). */
  commitClean (id: number, result: CleanResult): boolean
  /** The partition's sealed segments for the scrubber, or null (no such partition, or a log in memory). */
  planScrub (id: number): ScrubPlan | null
  /** Refuses a damaged range the scrubber found; false when the segment is gone or the damage was known. */
  markDamaged (id: number, segmentBase: number, size: number, position: number, why: string): boolean
  flush (): void
  close (): void
  /** Test hook: makes the pump throw, as a bug would. */
  crash (): void
  /** Test hook: the next matching fs call of an in-memory partition fails (MemoryStore.injectFault). */
  injectStoreFault (id: number, fault: StoreFault): void
  // --- replication
  /** Makes the replica the leader of `epoch`, serving up to `highWatermark`. */
  becomeLeader (id: number, epoch: number, highWatermark: number): void
  /** Makes the replica a follower of `epoch`: it refuses client writes and takes ReplicaAppend frames of that epoch. */
  becomeFollower (id: number, epoch: number): void
  /** Drops everything at and after `offset` (a follower diverging from its new leader); throws when the log refuses or fails. */
  truncateTo (id: number, offset: number): void
  /** Empties the replica's log and starts it at `offset` (its leader knows none of its epochs). */
  truncateFullyAndStartAt (id: number, offset: number): void
  /** [epoch, end offset] of the largest epoch ≤ `epoch` (Kafka's OffsetForLeaderEpoch); [-1, -1] when unknown. */
  endOffsetForEpoch (id: number, epoch: number): [number, number]
  /** The latest leader epoch in the replica's log, -1 when none. */
  latestEpoch (id: number): number
  /** Fault: every replica here whose files are under `dir` fails from now on (KAFKA_STORAGE_ERROR). */
  failDataDir (dir: string): void
  /** Fault hook: blocks the worker's thread for `ms` (a hung worker). */
  hang (ms: number): void
}

class PartitionActor {
  readonly spec: PartitionSpec
  readonly dir: string | null
  log: PartitionLog
  leaderEpoch: number
  role: ReplicaRole
  /** More than one replica: the high watermark moves only when the dispatcher says. */
  readonly replicated: boolean
  /** Its data dir failed: every request answers StorageError until the replica is reopened elsewhere. */
  offline = false
  /** The files of an in-memory log (tests inject faults through it); null on disk. */
  readonly memory: MemoryStore | null
  /** The files on disk (failDataDir fails them); null in memory. */
  readonly disk: DiskStore | null

  constructor (spec: PartitionSpec, dir: string | null, log: PartitionLog, memory: MemoryStore | null, disk: DiskStore | null) {
    this.spec = spec
    this.dir = dir
    this.log = log
    this.leaderEpoch = spec.leaderEpoch
    this.role = spec.role ?? 'leader'
    this.replicated = (spec.replicas ?? 1) > 1
    this.memory = memory
    this.disk = disk
  }

  offsets (): PartitionOffsets {
    const log = this.log
    return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset, sizeBytes: log.size, lastStableOffset: log.lastStableOffset }
  }
}

export class PartitionHost implements PartitionControl {
  readonly #options: PartitionHostOptions
  readonly #logger: Logger
  readonly #storageFaults: StorageFaultLog
  readonly #actors = new Map<number, PartitionActor>()
  /** Logs whose appends in the current burst wait for one fsync (group commit). */
  readonly #owingSync = new Set<PartitionLog>()
  readonly #requests: RingReader
  readonly #responses: RingWriter
  readonly #in: DataView
  readonly #out: DataView
  /** Largest fetch payload a response frame can hold. */
  readonly #maxFetchBytes: number
  #closed = false
  #crashRequested = false
  #ticker: NodeJS.Timeout | undefined
  #lastRetentionCheck = Date.now()
  /** One line a second per partition and reason: a client resending a bad batch in a loop costs little. */
  readonly #refusals = new LogRateLimiter()
  readonly #control: ControlBlock
  /** The fence was seen and logged (once). */
  #fenceLogged = false
  /** Data dirs failed here (resolved paths): replicas under them stay offline and are not reopened. */
  readonly #failedDirs = new Set<string>()

  constructor (options: PartitionHostOptions, logger: Logger = workerLogger({})) {
    this.#options = options
    this.#logger = logger
    this.#storageFaults = new StorageFaultLog(logger)
    this.#requests = new RingReader(options.requestRing)
    this.#responses = new RingWriter(options.responseRing)
    const inBytes = this.#requests.bytes
    const outBytes = this.#responses.bytes
    this.#in = new DataView(inBytes.buffer, inBytes.byteOffset, inBytes.byteLength)
    this.#out = new DataView(outBytes.buffer, outBytes.byteOffset, outBytes.byteLength)
    this.#maxFetchBytes = maxFrameBytes(options.responseRing) - RESPONSE_HEADER_BYTES
    this.#control = new ControlBlock(options.controlBlock ?? createControlBlock())
  }

  start (): void {
    this.#ticker = setInterval(this.#tick, TICK_MS)
    setImmediate(this.#pump)
  }

  // --- data plane

  readonly #pump = (): void => {
    if (this.#closed) return
    if (this.#crashRequested) throw new Error('partition worker crash requested (test hook)')
    const sliceEnd = performance.now() + SLICE_MS
    for (;;) {
      this.#control.beat()
      const handled = this.#drain()
      if (this.#closed) return
      if (performance.now() >= sliceEnd) break
      if (handled === 0 && !this.#requests.waitSync(WAIT_MS)) break
    }
    setImmediate(this.#pump)
  }

  /** Answers every request frame published so far and returns how many: the pump's step, and how tests drive a host on one thread. */
  serve (): number { return this.#drain() }

  /** Answers every published request frame; returns how many. */
  #drain (): number {
    const reader = this.#requests
    const view = this.#in
    let handled = 0
    for (;;) {
      const at = reader.next()
      if (at < 0) break
      const length = reader.frameLength
      const type = view.getUint8(at + kType)
      const requestId = view.getUint32(at + kRequestId, true)
      const id = view.getUint32(at + kPartition, true)
      const actor = this.#actors.get(id)
      if (actor === undefined) {
        this.#answerStatus(type, requestId, id, LogStatus.UnknownPartition, null)
      } else if (actor.offline) {
        this.#answerStatus(type, requestId, id, LogStatus.StorageError, actor)
      } else {
        try {
          switch (type) {
            case FrameType.Append: this.#append(actor, requestId, at, length); break
            case FrameType.Fetch: this.#fetch(actor, requestId, at); break
            case FrameType.ListOffset: this.#listOffset(actor, requestId, at); break
            case FrameType.DeleteRecords: this.#deleteRecords(actor, requestId, at); break
            case FrameType.TxnMarker: this.#txnMarker(actor, requestId, at); break
            case FrameType.ReplicaAppend: this.#replicaAppend(actor, requestId, at, length); break
            case FrameType.HighWatermark: this.#highWatermark(actor, requestId, at); break
            default: this.#answerStatus(type, requestId, id, LogStatus.BadRequest, actor)
          }
        } catch (err) {
          // The log turns expected failures into statuses; anything thrown is a storage fault.
          this.#storageFaults.report(this.#where(actor), 'request', err)
          this.#answerStatus(type, requestId, id, LogStatus.StorageError, actor)
        }
      }
      handled++
      // Answers are published in bursts (one store and at most one wake-up per burst), but
      // never held back long while requests keep coming.
      if ((handled & (PUBLISH_EVERY_FRAMES - 1)) === 0) this.#publish()
    }
    if (handled > 0) {
      this.#publish()
      reader.release()
    }
    return handled
  }

  /**
   * Publishes the answers staged so far, after the one fsync that the burst's appends to
   * flush.messages topics owe (group commit). A failed fsync throws out of the pump: the worker
   * dies with its answers unpublished, and the dispatcher restarts it.
   */
  #publish (): void {
    this.#payOwedSyncs()
    this.#responses.flush()
  }

  #payOwedSyncs (): void {
    for (const log of this.#owingSync) log.syncOwed()
    this.#owingSync.clear()
  }

  /** Reserves a response frame, waiting (bounded, repeatedly) while the dispatcher catches up. */
  #reserve (bytes: number): number {
    const writer = this.#responses
    for (;;) {
      const at = writer.reserve(bytes)
      if (at >= 0) return at
      if (this.#closed) return -1
      // Waiting publishes what is staged: pay the burst's fsync first.
      this.#payOwedSyncs()
      writer.waitForSpaceSync(bytes, WAIT_MS)
    }
  }

  #writeHeader (at: number, type: number, status: number, requestId: number, id: number, actor: PartitionActor | null): void {
    const out = this.#out
    out.setUint8(at + kType, type)
    out.setUint16(at + kStatus, status, true)
    out.setUint32(at + kRequestId, requestId, true)
    out.setUint32(at + kPartition, id, true)
    const log = actor?.log
    out.setFloat64(at + kRespHw, log === undefined ? -1 : log.highWatermark, true)
    out.setFloat64(at + kRespLogStart, log === undefined ? -1 : log.logStartOffset, true)
    out.setFloat64(at + kRespLeo, log === undefined ? -1 : log.logEndOffset, true)
    out.setFloat64(at + kRespStable, log === undefined ? -1 : log.lastStableOffset, true)
    // The per-type fields (kRespBaseOffset, kRespLogAppendTime and those sharing their slots) default to -1.
    out.setFloat64(at + kRespBaseOffset, -1, true)
    out.setFloat64(at + kRespLogAppendTime, -1, true)
  }

  #answerStatus (type: number, requestId: number, id: number, status: LogStatus, actor: PartitionActor | null): void {
    const at = this.#reserve(RESPONSE_HEADER_BYTES)
    if (at < 0) return
    this.#writeHeader(at, type, status, requestId, id, actor)
    this.#responses.commit(RESPONSE_HEADER_BYTES, false)
  }

  /**
   * Why this replica must refuse a client write (append, txn marker) of `epoch` (-1: none
   * given), or Ok. Checked before the log is touched, so a refused write leaves nothing behind.
   */
  #writeRefusal (actor: PartitionActor, epoch: number): LogStatus {
    if (this.#isFenced()) return LogStatus.NotLeader
    if (actor.role !== 'leader') return LogStatus.NotLeader
    if (epoch >= 0 && epoch < actor.leaderEpoch) return LogStatus.FencedLeaderEpoch
    return LogStatus.Ok
  }

  /** The dispatcher gave up on this worker (hung): a resumed zombie appends and acknowledges nothing. */
  #isFenced (): boolean {
    if (!this.#control.fenced) return false
    if (!this.#fenceLogged) {
      this.#fenceLogged = true
      this.#logger.warn({ partitions: this.#actors.size }, 'this worker was fenced by the dispatcher (found hung); every write is refused with NOT_LEADER_OR_FOLLOWER until it is replaced')
    }
    return true
  }

  #append (actor: PartitionActor, requestId: number, at: number, length: number): void {
    const bytes = this.#requests.bytes
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset + at + REQUEST_HEADER_BYTES, length - REQUEST_HEADER_BYTES)
    const epoch = this.#in.getInt32(at + kLeaderEpoch, true)
    const refusal = this.#writeRefusal(actor, epoch)
    if (refusal !== LogStatus.Ok) {
      this.#answerStatus(FrameType.Append, requestId, actor.spec.id, refusal, actor)
      return
    }
    const log = actor.log
    const endBefore = log.logEndOffset
    const result = log.append(payload, epoch >= 0 ? epoch : actor.leaderEpoch)
    if (log.owesSync) this.#owingSync.add(log)
    // One replica: the high watermark follows the log end offset as soon as the append is done.
    if (result.status === LogStatus.Ok && !actor.replicated) log.setHighWatermark(log.logEndOffset)
    const fault = result.fault
    if (fault !== null) this.#logRefusal(actor, fault)
    // The log patched the payload in place as it stored it; a duplicate (older offsets) was not stored.
    const returnStored = (this.#in.getUint8(at + kFlags) & APPEND_RETURN_STORED) !== 0 &&
      result.status === LogStatus.Ok && result.baseOffset === endBefore && payload.length <= this.#maxFetchBytes
    const frameBytes = RESPONSE_HEADER_BYTES + (fault !== null ? appendFaultBytes(fault) : returnStored ? payload.length : 0)
    const out = this.#reserve(frameBytes)
    if (out < 0) return
    this.#writeHeader(out, FrameType.Append, result.status, requestId, actor.spec.id, actor)
    this.#out.setFloat64(out + kRespBaseOffset, result.baseOffset, true)
    this.#out.setFloat64(out + kRespLogAppendTime, result.logAppendTime, true)
    if (fault !== null) writeAppendFault(this.#responses.bytes, out + RESPONSE_HEADER_BYTES, fault)
    else if (returnStored) this.#responses.bytes.set(payload, out + RESPONSE_HEADER_BYTES)
    this.#responses.commit(frameBytes, false)
  }

  /** The leader's batches, copied to this follower with their offsets and leader epochs as they are. */
  #replicaAppend (actor: PartitionActor, requestId: number, at: number, length: number): void {
    const epoch = this.#in.getInt32(at + kLeaderEpoch, true)
    let status = LogStatus.Ok
    if (this.#isFenced() || actor.role !== 'follower') status = LogStatus.NotLeader
    else if (epoch < actor.leaderEpoch) status = LogStatus.FencedLeaderEpoch
    else if (epoch > actor.leaderEpoch) status = LogStatus.UnknownLeaderEpoch
    let baseOffset = -1
    if (status === LogStatus.Ok) {
      const bytes = this.#requests.bytes
      const payload = Buffer.from(bytes.buffer, bytes.byteOffset + at + REQUEST_HEADER_BYTES, length - REQUEST_HEADER_BYTES)
      const log = actor.log
      const result = log.appendAsFollower(payload)
      // flush.messages=1: the answer (and so the high watermark) waits for this burst's fsync.
      if (log.owesSync) this.#owingSync.add(log)
      if (result.fault !== null) this.#logRefusal(actor, result.fault)
      status = result.status
      baseOffset = result.baseOffset
    }
    const out = this.#reserve(RESPONSE_HEADER_BYTES)
    if (out < 0) return
    this.#writeHeader(out, FrameType.ReplicaAppend, status, requestId, actor.spec.id, actor)
    this.#out.setFloat64(out + kRespBaseOffset, baseOffset, true)
    this.#responses.commit(RESPONSE_HEADER_BYTES, false)
  }

  /** The high watermark the dispatcher computed over the in-sync replicas. Never moves it backwards. */
  #highWatermark (actor: PartitionActor, requestId: number, at: number): void {
    const highWatermark = this.#in.getFloat64(at + kNewHighWatermark, true)
    const log = actor.log
    if (highWatermark > log.highWatermark) log.setHighWatermark(highWatermark)
    this.#answerStatus(FrameType.HighWatermark, requestId, actor.spec.id, LogStatus.Ok, actor)
  }

  #logRefusal (actor: PartitionActor, fault: BatchFault): void {
    const { topic, partition } = actor.spec
    const suppressed = this.#refusals.admit(`${actor.spec.id}:${fault.status}`)
    if (suppressed === null) return
    this.#logger.warn({ topic, partition, status: LogStatus[fault.status], records: fault.recordIndexes.slice(0, 10), suppressed, reason: fault.message },
      'refused a record batch; nothing was appended')
  }

  #fetch (actor: PartitionActor, requestId: number, at: number): void {
    const view = this.#in
    const offset = view.getFloat64(at + kFetchOffset, true)
    const isolation = view.getFloat64(at + kIsolation, true)
    const committed = isolation === ISOLATION_COMMITTED
    const limit = this.#maxFetchBytes
    const maxBytes = Math.min(view.getInt32(at + kMaxBytes, true), limit)
    const log = actor.log
    const stable = log.lastStableOffset
    // read_committed stops at the last stable offset, and lists the aborted transactions its range overlaps.
    // A follower's copy reads past the high watermark: that is how the high watermark moves.
    const read = log.read(offset, maxBytes, committed ? stable : isolation === ISOLATION_REPLICA ? log.logEndOffset : log.highWatermark)
    let status = read.status === LogStatus.Ok && read.length > limit ? LogStatus.RecordTooLarge : read.status
    const length = status === LogStatus.Ok ? read.length : 0
    // Sized for every abort up to the LSO; the exact list (a subset) is known once the batches are copied.
    const mayAbort = committed && length > 0 && log.lastAbortMarker >= offset
    const room = mayAbort ? log.abortedTransactions(offset, stable).length * ABORTED_ENTRY_BYTES : 0
    const out = this.#reserve(RESPONSE_HEADER_BYTES + length + room)
    if (out < 0) return
    const bytes = this.#responses.bytes
    // The copy checks the batch headers it moved and may withhold a damaged tail (read.length shrinks).
    if (length > 0) status = log.copyRead(read, bytes, out + RESPONSE_HEADER_BYTES)
    const served = status === LogStatus.Ok ? read.length : 0
    let aborted = 0
    if (mayAbort && served > 0) {
      const upperBound = nextOffsetAfter(bytes, out + RESPONSE_HEADER_BYTES, served)
      let to = out + RESPONSE_HEADER_BYTES + served
      for (const txn of log.abortedTransactions(offset, upperBound)) {
        this.#out.setFloat64(to, txn.producerId, true)
        this.#out.setFloat64(to + 8, txn.firstOffset, true)
        to += ABORTED_ENTRY_BYTES
        aborted++
      }
    }
    this.#writeHeader(out, FrameType.Fetch, status, requestId, actor.spec.id, actor)
    this.#out.setFloat64(out + kRespAbortedCount, aborted, true)
    this.#responses.commit(RESPONSE_HEADER_BYTES + served + aborted * ABORTED_ENTRY_BYTES, false)
    if (status === LogStatus.CorruptMessage) this.#logRefusedFetch(actor, offset)
  }

  /** One line a second per partition at most, however often consumers retry the damaged range. */
  #logRefusedFetch (actor: PartitionActor, offset: number): void {
    const damage = actor.log.refusedDamage
    const key = `${actor.spec.topic}-${actor.spec.partition}`
    const suppressed = this.#refusals.admit(key)
    if (suppressed === null) return
    this.#logger.error({ topic: actor.spec.topic, partition: actor.spec.partition, offset, segment: damage?.segment, position: damage?.position, damage: damage?.damage, suppressed },
      'fetch refused with CORRUPT_MESSAGE: the partition\'s log is damaged at this offset')
  }

  #listOffset (actor: PartitionActor, requestId: number, at: number): void {
    const timestamp = this.#in.getFloat64(at + kListTimestamp, true)
    const committed = this.#in.getFloat64(at + kIsolation, true) === 1
    const log = actor.log
    let status = LogStatus.Ok
    let offset = -1
    let foundTimestamp = -1
    if (timestamp === LIST_OFFSET_LATEST) {
      offset = committed ? log.lastStableOffset : log.highWatermark
    } else if (timestamp === LIST_OFFSET_EARLIEST) {
      offset = log.logStartOffset
    } else {
      const found = timestamp === LIST_OFFSET_MAX_TIMESTAMP ? log.offsetForMaxTimestamp() : log.offsetForTimestamp(timestamp)
      status = found.status === LogStatus.NotFound ? LogStatus.Ok : found.status
      // As Kafka, read_committed finds nothing at or past the last stable offset.
      if (found.status === LogStatus.Ok && (!committed || found.offset < log.lastStableOffset)) { offset = found.offset; foundTimestamp = found.timestamp }
    }
    const out = this.#reserve(RESPONSE_HEADER_BYTES)
    if (out < 0) return
    this.#writeHeader(out, FrameType.ListOffset, status, requestId, actor.spec.id, actor)
    this.#out.setFloat64(out + kRespFoundOffset, offset, true)
    this.#out.setFloat64(out + kRespFoundTimestamp, foundTimestamp, true)
    this.#responses.commit(RESPONSE_HEADER_BYTES, false)
  }

  #deleteRecords (actor: PartitionActor, requestId: number, at: number): void {
    const requested = this.#in.getFloat64(at + kDeleteBefore, true)
    const log = actor.log
    const status = log.deleteRecordsBefore(requested === -1 ? log.highWatermark : requested)
    const out = this.#reserve(RESPONSE_HEADER_BYTES)
    if (out < 0) return
    // The new log start offset travels in the header's kRespLogStart.
    this.#writeHeader(out, FrameType.DeleteRecords, status, requestId, actor.spec.id, actor)
    this.#responses.commit(RESPONSE_HEADER_BYTES, false)
  }

  /** A transaction marker from the coordinator (through the dispatcher): appended like a batch, answered with its offset. */
  #txnMarker (actor: PartitionActor, requestId: number, at: number): void {
    const view = this.#in
    const commit = (view.getUint8(at + kFlags) & MARKER_COMMIT) !== 0
    const producerEpoch = view.getInt32(at + kProducerEpoch, true)
    const producerId = view.getFloat64(at + kProducerId, true)
    const coordinatorEpoch = view.getFloat64(at + kCoordinatorEpoch, true)
    const refusal = this.#writeRefusal(actor, -1)
    if (refusal !== LogStatus.Ok) {
      this.#answerStatus(FrameType.TxnMarker, requestId, actor.spec.id, refusal, actor)
      return
    }
    const log = actor.log
    const result = log.appendMarker(producerId, producerEpoch, coordinatorEpoch, commit, actor.leaderEpoch)
    if (log.owesSync) this.#owingSync.add(log)
    if (result.status === LogStatus.Ok) {
      if (!actor.replicated) log.setHighWatermark(log.logEndOffset)
    } else {
      const { topic, partition } = actor.spec
      const suppressed = this.#refusals.admit(`${actor.spec.id}:marker:${result.status}`)
      if (suppressed !== null) {
        this.#logger.warn({ topic, partition, producerId, producerEpoch, result: commit ? 'commit' : 'abort', status: LogStatus[result.status], suppressed },
          'refused a transaction marker; nothing was appended')
      }
    }
    const out = this.#reserve(RESPONSE_HEADER_BYTES)
    if (out < 0) return
    this.#writeHeader(out, FrameType.TxnMarker, result.status, requestId, actor.spec.id, actor)
    this.#out.setFloat64(out + kRespMarkerOffset, result.baseOffset, true)
    this.#responses.commit(RESPONSE_HEADER_BYTES, false)
  }

  readonly #tick = (): void => {
    this.#control.beat()
    const now = Date.now()
    const retentionDue = now - this.#lastRetentionCheck >= this.#options.retentionCheckIntervalMs
    if (retentionDue) this.#lastRetentionCheck = now
    for (const actor of this.#actors.values()) {
      if (actor.offline) continue
      try {
        actor.log.maybeFlush(now)
        if (retentionDue) this.#applyRetention(actor, now)
      } catch (err) {
        // A failing disk also surfaces on the next append or fetch as StorageError.
        this.#storageFaults.report(this.#where(actor), 'flush', err)
      }
    }
  }

  #applyRetention (actor: PartitionActor, now: number): void {
    const before = actor.log.logStartOffset
    const deleted = actor.log.applyRetention(now)
    if (deleted === 0) return
    const tp = `${actor.spec.topic}-${actor.spec.partition}`
    this.#logger.info({ partition: tp, segments: deleted, logStartOffset: actor.log.logStartOffset, previousLogStartOffset: before }, 'retention deleted segments')
  }

  // --- control plane

  #dirOf (spec: PartitionSpec): string | null {
    const dataDir = spec.dataDir ?? this.#options.dataDir
    return dataDir === null ? null : join(dataDir, replicaDirName(spec.topic, spec.partition, spec.replica ?? 0))
  }

  /** The failed data dir `dir` lies in, or null. */
  #failedDirOf (dir: string): string | null {
    const path = resolve(dir)
    for (const failed of this.#failedDirs) if (path === failed || path.startsWith(failed + sep)) return failed
    return null
  }

  openPartition (spec: PartitionSpec, create: boolean): OpenedPartition {
    if (this.#actors.has(spec.id)) throw new Error(`partition ${spec.topic}-${spec.partition} is already open`)
    const config = logConfigFromTopicConfig({ ...this.#options.topicDefaults, ...spec.overrides })
    const dir = this.#dirOf(spec)
    const where = { topic: spec.topic, partition: spec.partition, dir }
    const memory = dir === null ? new MemoryStore() : null
    let disk: DiskStore | null = null
    let log: PartitionLog
    try {
      const failed = dir === null ? null : this.#failedDirOf(dir)
      if (failed !== null) throw Object.assign(new Error(`${dir} is on the failed data dir ${failed}`), { code: 'EIO' })
      if (dir !== null && create) {
        // A new partition never takes over files already there: they belong to records someone was acknowledged.
        if (holdsPartitionData(dir)) throw new Error(`${dir} already holds data; a new partition is not created over it`)
        mkdirSync(dir, { recursive: true })
        writePartitionMetadata(dir, spec.topicId, spec.replicas ?? 1)
        writeTopicConfig(dir, spec.overrides)
      }
      if (dir !== null) disk = new DiskStore(dir)
      log = PartitionLog.open({ dir, config, store: memory ?? disk ?? undefined, onStorageError: (op, err) => this.#storageFaults.report(where, op, err) })
    } catch (err) {
      this.#storageFaults.report(where, 'open', err)
      throw err
    }
    // Normally the recovery job ran first; when open had to recover here, its findings are logged here.
    if (log.recovery !== null && dir !== null) logRecoveryFindings(this.#logger, dir, log.recovery)
    log.deferSync = true
    // One replica: everything on disk is committed. Several: only what the dispatcher finds on
    // the in-sync replicas is, so the high watermark waits at the log start for becomeLeader.
    log.setHighWatermark((spec.replicas ?? 1) > 1 ? log.logStartOffset : log.logEndOffset)
    const actor = new PartitionActor(spec, dir, log, memory, disk)
    this.#actors.set(spec.id, actor)
    return { ...actor.offsets(), largestProducerId: log.producers.largestProducerId }
  }

  closePartition (id: number): void {
    const actor = this.#actors.get(id)
    if (actor === undefined) return
    this.#actors.delete(id)
    actor.log.close()
  }

  deletePartition (id: number): string | null {
    const actor = this.#actors.get(id)
    if (actor === undefined) return null
    this.#actors.delete(id)
    actor.log.close()
    if (actor.dir === null) return null
    // Kafka's way: rename first (instant, atomic), delete the files in the background.
    const doomed = `${actor.dir}.${randomUUID().replaceAll('-', '')}-delete`
    renameSync(actor.dir, doomed)
    return doomed
  }

  alterConfig (id: number, overrides: Record<string, string>): void {
    const actor = this.#actors.get(id)
    if (actor === undefined) throw new Error(`partition ${id} is not hosted here`)
    const config = logConfigFromTopicConfig({ ...this.#options.topicDefaults, ...overrides })
    actor.log.setConfig(config)
    if (actor.dir !== null) writeTopicConfig(actor.dir, overrides)
  }

  describe (id: number): PartitionOffsets | null {
    return this.#actors.get(id)?.offsets() ?? null
  }

  setLeaderEpoch (id: number, epoch: number): void {
    const actor = this.#actors.get(id)
    if (actor !== undefined) actor.leaderEpoch = epoch
  }

  planClean (id: number, now: number): CleanPlan | null {
    const actor = this.#actors.get(id)
    // An offline replica's files are not touched again (its data dir failed).
    if (actor === undefined || actor.offline) return null
    if (actor.log.cleaningBlockedByTransactions) {
      const { topic, partition } = actor.spec
      const suppressed = this.#refusals.admit(`${id}:clean-blocked`)
      if (suppressed !== null) {
        this.#logger.warn({ topic, partition, abortedTransactions: actor.log.abortedTransactionCount, suppressed },
          'compaction skipped: the partition holds aborted transactions, which the cleaner does not handle yet')
      }
      return null
    }
    return actor.log.planClean(now)
  }

  cleanInline (id: number, plan: CleanPlan): CleanResult {
    const actor = this.#actors.get(id)
    if (actor === undefined) throw new Error(`partition ${id} is not hosted here`)
    return actor.log.cleanInline(plan)
  }

  commitClean (id: number, result: CleanResult): boolean {
    const actor = this.#actors.get(id)
    if (actor === undefined) return false
    const status = actor.log.commitClean(result)
    if (status === LogStatus.StorageError) throw new Error(`partition ${actor.spec.topic}-${actor.spec.partition}: the cleaned segments could not be swapped in`)
    return status === LogStatus.Ok
  }

  planScrub (id: number): ScrubPlan | null {
    const actor = this.#actors.get(id)
    if (actor === undefined || actor.offline) return null
    return actor.log.planScrub()
  }

  markDamaged (id: number, segmentBase: number, size: number, position: number, why: string): boolean {
    return this.#actors.get(id)?.log.markDamaged(segmentBase, size, position, why) ?? false
  }

  flush (): void {
    for (const actor of this.#actors.values()) actor.log.flush()
  }

  // --- replication

  #actor (id: number): PartitionActor {
    const actor = this.#actors.get(id)
    if (actor === undefined) throw new Error(`partition ${id} is not hosted here`)
    return actor
  }

  /** A role change of an older epoch than the replica's comes from a stale controller decision: refused loudly. */
  #checkEpoch (actor: PartitionActor, epoch: number, role: ReplicaRole): void {
    if (epoch < actor.leaderEpoch) {
      throw new Error(`partition ${actor.spec.topic}-${actor.spec.partition} replica ${actor.spec.replica ?? 0}: cannot become ${role} of epoch ${epoch}, it is at epoch ${actor.leaderEpoch}`)
    }
  }

  becomeLeader (id: number, epoch: number, highWatermark: number): void {
    const actor = this.#actor(id)
    this.#checkEpoch(actor, epoch, 'leader')
    actor.role = 'leader'
    actor.leaderEpoch = epoch
    actor.log.setHighWatermark(highWatermark)
  }

  becomeFollower (id: number, epoch: number): void {
    const actor = this.#actor(id)
    this.#checkEpoch(actor, epoch, 'follower')
    actor.role = 'follower'
    actor.leaderEpoch = epoch
  }

  truncateTo (id: number, offset: number): void {
    const actor = this.#actor(id)
    this.#checkTruncation(actor, 'truncateTo', offset, actor.log.truncateTo(offset))
  }

  truncateFullyAndStartAt (id: number, offset: number): void {
    const actor = this.#actor(id)
    this.#checkTruncation(actor, 'truncateFullyAndStartAt', offset, actor.log.truncateFullyAndStartAt(offset))
  }

  /**
   * A truncation that failed leaves the log closed (it may be cut part way): the replica goes
   * offline here, and the controller gets the reason (the fs error itself was logged as it happened).
   */
  #checkTruncation (actor: PartitionActor, op: string, offset: number, status: LogStatus): void {
    if (status === LogStatus.Ok) return
    if (actor.log.isClosed) actor.offline = true
    throw new Error(`partition ${actor.spec.topic}-${actor.spec.partition} replica ${actor.spec.replica ?? 0}: ${op}(${offset}) failed with ${LogStatus[status]}${actor.offline ? '; the replica is offline' : ''}`)
  }

  endOffsetForEpoch (id: number, epoch: number): [number, number] {
    return this.#actor(id).log.endOffsetForEpoch(epoch)
  }

  latestEpoch (id: number): number {
    return this.#actor(id).log.latestEpoch
  }

  failDataDir (dir: string): void {
    const failed = resolve(dir)
    if (this.#failedDirs.has(failed)) return
    this.#failedDirs.add(failed)
    const replicas: string[] = []
    for (const actor of this.#actors.values()) {
      if (actor.dir === null || actor.disk === null || this.#failedDirOf(actor.dir) === null) continue
      actor.disk.fail()
      actor.offline = true
      this.#owingSync.delete(actor.log)
      replicas.push(`${actor.spec.topic}-${actor.spec.partition}~${actor.spec.replica ?? 0}`)
    }
    this.#logger.error({ dir: failed, replicas }, 'data dir failed: its replicas on this worker are offline; their requests get KAFKA_STORAGE_ERROR')
  }

  hang (ms: number): void {
    this.#logger.warn({ ms }, 'worker thread blocked on request (hang fault)')
    this.#control.beginHang()
    blockThread(ms)
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#ticker)
    for (const actor of this.#actors.values()) actor.log.close()
    this.#actors.clear()
    this.#responses.close()
  }

  crash (): void {
    this.#crashRequested = true
  }

  injectStoreFault (id: number, fault: StoreFault): void {
    const memory = this.#actors.get(id)?.memory
    if (memory === undefined || memory === null) throw new Error(`partition ${id} is not an in-memory partition hosted here`)
    memory.injectFault(fault)
  }

  #where (actor: PartitionActor): { topic: string, partition: number, dir: string | null } {
    return { topic: actor.spec.topic, partition: actor.spec.partition, dir: actor.dir }
  }
}
