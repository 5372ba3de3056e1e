/**
 * PartitionLog: the storage engine of one partition replica.
 *
 * Thread: whichever thread owns the partition directory (a partition worker); exactly one
 * owner per directory, and every call is synchronous (sync fs calls, no promises), so a call
 * finishes before the owner waits on its ring. It knows nothing of threads or Kafka's network
 * protocol: it takes and serves record batches v2 as bytes. An append walks each batch's records
 * in place to validate them (batch-validator.ts) but never builds them; compaction decodes keys,
 * and a lookup by timestamp decodes the one batch it ends in.
 *
 * Lifecycle: `PartitionLog.open` (recovers the directory first when its recovery point is
 * behind the end of the log) → append / read / … → `close()` (flush, checkpoints) or `delete()`.
 * After either, every call answers LogStatus.Closed.
 *
 * Durability: an append is in the page cache when it returns; it is fsynced before returning
 * when `flush.messages` is reached (`synced` says so), or later by `maybeFlush` (`flush.ms`)
 * and `flush`. The recovery point (persisted in a checkpoint) is the offset below which log and
 * index bytes are all durable; recovery rescans from it after a crash. A rolled segment is
 * fsynced by the next `maybeFlush`/`flush`, as Kafka flushes it in the background after a roll.
 *
 * Expected outcomes are returned as LogStatus, never thrown; an fs failure is StorageError and
 * leaves the log as it was before the call.
 */
import {
  BATCH_HEADER_BYTES, BatchCheck, baseOffsetOf, baseSequenceOf, batchSizeAt, checkBatch, lastOffsetDeltaOf,
  leaderEpochOf, maxTimestampOf, patchOffsetAndEpoch, producerIdOf, stampLogAppendTime
} from '../protocol/batch-header.js'
import {
  LeaderEpochCache, LOG_START_OFFSET_FILE, RECOVERY_POINT_FILE, readOffsetCheckpoint, writeOffsetCheckpoint,
  type EpochEntry
} from './checkpoint.js'
import { cleanedFilesPresent, discardCleaned, finishPendingSwap, swapSteps, writeSwapManifest } from './clean-swap.js'
import { planClean, readCleanerCheckpoint, writeCleanerCheckpoint, type CleanPlan, type CleanResult } from './compaction.js'
import { cleanSegments } from './segment-cleaner.js'
import type { LogConfig } from './config.js'
import { LogStatus } from './errors.js'
import { DUPLICATE_BATCH, ProducerStateTable, snapshotFileName, snapshotOffsets } from './producer-state.js'
import { TxnIndex, TXN_INDEX_SUFFIX, type AbortedTxn } from './txn-index.js'
import { buildMarkerBatch, ControlType } from '../protocol/control-batch.js'
import { validateBatch, type BatchFault, type BatchRules } from './batch-validator.js'
import { inflateLimit } from '../protocol/compression.js'
import { recoverStore, type RecoveryReport } from './recovery.js'
import { expiredSegmentCount } from './retention.js'
import { hit, searchBatchForMaxTimestamp, searchBatchForTimestamp } from './timestamp-search.js'
import type { ScrubPlan, ScrubSegment } from './scrub.js'
import { found, INT32_MAX, type IndexSettings, parseSegmentBase, Segment, segmentFileName, SHORT_HEADER_BYTES } from './segment.js'
import { DiskStore, MemoryStore, type LogStore, type StoreFile } from './store.js'

/**
 * How often a recovery point that lags a policy fsync is checkpointed, at most; Kafka's
 * log.flush.offset.checkpoint.interval.ms default. Writing the checkpoint costs two fsyncs,
 * too many to pay on every acks-after-fsync append.
 */
const RECOVERY_CHECKPOINT_INTERVAL_MS = 60_000

export interface PartitionLogOptions {
  /** The partition directory, or null for a log held in memory. */
  dir: string | null
  config: LogConfig
  /** Clock for LogAppendTime, segment age and flush.ms; Date.now by default. */
  now?: () => number
  /** Files to use instead of `dir` (tests inject faults through a MemoryStore). */
  store?: LogStore
  /**
   * Told of every fs error the log turns into StorageError or tolerates (a retention delete it
   * retries later): `op` is what it was doing. The owner logs it; the log knows no logger.
   */
  onStorageError?: (op: StorageOp, err: unknown) => void
}

/** What the log was doing when an fs call failed. */
export type StorageOp = 'roll' | 'append' | 'fsync' | 'flush' | 'read' | 'timestamp lookup' | 'retention' | 'delete records' | 'clean swap' | 'close' | 'delete' | 'txn index' | 'truncate'

export interface AppendResult {
  status: LogStatus
  /** First offset assigned, -1 when nothing was appended. */
  baseOffset: number
  lastOffset: number
  /** The broker time stamped into the batches, -1 unless the topic uses LogAppendTime. */
  logAppendTime: number
  logStartOffset: number
  /** The appended bytes were fsynced before the call returned (flush.messages reached). */
  synced: boolean
  /** Why a batch was refused, with the records at fault; null when the status says enough. */
  fault: BatchFault | null
}

/** Where a read's bytes are; `copyRead` moves them. Valid until the log's next mutating call. */
export interface LogRead {
  status: LogStatus
  /** Bytes of whole batches, 0 when there is nothing to return. */
  length: number
  /** The first returned batch's base offset (≤ the requested offset, or above it when compaction removed that offset), -1 when empty. */
  firstOffset: number
  /** Byte position in the segment file. */
  position: number
  /** The segment file; null when empty. */
  source: StoreFile | null
  /** The segment read, whose headers `copyRead` checks; null when empty. */
  segment: Segment | null
}

export interface OffsetLookup {
  status: LogStatus
  offset: number
  timestamp: number
}

function noRead (status: LogStatus): LogRead {
  return { status, length: 0, firstOffset: -1, position: 0, source: null, segment: null }
}

function checkFault (check: BatchCheck): BatchFault {
  switch (check) {
    case BatchCheck.BadMagic: return { status: LogStatus.InvalidRecord, message: 'only record batch magic 2 is supported', recordIndexes: [] }
    case BatchCheck.BadCount: return { status: LogStatus.InvalidRecord, message: 'recordCount must be at least 1 and lastOffsetDelta + 1', recordIndexes: [] }
    case BatchCheck.BadCrc: return { status: LogStatus.CorruptMessage, message: 'the batch fails its CRC-32C check', recordIndexes: [] }
    default: return { status: LogStatus.CorruptMessage, message: 'the batch length field does not match the bytes sent', recordIndexes: [] }
  }
}

interface Loaded {
  segments: Segment[]
  recoveryPoint: number
  logStartOffset: number
}

export class PartitionLog {
  readonly #store: LogStore
  #config: LogConfig
  readonly #settings: IndexSettings
  readonly #now: () => number
  readonly #segments: Segment[]
  #active: Segment
  #logEndOffset: number
  #highWatermark: number
  #logStartOffset: number
  #recoveryPoint: number
  #lastCheckpointMs: number
  /** The log end offset at the last fsync of the active segment. */
  #syncedOffset: number
  #deferSync = false
  #onStorageError: (op: StorageOp, err: unknown) => void = () => {}
  #syncOwed = false
  #unflushedMessages: number
  #lastFlushMs: number
  #totalBytes: number
  /** A segment file was created since the directory was last fsynced. */
  #dirDirty: boolean
  readonly #epochs: LeaderEpochCache
  /** Idempotent producers' last batches: duplicates, gaps and fenced epochs (producer-state.ts); rebuilt by a truncation. */
  #producers: ProducerStateTable
  /** Aborted transactions, one `.txnindex` per segment (txn-index.ts). */
  readonly #txnIndex: TxnIndex
  /** The index was rebuilt at open (missing or damaged files). */
  readonly txnIndexRebuilt: boolean
  #closed: boolean
  /** The segment whose damage last refused a read. */
  #refused: Segment | null
  /** What recovery found when `open` had to run it; null when the log was consistent. */
  readonly recovery: RecoveryReport | null

  private constructor (store: LogStore, config: LogConfig, settings: IndexSettings, now: () => number, loaded: Loaded, recovery: RecoveryReport | null) {
    const nowMs = now()
    this.#store = store
    this.#config = config
    this.#settings = settings
    this.#now = now
    this.#segments = loaded.segments
    this.#active = loaded.segments[loaded.segments.length - 1]
    this.#logEndOffset = this.#active.nextOffset
    this.#highWatermark = this.#logEndOffset
    this.#logStartOffset = loaded.logStartOffset
    this.#recoveryPoint = loaded.recoveryPoint
    this.#lastCheckpointMs = nowMs
    this.#syncedOffset = this.#logEndOffset
    this.#unflushedMessages = 0
    this.#lastFlushMs = nowMs
    let total = 0
    for (const segment of loaded.segments) total += segment.size
    this.#totalBytes = total
    this.#dirDirty = false
    this.#epochs = new LeaderEpochCache(store)
    markContiguous(loaded.segments, config, store)
    this.#txnIndex = new TxnIndex(store)
    const recordAbort = this.#recordAbort
    let sound = this.#txnIndex.load(loaded.segments)
    let producers = ProducerStateTable.load(store, loaded.segments, this.#logEndOffset, nowMs, sound ? recordAbort : null)
    // The newest abort the producer state knows of must be in the index; if not, a file is missing.
    if (sound && producers.lastAbortMarker >= loaded.segments[0].baseOffset && this.#txnIndex.lastMarkerOffset < producers.lastAbortMarker) sound = false
    if (!sound) {
      this.#txnIndex.reset(loaded.segments.map(s => s.baseOffset))
      producers = ProducerStateTable.load(store, loaded.segments, this.#logEndOffset, nowMs, recordAbort, true)
    }
    producers.onAbort = recordAbort
    this.#producers = producers
    this.txnIndexRebuilt = !sound
    this.#closed = false
    this.#refused = null
    this.recovery = recovery
  }

  /**
   * Opens (or creates) the log in `dir`, or in memory when `dir` is null. Runs recovery first
   * when the recovery point is behind the end of the log or the tail is not whole; after a
   * recovery job or a clean close it only reads the tail of the active segment. Throws the fs
   * error when the directory cannot be read at all.
   */
  static open (options: PartitionLogOptions): PartitionLog {
    const config = options.config
    const store = options.store ?? (options.dir === null ? new MemoryStore() : new DiskStore(options.dir))
    const now = options.now ?? Date.now
    const settings: IndexSettings = { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes }
    let recovery: RecoveryReport | null = null
    finishPendingSwap(store)
    let loaded = load(store, settings, now())
    if (loaded === null) {
      recovery = recoverStore(store, config)
      loaded = load(store, settings, now())
      if (loaded === null) throw new Error(`recovery left ${store.path ?? 'the in-memory log'} inconsistent`)
    }
    const log = new PartitionLog(store, config, settings, now, loaded, recovery)
    if (options.onStorageError !== undefined) log.#onStorageError = options.onStorageError
    return log
  }

  /** Where this log's files are: the directory, or null in memory. */
  get path (): string | null { return this.#store.path }

  #storageFailed (op: StorageOp, err: unknown): void {
    try {
      this.#onStorageError(op, err)
    } catch {
      // A failing reporter must not turn a StorageError answer into a thrown exception.
    }
  }

  get logEndOffset (): number { return this.#logEndOffset }
  get highWatermark (): number { return this.#highWatermark }
  get logStartOffset (): number { return this.#logStartOffset }
  get recoveryPoint (): number { return this.#recoveryPoint }
  /** Bytes of all segments. */
  get size (): number { return this.#totalBytes }
  get config (): LogConfig { return this.#config }
  get isClosed (): boolean { return this.#closed }
  get segmentBaseOffsets (): number[] { return this.#segments.map(s => s.baseOffset) }
  get leaderEpochs (): readonly EpochEntry[] { return this.#epochs.entries }
  /** The newest leader epoch that wrote to this log, -1 when none. */
  get latestEpoch (): number { return this.#epochs.latestEpoch }

  /** The end offset of `epoch` (Kafka's OffsetForLeaderEpoch): [epoch found, end offset]; checkpoint.ts `endOffsetFor` says which. */
  endOffsetForEpoch (epoch: number): [number, number] {
    return this.#epochs.endOffsetFor(epoch, this.#logEndOffset)
  }

  /** Applies a new topic config; sizes of existing indexes stay as they are until the next roll. */
  setConfig (config: LogConfig): void {
    this.#config = config
    this.#settings.indexIntervalBytes = config.indexIntervalBytes
    this.#settings.segmentIndexBytes = config.segmentIndexBytes
  }

  /**
   * Kafka's last stable offset: the first offset of the oldest open transaction, or the high
   * watermark when that is lower or no transaction is open. read_committed reads stop here.
   */
  get lastStableOffset (): number {
    const first = this.#producers.firstUnstableOffset
    return first < 0 || first > this.#highWatermark ? this.#highWatermark : first
  }

  /** The aborted transactions a read_committed read of [fetchOffset, upperBound) must list, sorted by first offset. */
  abortedTransactions (fetchOffset: number, upperBound: number): AbortedTxn[] {
    return this.#txnIndex.collect(fetchOffset, upperBound)
  }

  /** Offset of the newest ABORT marker, -1 when none: a read below it may need `abortedTransactions`. */
  get lastAbortMarker (): number { return this.#txnIndex.lastMarkerOffset }

  /** Aborted transactions in the index (tests and the cleaner's guard). */
  get abortedTransactionCount (): number { return this.#txnIndex.size }

  /** Sets the high watermark, kept within [logStartOffset, logEndOffset]. */
  setHighWatermark (offset: number): void {
    this.#highWatermark = Math.min(Math.max(offset, this.#logStartOffset), this.#logEndOffset)
  }

  // --- append

  /**
   * Appends one or more concatenated record batches v2. All are checked first; on any
   * failure nothing is appended and the status says why. Then offsets and `leaderEpoch` are
   * patched into `records` in place (the caller gives the buffer away), LogAppendTime is
   * stamped if the topic says so, and the bytes go to the segment in one write.
   */
  append (records: Buffer, leaderEpoch: number): AppendResult {
    if (this.#closed) return this.#appendFailure(LogStatus.Closed)
    const length = records.length
    const config = this.#config
    const rules: BatchRules = {
      maxInflatedBytes: inflateLimit(config.maxMessageBytes),
      // Kafka refuses records without a key on a compacted topic: the cleaner could not keep them.
      keysRequired: config.cleanupPolicy.includes('compact')
    }
    let position = 0
    let count = 0
    let maxTimestamp = -1
    while (position < length) {
      const size = batchSizeAt(records, position)
      if (size < 0 || size > length - position) return this.#refuse(checkFault(BatchCheck.Truncated))
      if (size > config.maxMessageBytes) {
        return this.#refuse({ status: LogStatus.RecordTooLarge, message: `the batch of ${size} bytes exceeds max.message.bytes (${config.maxMessageBytes})`, recordIndexes: [] })
      }
      const check = checkBatch(records, position)
      if (check !== BatchCheck.Ok) return this.#refuse(checkFault(check))
      const fault = validateBatch(records, position, size, rules)
      if (fault !== null) return this.#refuse(fault)
      if (producerIdOf(records, position) >= 0 && baseSequenceOf(records, position) < 0) {
        return this.#refuse({ status: LogStatus.InvalidRecord, message: 'an idempotent batch (producerId set) needs a baseSequence', recordIndexes: [] })
      }
      count += lastOffsetDeltaOf(records, position) + 1
      const timestamp = maxTimestampOf(records, position)
      if (timestamp > maxTimestamp) maxTimestamp = timestamp
      position += size
    }
    if (length === 0) return this.#appendFailure(LogStatus.Ok)
    const producerCheck = this.#producers.check(records)
    if (producerCheck === DUPLICATE_BATCH) return this.#duplicateOf()
    if (producerCheck !== LogStatus.Ok) return this.#appendFailure(producerCheck)
    return this.#write(records, count, maxTimestamp, leaderEpoch)
  }

  /**
   * Appends a transaction marker (a COMMIT or ABORT control batch) for `producerId`: it takes
   * an offset, ends the producer's open transaction here if there is one (an ABORT goes into
   * the TxnIndex), and moves the producer to `producerEpoch`. A marker for a producer with no
   * open transaction is appended all the same and changes nothing else, as Kafka: the
   * coordinator re-sends markers after a restart. InvalidProducerEpoch when the producer is
   * known here with a newer epoch.
   */
  appendMarker (producerId: number, producerEpoch: number, coordinatorEpoch: number, commit: boolean, leaderEpoch: number): AppendResult {
    if (this.#closed) return this.#appendFailure(LogStatus.Closed)
    const check = this.#producers.checkMarker(producerId, producerEpoch)
    if (check !== LogStatus.Ok) return this.#appendFailure(check)
    const now = this.#now()
    const batch = buildMarkerBatch(commit ? ControlType.Commit : ControlType.Abort, producerId, producerEpoch, coordinatorEpoch, now)
    return this.#write(batch, 1, now, leaderEpoch)
  }

  /**
   * A follower's append: `batches` as its leader stored them (read from the leader's log), kept
   * byte for byte: base offsets, partition leader epochs, timestamps and producer fields are
   * neither patched nor stamped. All are checked first, and on a refusal nothing is written and
   * `fault` says why: every header whole (CorruptMessage), magic 2 and counts (InvalidRecord),
   * every CRC (CorruptMessage); the first batch must start at the log end offset
   * (OffsetOutOfRange) and each next one right after the one before (InvalidRecord). On a
   * compacted topic a batch may start above that, as Kafka allows: the leader's cleaner leaves
   * gaps. Records are not validated again, nor is max.message.bytes applied: the leader did so
   * when it accepted them, and a follower refusing what its leader acknowledged (a control
   * batch, or a topic limit lowered since) could never catch up.
   *
   * Each batch whose partitionLeaderEpoch is newer than the latest cached epoch starts that
   * epoch at its base offset. Producer state, transactions (markers are control batches), the
   * txn index and so the LSO follow exactly as on the leader, so this log deduplicates an
   * idempotent producer's retry once it leads. Indexes, flush.messages and group commit as for
   * `append`. The high watermark does not move: the caller sets it.
   */
  appendAsFollower (batches: Buffer): AppendResult {
    if (this.#closed) return this.#appendFailure(LogStatus.Closed)
    const length = batches.length
    if (length === 0) return this.#appendFailure(LogStatus.Ok)
    const gapsAllowed = this.#config.cleanupPolicy.includes('compact')
    const baseOffset = this.#logEndOffset
    let expected = baseOffset
    let position = 0
    let count = 0
    let maxTimestamp = -1
    while (position < length) {
      const size = batchSizeAt(batches, position)
      if (size < 0 || size > length - position) return this.#refuse(checkFault(BatchCheck.Truncated))
      const check = checkBatch(batches, position)
      if (check !== BatchCheck.Ok) return this.#refuse(checkFault(check))
      const base = baseOffsetOf(batches, position)
      if (base < expected || (base > expected && !gapsAllowed)) {
        return this.#refuse(position === 0
          ? { status: LogStatus.OffsetOutOfRange, message: `the replicated batches start at offset ${base}, not at the log end offset ${expected}`, recordIndexes: [] }
          : { status: LogStatus.InvalidRecord, message: `the replicated batches are not contiguous: a batch at offset ${base} where ${expected} was due`, recordIndexes: [] })
      }
      const records = lastOffsetDeltaOf(batches, position) + 1
      count += records
      expected = base + records
      const timestamp = maxTimestampOf(batches, position)
      if (timestamp > maxTimestamp) maxTimestamp = timestamp
      position += size
    }
    const now = this.#now()
    try {
      if (this.#shouldRoll(length, expected - baseOffset, maxTimestamp, now)) this.#roll(now)
      for (position = 0; position < length; position += batchSizeAt(batches, position)) {
        const epoch = leaderEpochOf(batches, position)
        if (epoch > this.#epochs.latestEpoch) this.#epochs.assign(epoch, baseOffsetOf(batches, position))
      }
    } catch (err) {
      this.#storageFailed('roll', err)
      this.#dropEpochsFrom(baseOffset)
      return this.#appendFailure(LogStatus.StorageError)
    }
    const segment = this.#active
    segment.saveState()
    const start = segment.size
    for (position = 0; position < length;) {
      const size = batchSizeAt(batches, position)
      segment.indexBatch(start + position, baseOffsetOf(batches, position) - segment.baseOffset, size, maxTimestampOf(batches, position))
      position += size
    }
    return this.#commitWrite(batches, baseOffset, expected, count, -1, now, baseOffset)
  }

  /** Writes the TxnIndex entry of an abort whose marker is now in the log (or found by a replay). */
  readonly #recordAbort = (producerId: number, firstOffset: number, markerOffset: number, lastStableOffset: number): void => {
    const segment = this.#segments[this.#segmentFor(markerOffset)]
    try {
      this.#txnIndex.append(segment.baseOffset, { producerId, firstOffset, lastOffset: markerOffset, lastStableOffset })
    } catch (err) {
      // The entry is kept in memory, so reads stay right; the next open finds the file short and rebuilds it.
      this.#storageFailed('txn index', err)
    }
  }

  /** Writes checked batches (`count` records, newest timestamp `maxTimestamp`) at the log end. */
  #write (records: Buffer, count: number, maxTimestamp: number, leaderEpoch: number): AppendResult {
    const config = this.#config
    const length = records.length
    let position = 0
    const now = this.#now()
    const logAppendTime = config.messageTimestampType === 'LogAppendTime' ? now : -1
    if (logAppendTime >= 0) maxTimestamp = logAppendTime
    const baseOffset = this.#logEndOffset
    try {
      if (this.#shouldRoll(length, count, maxTimestamp, now)) this.#roll(now)
      if (leaderEpoch > this.#epochs.latestEpoch) this.#epochs.assign(leaderEpoch, baseOffset)
    } catch (err) {
      this.#storageFailed('roll', err)
      return this.#appendFailure(LogStatus.StorageError)
    }

    const segment = this.#active
    segment.saveState()
    const start = segment.size
    let offset = baseOffset
    position = 0
    while (position < length) {
      const size = batchSizeAt(records, position)
      patchOffsetAndEpoch(records, position, offset, leaderEpoch)
      if (logAppendTime >= 0) stampLogAppendTime(records, position, logAppendTime)
      segment.indexBatch(start + position, offset - segment.baseOffset, size, logAppendTime >= 0 ? logAppendTime : maxTimestampOf(records, position))
      offset += lastOffsetDeltaOf(records, position) + 1
      position += size
    }
    return this.#commitWrite(records, baseOffset, offset, count, logAppendTime, now, -1)
  }

  /**
   * The common end of both appends, once the active segment's state is saved and its indexes
   * account for `records`: writes them, advances the log end to `endOffset`, fsyncs when
   * flush.messages says so (or leaves the sync owed), and records producers and markers. On a
   * failure everything is cut back; `epochsFrom` ≥ 0 also drops epochs assigned from there.
   */
  #commitWrite (records: Buffer, baseOffset: number, endOffset: number, count: number, logAppendTime: number, now: number, epochsFrom: number): AppendResult {
    const config = this.#config
    const segment = this.#active
    const length = records.length
    try {
      segment.appendBytes(records)
    } catch (err) {
      this.#storageFailed('append', err)
      segment.restoreState()
      this.#dropEpochsFrom(epochsFrom)
      return this.#appendFailure(LogStatus.StorageError)
    }
    segment.nextOffset = endOffset
    this.#logEndOffset = endOffset
    this.#totalBytes += length
    this.#unflushedMessages += count

    let synced = false
    if (this.#unflushedMessages >= config.flushMessages && this.#deferSync) {
      this.#syncOwed = true
    } else if (this.#unflushedMessages >= config.flushMessages) {
      try {
        this.#syncForAcks()
      } catch (err) {
        this.#storageFailed('fsync', err)
        // Not durable, so not appended: cut it back, the producer retries.
        segment.restoreState()
        this.#logEndOffset = baseOffset
        this.#totalBytes -= length
        this.#unflushedMessages -= count
        this.#dropEpochsFrom(epochsFrom)
        return this.#appendFailure(LogStatus.StorageError)
      }
      synced = true
      this.#lastFlushMs = now
    }
    this.#producers.commit(records, now)
    return { status: LogStatus.Ok, baseOffset, lastOffset: endOffset - 1, logAppendTime, logStartOffset: this.#logStartOffset, synced, fault: null }
  }

  /** Forgets leader epochs assigned from `offset` on by an append that failed; -1: none were. */
  #dropEpochsFrom (offset: number): void {
    if (offset < 0) return
    try {
      this.#epochs.truncateFromEnd(offset)
    } catch (err) {
      // The file keeps an epoch starting at the log end: it ends there too, so no answer changes.
      this.#storageFailed('append', err)
    }
  }

  /** A retried idempotent batch already in the log: its original offsets, nothing appended. */
  #duplicateOf (): AppendResult {
    const d = this.#producers.duplicate
    const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime' ? d.timestamp : -1
    return { status: LogStatus.Ok, baseOffset: d.firstOffset, lastOffset: d.lastOffset, logAppendTime, logStartOffset: this.#logStartOffset, synced: this.#syncedOffset > d.lastOffset, fault: null }
  }

  /** Producer ids this partition knows (tests). */
  get producers (): ProducerStateTable { return this.#producers }

  #appendFailure (status: LogStatus): AppendResult {
    return { status, baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this.#logStartOffset, synced: false, fault: null }
  }

  #refuse (fault: BatchFault): AppendResult {
    return { status: fault.status, baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this.#logStartOffset, synced: false, fault }
  }

  #shouldRoll (bytes: number, count: number, maxTimestamp: number, now: number): boolean {
    const segment = this.#active
    if (segment.size === 0) return false
    if (segment.size + bytes > this.#config.segmentBytes) return true
    if (segment.offsetIndex.isFull || segment.timeIndex.isFull) return true
    if (this.#logEndOffset + count - 1 - segment.baseOffset > INT32_MAX) return true
    const waited = segment.firstBatchTimestamp >= 0 ? maxTimestamp - segment.firstBatchTimestamp : now - segment.createdMs
    return waited > this.#config.segmentMs
  }

  /** Closes the active segment's indexes and starts a new segment at the log end offset. */
  #roll (now: number): void {
    const old = this.#active
    old.addFinalTimeEntry()
    old.persistIndexes(false)
    const segment = Segment.create(this.#store, this.#logEndOffset, this.#settings, now)
    this.#segments.push(segment)
    this.#active = segment
    this.#dirDirty = true
    // As Kafka at each roll: recovery replays headers from here rather than from the log start.
    this.#producers.writeSnapshot(this.#store, this.#logEndOffset, now)
  }

  /** A new segment's name is durable only once the directory is fsynced. */
  #syncDirIfDirty (): void {
    if (!this.#dirDirty) return
    this.#store.syncDir()
    this.#dirDirty = false
  }

  /**
   * Group commit: with `deferSync` set, an append that reaches flush.messages leaves its fsync
   * owed, and the owner pays it once for a whole burst of appends with `syncOwed()` before it
   * acknowledges any of them. One fsync then covers every producer whose batch came in the burst.
   */
  set deferSync (on: boolean) { this.#deferSync = on }
  get owesSync (): boolean { return this.#syncOwed }

  /** Pays a deferred fsync; throws when it fails (the appends it covers must not be acknowledged). */
  syncOwed (): void {
    if (!this.#syncOwed) return
    this.#syncOwed = false
    this.#syncForAcks()
    this.#lastFlushMs = this.#now()
  }

  /** fsyncs every segment with unsynced bytes (rolled ones first), log data only for the active one. */
  #syncForAcks (): void {
    for (let i = 0; i < this.#segments.length - 1; i++) {
      const segment = this.#segments[i]
      if (!segment.durable) segment.syncAll()
    }
    this.#active.log.sync()
    this.#syncDirIfDirty()
    this.#syncedOffset = this.#logEndOffset
    this.#unflushedMessages = 0
  }

  // --- flush

  /**
   * fsyncs every segment and index, moves the recovery point to the log end offset and
   * writes its checkpoint.
   */
  flush (): LogStatus {
    if (this.#closed) return LogStatus.Closed
    const now = this.#now()
    try {
      for (const segment of this.#segments) if (!segment.durable || segment === this.#active) segment.syncAll()
      this.#syncDirIfDirty()
      this.#syncedOffset = this.#logEndOffset
      this.#unflushedMessages = 0
      this.#lastFlushMs = now
      this.#checkpoint(this.#logEndOffset, now)
      return LogStatus.Ok
    } catch (err) {
      this.#storageFailed('flush', err)
      return LogStatus.StorageError
    }
  }

  /**
   * The owner calls this on a timer: fsyncs when `flush.ms` has passed since the last flush
   * with messages waiting, fsyncs rolled segments, and checkpoints a recovery point that lags.
   */
  maybeFlush (now: number): LogStatus {
    if (this.#closed) return LogStatus.Closed
    if (this.#unflushedMessages > 0 && now - this.#lastFlushMs >= this.#config.flushMs) return this.flush()
    try {
      let rolled = false
      for (let i = 0; i < this.#segments.length - 1; i++) {
        const segment = this.#segments[i]
        if (!segment.durable) { segment.syncAll(); rolled = true }
      }
      if (rolled) {
        this.#syncDirIfDirty()
        this.#checkpoint(this.#active.baseOffset, now)
      } else if (this.#syncedOffset > this.#recoveryPoint && now - this.#lastCheckpointMs >= RECOVERY_CHECKPOINT_INTERVAL_MS) {
        this.#active.persistIndexes(true)
        this.#checkpoint(this.#syncedOffset, now)
      }
      return LogStatus.Ok
    } catch (err) {
      this.#storageFailed('flush', err)
      return LogStatus.StorageError
    }
  }

  #checkpoint (offset: number, now: number): void {
    if (offset <= this.#recoveryPoint && now - this.#lastCheckpointMs < RECOVERY_CHECKPOINT_INTERVAL_MS) return
    writeOffsetCheckpoint(this.#store, RECOVERY_POINT_FILE, Math.max(offset, this.#recoveryPoint))
    this.#recoveryPoint = Math.max(offset, this.#recoveryPoint)
    this.#lastCheckpointMs = now
  }

  // --- read

  /**
   * Finds whole batches from the one holding `offset`, within one segment: at most `maxBytes`
   * in total, except that the first batch is returned whole even when larger (KIP-74) unless
   * `minOneBatch` is false, and no batch whose base offset is ≥ `maxOffset` (the caller's
   * high watermark). Nothing is copied: `copyRead` moves the bytes.
   */
  read (offset: number, maxBytes: number, maxOffset: number, minOneBatch = true): LogRead {
    if (this.#closed) return noRead(LogStatus.Closed)
    if (!Number.isSafeInteger(offset) || offset < this.#logStartOffset || offset > this.#logEndOffset) return noRead(LogStatus.OffsetOutOfRange)
    if (offset === this.#logEndOffset || offset >= maxOffset) return noRead(LogStatus.Ok)
    try {
      for (let i = this.#segmentFor(offset); i < this.#segments.length; i++) {
        const segment = this.#segments[i]
        if (segment.nextOffset <= offset) continue
        if (!segment.locate(offset)) {
          // Not reached before the damage: the offset lies in the damaged range.
          if (segment.damagedAt >= 0) return this.#refuseDamaged(segment)
          continue
        }
        const start = found.position
        const first = found.size
        const firstOffset = found.baseOffset
        // Bytes from the first damage on are never served.
        const servable = segment.damagedAt >= 0 ? segment.damagedAt : segment.size
        if (start + first > servable) return this.#refuseDamaged(segment)
        if (!minOneBatch && first > maxBytes) return noRead(LogStatus.Ok)
        const limit = Math.min(start + Math.max(maxBytes, first), servable)
        let end: number
        if (maxOffset >= segment.nextOffset && servable <= limit) {
          end = servable
        } else {
          end = start + first
          // Jump over whole index intervals known to fit, then walk the last headers.
          const index = segment.offsetIndex
          const e = index.floorWithin(limit, maxOffset - segment.baseOffset)
          if (e >= 0 && index.positionAt(e) > end) end = index.positionAt(e)
          while (segment.readHeader(end, SHORT_HEADER_BYTES) && found.baseOffset < maxOffset && end + found.size <= limit) end += found.size
        }
        return { status: LogStatus.Ok, length: end - start, firstOffset, position: start, source: segment.log, segment }
      }
      return noRead(LogStatus.Ok)
    } catch (err) {
      this.#storageFailed('read', err)
      return noRead(LogStatus.StorageError)
    }
  }

  /**
   * Copies a read's bytes into `target` at `targetOffset` with one read from the segment file
   * (more only after a short read). Call it before any other call that changes the log.
   */
  copyRead (read: LogRead, target: Uint8Array, targetOffset: number): LogStatus {
    if (this.#closed) return LogStatus.Closed
    if (read.status !== LogStatus.Ok || read.length === 0) return read.status
    const source = read.source
    if (targetOffset < 0 || targetOffset + read.length > target.length) return LogStatus.BadRequest
    if (source === null || source.closed) return LogStatus.StorageError
    try {
      let done = 0
      while (done < read.length) {
        const n = source.read(target, targetOffset + done, read.length - done, read.position + done)
        if (n <= 0) return LogStatus.StorageError
        done += n
      }
    } catch (err) {
      this.#storageFailed('read', err)
      return LogStatus.StorageError
    }
    // Cheap header checks on the copied bytes; a damaged batch and all after it are withheld.
    const segment = read.segment
    if (segment === null) return LogStatus.Ok
    const sound = segment.checkServed(target, targetOffset, read.length, read.firstOffset, read.position)
    if (sound === read.length) return LogStatus.Ok
    read.length = sound
    this.#refused = segment
    return sound === 0 ? LogStatus.CorruptMessage : LogStatus.Ok
  }

  #refuseDamaged (segment: Segment): LogRead {
    this.#refused = segment
    return noRead(LogStatus.CorruptMessage)
  }

  /** The damage behind the last read answered CorruptMessage (or cut short): for the owner's log line. */
  get refusedDamage (): { segment: number, position: number, damage: string } | null {
    const segment = this.#refused
    return segment === null ? null : { segment: segment.baseOffset, position: segment.damagedAt, damage: segment.damage }
  }

  /**
   * Records damage found outside the read path (the scrubber): the segment based at `segmentBase`
   * and `size` bytes long is refused from file position `position` on. Returns false when that
   * segment is gone (or was replaced, so its size differs) or the damage was known already.
   */
  markDamaged (segmentBase: number, size: number, position: number, why: string): boolean {
    if (this.#closed) return false
    const segment = this.#segments[this.#segmentFor(segmentBase)]
    if (segment === undefined || segment.baseOffset !== segmentBase || segment.size !== size || position >= size) return false
    return segment.markDamaged(position, why)
  }

  /** The sealed segments not known to be damaged, for the scrubber; null for a log in memory. */
  planScrub (): ScrubPlan | null {
    const dir = this.#store.path
    if (this.#closed || dir === null) return null
    const segments: ScrubSegment[] = []
    for (let i = 0; i + 1 < this.#segments.length; i++) {
      const s = this.#segments[i]
      if (s.damagedAt < 0 && s.size > 0) segments.push({ baseOffset: s.baseOffset, size: s.size, nextOffset: s.nextOffset, contiguous: s.contiguous })
    }
    return { dir, segments }
  }

  /** `read` then `copyRead` into a new Buffer: for tests and library use. */
  readBytes (offset: number, maxBytes: number, maxOffset: number): { status: LogStatus, bytes: Buffer } {
    const read = this.read(offset, maxBytes, maxOffset)
    if (read.status !== LogStatus.Ok || read.length === 0) return { status: read.status, bytes: Buffer.alloc(0) }
    const bytes = Buffer.allocUnsafe(read.length)
    const status = this.copyRead(read, bytes, 0)
    return { status, bytes: status === LogStatus.Ok ? bytes.subarray(0, read.length) : Buffer.alloc(0) }
  }

  /** Index of the last segment whose base offset is ≤ `offset` (0 when none). */
  #segmentFor (offset: number): number {
    const segments = this.#segments
    let lo = 0
    let hi = segments.length - 1
    let at = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (segments[mid].baseOffset <= offset) { at = mid; lo = mid + 1 } else hi = mid - 1
    }
    return at
  }

  // --- timestamps

  /**
   * The first record, from the log start offset on, whose timestamp is ≥ `timestamp`: its offset
   * and timestamp, as Kafka answers ListOffsets. The time index and batch headers find the first
   * batch whose maxTimestamp reaches the target; only that batch's records are decoded (and the
   * next one's, should none of its records qualify: compaction keeps a batch's maxTimestamp).
   * -1 answers the log end offset, -2 the log start offset, -3 as `offsetForMaxTimestamp`.
   * NotFound when no record is that recent.
   */
  offsetForTimestamp (timestamp: number): OffsetLookup {
    if (this.#closed) return { status: LogStatus.Closed, offset: -1, timestamp: -1 }
    if (timestamp === -1) return { status: LogStatus.Ok, offset: this.#logEndOffset, timestamp: -1 }
    if (timestamp === -2) return { status: LogStatus.Ok, offset: this.#logStartOffset, timestamp: -1 }
    if (timestamp === -3) return this.offsetForMaxTimestamp()
    if (timestamp < 0) return { status: LogStatus.NotFound, offset: -1, timestamp: -1 }
    const from = this.#logStartOffset
    try {
      for (let i = this.#segmentFor(from); i < this.#segments.length; i++) {
        const segment = this.#segments[i]
        if (segment.nextOffset <= from || segment.maxTimestamp < timestamp) continue
        let after = from
        while (segment.locateTimestamp(timestamp, after)) {
          const next = found.lastOffset + 1
          const status = searchBatchForTimestamp(segment.log, found.position, found.size, timestamp, from, this.#config.maxMessageBytes)
          if (status === LogStatus.Ok) return { status, offset: hit.offset, timestamp: hit.timestamp }
          if (status !== LogStatus.NotFound) return { status, offset: -1, timestamp: -1 }
          after = next
        }
      }
      return { status: LogStatus.NotFound, offset: -1, timestamp: -1 }
    } catch (err) {
      this.#storageFailed('timestamp lookup', err)
      return { status: LogStatus.StorageError, offset: -1, timestamp: -1 }
    }
  }

  /**
   * ListOffsets -3: the first record, from the log start offset on, holding the largest
   * timestamp, found in the first batch whose maxTimestamp is the log's largest. (Kafka looks
   * below the log start offset too; records there cannot be fetched, so this does not.)
   */
  offsetForMaxTimestamp (): OffsetLookup {
    if (this.#closed) return { status: LogStatus.Closed, offset: -1, timestamp: -1 }
    const from = this.#logStartOffset
    try {
      let best: Segment | null = null
      let bestTimestamp = -1
      for (let i = this.#segmentFor(from); i < this.#segments.length; i++) {
        const segment = this.#segments[i]
        if (segment.nextOffset <= from) continue
        const largest = segment.offsetOfMaxTimestamp < from ? this.#largestTimestampFrom(segment, from) : segment.maxTimestamp
        if (largest > bestTimestamp) { best = segment; bestTimestamp = largest }
      }
      if (best !== null && best.locateTimestamp(bestTimestamp, from)) {
        const status = searchBatchForMaxTimestamp(best.log, found.position, found.size, from, this.#config.maxMessageBytes)
        if (status === LogStatus.Ok) return { status, offset: hit.offset, timestamp: hit.timestamp }
        return { status, offset: -1, timestamp: -1 }
      }
      return { status: LogStatus.NotFound, offset: -1, timestamp: -1 }
    } catch (err) {
      this.#storageFailed('timestamp lookup', err)
      return { status: LogStatus.StorageError, offset: -1, timestamp: -1 }
    }
  }

  /**
   * The largest batch maxTimestamp of `segment` among batches reaching `from`, for the segment
   * the log start offset cuts (DeleteRecords) when its largest timestamp may lie below the cut:
   * a scan of batch headers, only when the segment's own maximum is not there.
   */
  #largestTimestampFrom (segment: Segment, from: number): number {
    if (segment.locateTimestamp(segment.maxTimestamp, from)) return segment.maxTimestamp
    if (!segment.locate(from)) return -1
    let largest = -1
    let position = found.position
    while (segment.readHeader(position, BATCH_HEADER_BYTES)) {
      if (found.maxTimestamp > largest) largest = found.maxTimestamp
      position += found.size
    }
    return largest
  }

  // --- retention

  /**
   * Deletes closed segments past retention.ms (by their newest timestamp) and the oldest
   * ones while the log is over retention.bytes; only segments wholly below the high
   * watermark, never the active one. Returns how many were deleted.
   */
  applyRetention (now: number): number {
    if (this.#closed) return 0
    let count: number
    try {
      count = expiredSegmentCount(this.#segments, this.#config, now, this.#highWatermark, this.#totalBytes)
    } catch (err) {
      this.#storageFailed('retention', err)
      return 0
    }
    return this.#deleteOldest(count)
  }

  /**
   * Kafka's DeleteRecords: raises the log start offset to `offset` (never lowers it), persists
   * it, and deletes the segments wholly below it. `offset` must be ≤ the high watermark.
   */
  deleteRecordsBefore (offset: number): LogStatus {
    if (this.#closed) return LogStatus.Closed
    if (!Number.isSafeInteger(offset) || offset < 0) return LogStatus.OffsetOutOfRange
    if (offset > this.#highWatermark) return LogStatus.OffsetBeyondHighWatermark
    if (offset <= this.#logStartOffset) return LogStatus.Ok
    try {
      writeOffsetCheckpoint(this.#store, LOG_START_OFFSET_FILE, offset)
    } catch (err) {
      this.#storageFailed('delete records', err)
      return LogStatus.StorageError
    }
    this.#logStartOffset = offset
    let count = 0
    while (count + 1 < this.#segments.length && this.#segments[count + 1].baseOffset <= offset) count++
    this.#deleteOldest(count)
    return LogStatus.Ok
  }

  #deleteOldest (count: number): number {
    let deleted = 0
    while (deleted < count && this.#segments.length > 1) {
      const segment = this.#segments[0]
      try {
        segment.remove()
      } catch (err) {
        this.#storageFailed('retention', err)
        break
      }
      this.#segments.shift()
      this.#totalBytes -= segment.size
      deleted++
      try {
        this.#txnIndex.removeSegment(segment.baseOffset)
      } catch (err) {
        this.#storageFailed('retention', err)
        // The entries are forgotten; an orphan file is removed at the next open.
      }
    }
    if (deleted > 0) {
      const first = this.#segments[0].baseOffset
      if (first > this.#logStartOffset) this.#logStartOffset = first
      if (this.#highWatermark < this.#logStartOffset) this.#highWatermark = this.#logStartOffset
      try {
        this.#epochs.truncateFromStart(this.#logStartOffset)
        this.#store.syncDir()
      } catch (err) {
        this.#storageFailed('retention', err)
        // The epoch file and the directory entries are rewritten and synced at the next change.
      }
    }
    return deleted
  }

  // --- replica truncation (KIP-101)

  /**
   * Drops every record at and after `offset`: a follower's tail that diverged from its leader.
   * Segments above it are deleted and the one holding it is cut. `offset` should be a batch
   * boundary; an offset inside a batch cuts before that batch, as Kafka does (a batch is never
   * split), and the log then ends at that batch's base offset, below `offset`. The offset and time
   * indexes of the cut segment are rebuilt from its batch headers; the epoch cache, txn index,
   * high watermark (so the LSO) and recovery point follow the new end. Producer state is rebuilt
   * from the newest snapshot at or below the new end by replaying batch headers from there: about
   * one segment's headers while the cut is above the older of the two kept snapshots, the whole
   * log below it. The cut is fsynced before the call returns, so a reopen ends where it did.
   *
   * An offset below the log start empties the log and starts it there (`truncateFullyAndStartAt`,
   * Kafka's choice); one at or past the log end changes nothing. StorageError when an fs call
   * fails: the log may then be cut part way, so it is closed (later calls answer Closed) and the
   * owner takes the replica offline or reopens it; the recovery point was lowered first, so that
   * open rescans whatever is left.
   */
  truncateTo (offset: number): LogStatus {
    if (this.#closed) return LogStatus.Closed
    if (!Number.isSafeInteger(offset) || offset < 0) return LogStatus.OffsetOutOfRange
    if (offset >= this.#logEndOffset) return LogStatus.Ok
    if (offset < this.#logStartOffset) return this.truncateFullyAndStartAt(offset)
    try {
      const at = this.#segmentFor(offset)
      const segment = this.#segments[at]
      let cutPosition = segment.size
      let end = offset
      if (segment.locate(offset)) {
        cutPosition = found.position
        if (found.baseOffset < end) end = found.baseOffset
      } else if (segment.damagedAt >= 0) {
        return LogStatus.CorruptMessage // where the batches end is unknown; nothing was changed
      }
      this.#lowerRecoveryPoint(end)
      while (this.#segments.length - 1 > at) {
        const dropped = this.#segments.pop() as Segment
        dropped.remove()
        this.#totalBytes -= dropped.size
        this.#dirDirty = true
      }
      this.#active = segment
      this.#refused = null
      segment.log.truncate(cutPosition)
      this.#totalBytes -= segment.size - cutPosition
      segment.size = cutPosition
      segment.nextOffset = end
      if (segment.damagedAt >= cutPosition) { segment.damagedAt = -1; segment.damage = '' }
      segment.rebuildIndexesFromHeaders()
      segment.durable = false
      this.#logEndOffset = end
      if (this.#highWatermark > end) this.#highWatermark = end
      if (this.#syncedOffset > end) this.#syncedOffset = end
      this.#epochs.truncateFromEnd(end)
      this.#txnIndex.truncateFromEnd(end)
      const cleaner = readCleanerCheckpoint(this.#store)
      if (cleaner.firstDirtyOffset > end) writeCleanerCheckpoint(this.#store, { firstDirtyOffset: end, earliestHorizon: cleaner.earliestHorizon })
      this.#producers = ProducerStateTable.load(this.#store, this.#segments, end, this.#now(), this.#recordAbort)
    } catch (err) {
      return this.#truncationFailed(err)
    }
    const status = this.flush()
    if (status !== LogStatus.Ok) this.#closeAfterFailure()
    return status
  }

  /**
   * Empties the log and starts it again at `offset` (log start = log end = high watermark =
   * `offset`): a follower whose leader knows none of its epochs, or whose log lies wholly below
   * the leader's log start. Every segment, snapshot, txn index and epoch goes. StorageError when
   * an fs call fails: the log is closed as by a failed `truncateTo`.
   */
  truncateFullyAndStartAt (offset: number): LogStatus {
    if (this.#closed) return LogStatus.Closed
    if (!Number.isSafeInteger(offset) || offset < 0) return LogStatus.OffsetOutOfRange
    const now = this.#now()
    try {
      // The start first: a crash once the segments are gone reopens an empty log at `offset`.
      writeOffsetCheckpoint(this.#store, LOG_START_OFFSET_FILE, offset)
      this.#txnIndex.reset(this.#segments.map(s => s.baseOffset))
      while (this.#segments.length > 0) {
        const dropped = this.#segments.pop() as Segment
        dropped.remove()
      }
      for (const snapshot of snapshotOffsets(this.#store)) this.#store.remove(snapshotFileName(snapshot))
      if (readCleanerCheckpoint(this.#store).firstDirtyOffset !== 0) writeCleanerCheckpoint(this.#store, { firstDirtyOffset: offset, earliestHorizon: -1 })
      this.#epochs.clear()
      const segment = Segment.create(this.#store, offset, this.#settings, now)
      this.#segments.push(segment)
      this.#active = segment
      segment.syncAll()
      this.#store.syncDir()
      this.#dirDirty = false
      writeOffsetCheckpoint(this.#store, RECOVERY_POINT_FILE, offset)
      this.#producers = ProducerStateTable.load(this.#store, this.#segments, offset, now, this.#recordAbort)
    } catch (err) {
      return this.#truncationFailed(err)
    }
    this.#logStartOffset = offset
    this.#logEndOffset = offset
    this.#highWatermark = offset
    this.#syncedOffset = offset
    this.#recoveryPoint = offset
    this.#lastCheckpointMs = now
    this.#totalBytes = 0
    this.#unflushedMessages = 0
    this.#syncOwed = false
    this.#refused = null
    return LogStatus.Ok
  }

  #truncationFailed (err: unknown): LogStatus {
    this.#storageFailed('truncate', err)
    this.#closeAfterFailure()
    return LogStatus.StorageError
  }

  /** A truncation stopped part way: memory no longer matches the files, so no call may use either. */
  #closeAfterFailure (): void {
    this.#closed = true
    for (const segment of this.#segments) {
      try {
        segment.close()
      } catch {
        // Closing what is left; the failure was reported already.
      }
    }
  }

  /** Writes a recovery point no higher than `offset` before bytes above it are cut. */
  #lowerRecoveryPoint (offset: number): void {
    if (this.#recoveryPoint <= offset) return
    writeOffsetCheckpoint(this.#store, RECOVERY_POINT_FILE, offset)
    this.#recoveryPoint = offset
  }

  // --- compaction (see compaction.ts)

  /**
   * The cleaner does not yet know aborted transactions (Kafka drops aborted records and old
   * markers under rules of its own): while the log holds one, cleaning it could make an aborted
   * record the last of its key, or merge away the segment whose `.txnindex` hides it.
   */
  get cleaningBlockedByTransactions (): boolean {
    return this.#config.cleanupPolicy.includes('compact') && this.#txnIndex.size > 0
  }

  /**
   * The closed segments to clean now, or null when there is nothing to do. Only below the last
   * stable offset (an open transaction's records may yet be aborted), and nothing while the log
   * holds aborted transactions (`cleaningBlockedByTransactions`).
   */
  planClean (now: number): CleanPlan | null {
    if (this.#closed || this.cleaningBlockedByTransactions) return null
    return planClean({
      dir: this.#store.path,
      segments: this.#segments,
      config: this.#config,
      now,
      highWatermark: this.lastStableOffset,
      logStartOffset: this.#logStartOffset,
      checkpoint: readCleanerCheckpoint(this.#store)
    })
  }

  /** Runs a plan over this log's own files: for a log in memory, which has no job to run it. */
  cleanInline (plan: CleanPlan): CleanResult {
    return cleanSegments(this.#store, plan)
  }

  /**
   * Swaps a clean's files in, if the planned segments are still the log's first closed ones
   * (retention or DeleteRecords may have removed some since): Ok when swapped, NotFound when the
   * result was stale and discarded. Persists the cleaner checkpoint after the swap.
   */
  commitClean (result: CleanResult): LogStatus {
    if (this.#closed) return LogStatus.Closed
    const planned = result.segments
    const segments = this.#segments
    const fresh = planned.length > 0 && planned.length < segments.length &&
      planned.every((p, i) => segments[i].baseOffset === p.baseOffset && segments[i].size === p.size) &&
      segments[planned.length].baseOffset === result.endOffset
    try {
      if (!fresh || !cleanedFilesPresent(this.#store, result)) {
        discardCleaned(this.#store)
        return LogStatus.NotFound
      }
      writeSwapManifest(this.#store, result.groups)
    } catch (err) {
      this.#storageFailed('clean swap', err)
      return LogStatus.StorageError
    }
    for (let i = 0; i < planned.length; i++) segments[i].close()
    const replaced: Segment[] = []
    try {
      for (const step of swapSteps(this.#store, result.groups.map(g => g.replaces))) step()
      for (let g = 0; g < result.groups.length; g++) {
        const segment = Segment.open(this.#store, result.groups[g].baseOffset, this.#settings)
        segment.nextOffset = g + 1 < result.groups.length ? result.groups[g + 1].baseOffset : result.endOffset
        replaced.push(segment)
      }
    } catch (err) {
      this.#storageFailed('clean swap', err)
      // The manifest stays: the next open finishes the swap. Until then these segments read as StorageError.
      for (const segment of replaced) segment.close()
      return LogStatus.StorageError
    }
    let removedBytes = 0
    for (let i = 0; i < planned.length; i++) removedBytes += segments[i].size
    segments.splice(0, planned.length, ...replaced)
    for (const segment of replaced) removedBytes -= segment.size
    this.#totalBytes -= removedBytes
    try {
      writeCleanerCheckpoint(this.#store, { firstDirtyOffset: result.endOffset, earliestHorizon: result.earliestHorizon })
      discardCleaned(this.#store) // leftovers of a job that outlived a restart of this log
    } catch (err) {
      this.#storageFailed('clean swap', err)
      // The next pass cleans the same range again.
    }
    return LogStatus.Ok
  }

  // --- lifecycle

  /** Flushes, checkpoints and closes the files. Later calls answer Closed. */
  close (): LogStatus {
    if (this.#closed) return LogStatus.Ok
    let status = LogStatus.Ok
    try {
      this.#active.addFinalTimeEntry()
    } catch (err) {
      this.#storageFailed('close', err)
      status = LogStatus.StorageError
    }
    if (status === LogStatus.Ok) status = this.flush()
    if (status === LogStatus.Ok) {
      try {
        this.#producers.writeSnapshot(this.#store, this.#logEndOffset, this.#now())
      } catch (err) {
        this.#storageFailed('close', err)
        status = LogStatus.StorageError
      }
    }
    this.#closed = true
    for (const segment of this.#segments) {
      try {
        segment.close()
      } catch (err) {
        this.#storageFailed('close', err)
        status = LogStatus.StorageError
      }
    }
    return status
  }

  /** Closes the files and removes the directory (or drops the memory). */
  delete (): LogStatus {
    this.#closed = true
    for (const segment of this.#segments) {
      try {
        segment.close()
      } catch (err) {
        this.#storageFailed('delete', err)
        // Deleting anyway.
      }
    }
    try {
      this.#store.destroy()
      return LogStatus.Ok
    } catch (err) {
      this.#storageFailed('delete', err)
      return LogStatus.StorageError
    }
  }
}

/**
 * Marks the segments the cleaner never rewrote as holding contiguous offsets, so reads check
 * them exactly: those from the cleaner's first dirty offset on. Not on a compacted topic, where
 * a crash between a swap and its checkpoint may leave cleaned segments above that offset.
 */
function markContiguous (segments: Segment[], config: LogConfig, store: LogStore): void {
  if (config.cleanupPolicy.includes('compact')) return
  const firstDirty = readCleanerCheckpoint(store).firstDirtyOffset
  for (const segment of segments) if (segment.baseOffset >= firstDirty) segment.contiguous = true
}

/**
 * Opens the segments when the directory is consistent: the recovery point equals the end of a
 * whole active segment. Returns null when recovery must run first. Closed segments are not read
 * (their indexes load on first use); the active one is read from its last index entry on.
 */
function load (store: LogStore, settings: IndexSettings, nowMs: number): Loaded | null {
  const bases: number[] = []
  const txnIndexes: string[] = []
  for (const name of store.list()) {
    const base = parseSegmentBase(name)
    if (base >= 0) bases.push(base)
    else if (name.endsWith(TXN_INDEX_SUFFIX)) txnIndexes.push(name)
  }
  bases.sort((a, b) => a - b)
  // A `.txnindex` outlives its segment when a removal stopped half way: it must not describe a new segment at that base.
  const segmentNames = new Set(bases.map(b => segmentFileName(b, TXN_INDEX_SUFFIX)))
  for (const name of txnIndexes) if (!segmentNames.has(name)) store.remove(name)
  const recoveryPoint = readOffsetCheckpoint(store, RECOVERY_POINT_FILE)
  const storedStart = readOffsetCheckpoint(store, LOG_START_OFFSET_FILE)
  if (bases.length === 0) {
    const base = storedStart ?? 0
    const segment = Segment.create(store, base, settings, nowMs)
    try {
      segment.syncAll()
      writeOffsetCheckpoint(store, RECOVERY_POINT_FILE, base)
    } catch (err) {
      segment.close()
      throw err
    }
    return { segments: [segment], recoveryPoint: base, logStartOffset: base }
  }
  if (recoveryPoint === null) return null
  const segments: Segment[] = []
  let consistent = false
  try {
    for (const base of bases) segments.push(Segment.open(store, base, settings))
    for (let i = 0; i + 1 < segments.length; i++) segments[i].nextOffset = segments[i + 1].baseOffset
    const active = segments[segments.length - 1]
    consistent = scanTail(active) && recoveryPoint === active.nextOffset
    if (!consistent) return null
    active.createdMs = nowMs
    const logStartOffset = Math.min(Math.max(storedStart ?? 0, segments[0].baseOffset), active.nextOffset)
    return { segments, recoveryPoint, logStartOffset }
  } finally {
    if (!consistent) for (const segment of segments) segment.close()
  }
}

/**
 * Reads the active segment from its last offset index entry to the end: its next offset,
 * largest timestamp and bytes since the last index entry. False when the tail is not a run of
 * whole, contiguous batches (recovery must look).
 */
function scanTail (segment: Segment): boolean {
  segment.loadIndexes()
  const index = segment.offsetIndex
  const times = segment.timeIndex
  let position = 0
  let expected = segment.baseOffset
  if (index.entries > 0) {
    position = index.positionAt(index.entries - 1)
    expected = segment.baseOffset + index.relativeOffsetAt(index.entries - 1)
  }
  segment.bytesSinceIndexEntry = 0
  while (position < segment.size) {
    if (!segment.readHeader(position, BATCH_HEADER_BYTES) || found.baseOffset !== expected) return false
    segment.indexBatch(position, expected - segment.baseOffset, found.size, found.maxTimestamp)
    expected = found.lastOffset + 1
    position += found.size
  }
  segment.nextOffset = expected
  if (times.entries > 0 && times.relativeOffsetAt(times.entries - 1) >= expected - segment.baseOffset) return false
  if (segment.size > 0 && segment.firstBatchTimestamp < 0 && segment.readHeader(0, BATCH_HEADER_BYTES)) {
    segment.firstBatchTimestamp = found.maxTimestamp
  }
  return true
}
