/**
 * One segment: `<base offset, 20 digits>.log` with its `.index` and `.timeindex`.
 *
 * Owned by one PartitionLog (or by a recovery run) on one thread; every call is synchronous.
 * The log file holds record batches v2 back to back, exactly as appended. The indexes of the
 * active segment live in memory and are written at checkpoints, roll and close; those of a
 * closed segment are loaded on first use and rebuilt from the batch headers when missing or
 * damaged. Scans read batch headers only, never records.
 */
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, batchSizeAt, kBatchLength, kLastOffsetDelta, kMagic, kMaxTimestamp, readInt64 } from '../protocol/batch-header.js'
import { OffsetIndex, offsetIndexProblem } from './offset-index.js'
import { TimeIndex, timeIndexProblem, lastTimestampOf, TIME_ENTRY_BYTES } from './time-index.js'
import type { LogStore, StoreFile } from './store.js'

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
export const INT32_MAX = 2147483647

const SEGMENT_NAME = /^(\d{20})\.log$/

export function segmentFileName (baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix
}

/** The base offset named by a `.log` file name, or -1 for any other name. */
export function parseSegmentBase (name: string): number {
  const match = SEGMENT_NAME.exec(name)
  if (match === null) return -1
  const base = Number(match[1])
  return base <= Number.MAX_SAFE_INTEGER ? base : -1
}

/** Index settings shared by the log's segments; the log updates them when its config changes. */
export interface IndexSettings {
  indexIntervalBytes: number
  segmentIndexBytes: number
}

/** Bytes of a header prefix that hold base offset, length, magic and lastOffsetDelta. */
export const SHORT_HEADER_BYTES = kLastOffsetDelta + 4

/** One scratch header per thread: every scan reads into it, none keeps it. */
const scratch = Buffer.alloc(BATCH_HEADER_BYTES)

/** How a header walk ended (Segment.locate). */
const enum Walk { Found, End, Damaged, BadEntry }

/** What the last `locate`/`readHeader` found, so scans allocate nothing. */
export const found = { position: -1, size: 0, baseOffset: -1, lastOffset: -1, maxTimestamp: -1 }

function emptyFile (store: LogStore, name: string): void {
  const file = store.open(name)
  try {
    if (file.size > 0) file.truncate(0)
  } finally {
    file.close()
  }
}

export class Segment {
  readonly baseOffset: number
  readonly log: StoreFile
  readonly #store: LogStore
  readonly #settings: IndexSettings
  #offsetIndex: OffsetIndex | null
  #timeIndex: TimeIndex | null
  /** Bytes of whole batches in the log; the file may be longer after a failed write. */
  size: number
  /** The offset after the last batch. */
  nextOffset: number
  #maxTimestamp: number
  #maxKnown: boolean
  /** Absolute first offset of the batch holding the largest timestamp. */
  offsetOfMaxTimestamp: number
  /** The first batch's maxTimestamp, the basis of age-based roll; -1 when none. */
  firstBatchTimestamp: number
  createdMs: number
  bytesSinceIndexEntry: number
  /** Log bytes and index entries are all fsynced. */
  durable: boolean
  /**
   * Each batch's base offset follows the one before it exactly (the segment was never
   * compacted), so a read checks offsets for equality rather than only for order.
   */
  contiguous: boolean
  /** File position from which the segment's bytes are refused because damage was found there; -1 when none. */
  damagedAt: number
  /** What was found at `damagedAt`. */
  damage: string
  #indexesSynced: boolean
  // State saved before an append, restored if it fails.
  #savedSize = 0
  #savedNextOffset = 0
  #savedMax = -1
  #savedOffsetOfMax = -1
  #savedFirstTimestamp = -1
  #savedBytesSince = 0
  #savedOffsetEntries = 0
  #savedTimeEntries = 0
  #savedDurable = true

  constructor (store: LogStore, baseOffset: number, log: StoreFile, settings: IndexSettings, createdMs: number) {
    this.baseOffset = baseOffset
    this.log = log
    this.#store = store
    this.#settings = settings
    this.#offsetIndex = null
    this.#timeIndex = null
    this.size = log.size
    this.nextOffset = baseOffset
    this.#maxTimestamp = -1
    this.#maxKnown = false
    this.offsetOfMaxTimestamp = baseOffset
    this.firstBatchTimestamp = -1
    this.createdMs = createdMs
    this.bytesSinceIndexEntry = 0
    this.durable = true
    this.contiguous = false
    this.damagedAt = -1
    this.damage = ''
    this.#indexesSynced = true
  }

  /** Creates an empty segment and its (empty) files. */
  static create (store: LogStore, baseOffset: number, settings: IndexSettings, nowMs: number): Segment {
    const log = store.open(segmentFileName(baseOffset, LOG_SUFFIX))
    try {
      if (log.size > 0) log.truncate(0)
      emptyFile(store, segmentFileName(baseOffset, INDEX_SUFFIX))
      emptyFile(store, segmentFileName(baseOffset, TIME_INDEX_SUFFIX))
      const segment = new Segment(store, baseOffset, log, settings, nowMs)
      segment.resetIndexes()
      segment.#maxKnown = true
      segment.contiguous = true
      segment.durable = false
      segment.#indexesSynced = false
      return segment
    } catch (err) {
      log.close()
      throw err
    }
  }

  /** Opens an existing segment; indexes load on first use. */
  static open (store: LogStore, baseOffset: number, settings: IndexSettings): Segment {
    const name = segmentFileName(baseOffset, LOG_SUFFIX)
    const log = store.open(name)
    try {
      return new Segment(store, baseOffset, log, settings, store.modifiedMs(name))
    } catch (err) {
      log.close()
      throw err
    }
  }

  get offsetIndex (): OffsetIndex {
    if (this.#offsetIndex === null) this.loadIndexes()
    return this.#offsetIndex as OffsetIndex
  }

  get timeIndex (): TimeIndex {
    if (this.#timeIndex === null) this.loadIndexes()
    return this.#timeIndex as TimeIndex
  }

  get indexesLoaded (): boolean { return this.#offsetIndex !== null && this.#timeIndex !== null }

  /** The largest batch maxTimestamp in the segment, or -1 when none has one. */
  get maxTimestamp (): number {
    if (!this.#maxKnown) this.#loadMaxTimestamp()
    return this.#maxTimestamp
  }

  /** Empty in-memory indexes, for a new segment or a rebuild. */
  resetIndexes (): void {
    this.#offsetIndex = new OffsetIndex(this.#settings.segmentIndexBytes)
    this.#timeIndex = new TimeIndex(this.#settings.segmentIndexBytes)
    this.#maxTimestamp = -1
    this.offsetOfMaxTimestamp = this.baseOffset
    this.firstBatchTimestamp = -1
    this.bytesSinceIndexEntry = 0
    this.#maxKnown = true
  }

  /**
   * Loads both index files, checking them against the log; a missing or damaged one is
   * rebuilt from the batch headers. Returns true when a rebuild was needed.
   */
  loadIndexes (): boolean {
    const offsetBytes = this.#store.readAll(segmentFileName(this.baseOffset, INDEX_SUFFIX))
    const timeBytes = this.#store.readAll(segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX))
    const sane = offsetBytes !== null && timeBytes !== null &&
      offsetIndexProblem(offsetBytes, this.size) === null &&
      timeIndexProblem(timeBytes, this.#relativeOffsetBound()) === null &&
      this.#lastEntryIsBatch(offsetBytes)
    if (!sane) {
      this.rebuildIndexesFromHeaders()
      return true
    }
    this.#offsetIndex = new OffsetIndex(this.#settings.segmentIndexBytes, offsetBytes)
    this.#timeIndex = new TimeIndex(this.#settings.segmentIndexBytes, timeBytes)
    if (!this.#maxKnown) {
      this.#maxTimestamp = this.#timeIndex.lastTimestamp
      this.offsetOfMaxTimestamp = this.#timeIndex.entries === 0 ? this.baseOffset : this.baseOffset + this.#timeIndex.relativeOffsetAt(this.#timeIndex.entries - 1)
      this.#maxKnown = true
    }
    return false
  }

  /** Time index entries must lie below this relative offset (unknown end: below 2^31). */
  #relativeOffsetBound (): number {
    if (this.size === 0) return 0
    return this.nextOffset > this.baseOffset ? this.nextOffset - this.baseOffset : INT32_MAX + 1
  }

  /** The last offset index entry must point at a batch starting with its offset. */
  #lastEntryIsBatch (offsetBytes: Buffer): boolean {
    if (offsetBytes.length === 0) return true
    const relative = offsetBytes.readInt32BE(offsetBytes.length - 8)
    const position = offsetBytes.readInt32BE(offsetBytes.length - 4)
    return this.readHeader(position, SHORT_HEADER_BYTES) && found.baseOffset === this.baseOffset + relative
  }

  #loadMaxTimestamp (): void {
    // A closed segment's time index ends with its largest timestamp: read only that entry.
    const file = this.#store.exists(segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX))
      ? this.#store.open(segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX))
      : null
    if (file !== null) {
      try {
        if (file.size % TIME_ENTRY_BYTES === 0 && file.size > 0) {
          const tail = Buffer.alloc(TIME_ENTRY_BYTES)
          file.read(tail, 0, TIME_ENTRY_BYTES, file.size - TIME_ENTRY_BYTES)
          this.#maxTimestamp = lastTimestampOf(tail)
          this.offsetOfMaxTimestamp = this.baseOffset + tail.readInt32BE(8)
          this.#maxKnown = true
          return
        }
        if (file.size === 0 && this.size === 0) {
          this.#maxTimestamp = -1
          this.#maxKnown = true
          return
        }
      } finally {
        file.close()
      }
    }
    this.loadIndexes()
  }

  /**
   * Reads the header of the batch at `position` (its first `bytes`, SHORT_HEADER_BYTES or
   * BATCH_HEADER_BYTES) into `found`. False when no whole, plausible batch starts there.
   */
  readHeader (position: number, bytes: number): boolean {
    if (position < 0 || position + bytes > this.size) return false
    const n = this.log.read(scratch, 0, bytes, position)
    if (n < bytes) return false
    const size = batchSizeAt(scratch, 0)
    if (size < 0 || position + size > this.size || scratch[kMagic] !== 2) return false
    found.position = position
    found.size = size
    found.baseOffset = readInt64(scratch, 0)
    found.lastOffset = found.baseOffset + scratch.readInt32BE(kLastOffsetDelta)
    found.maxTimestamp = bytes >= BATCH_HEADER_BYTES ? readInt64(scratch, kMaxTimestamp) : -1
    return true
  }

  /**
   * Finds the batch holding `offset`: the offset index gives a batch at or before it, then
   * headers are scanned forward. Fills `found` and returns true, or false when no batch of
   * this segment reaches `offset`. Each header on the way must be whole, magic 2, inside the
   * segment, and follow the one before it in offsets; the first that does not marks the
   * segment damaged from there (`markDamaged`), and the walk stops at any damage.
   */
  locate (offset: number): boolean {
    const index = this.offsetIndex
    const i = index.floor(offset - this.baseOffset)
    if (i >= 0) {
      // An index entry names a batch's exact base offset.
      const walk = this.#walk(offset, index.positionAt(i), this.baseOffset + index.relativeOffsetAt(i), true)
      if (walk !== Walk.BadEntry) return walk === Walk.Found
      // No such batch where the entry points: the index is wrong, not necessarily the log.
    }
    // The first batch may start above the segment's base after compaction.
    return this.#walk(offset, 0, this.baseOffset, this.contiguous) === Walk.Found
  }

  #walk (offset: number, position: number, expected: number, exact: boolean): Walk {
    const start = position
    const end = this.damagedAt >= 0 ? this.damagedAt : this.size
    while (position < end) {
      let problem = ''
      if (!this.readHeader(position, SHORT_HEADER_BYTES)) problem = 'no whole batch header with magic 2 inside the segment'
      else if (found.baseOffset !== expected && (exact || found.baseOffset < expected)) problem = `batch base offset ${found.baseOffset} where ${expected} was due`
      else if (found.lastOffset >= this.nextOffset || found.lastOffset < found.baseOffset) problem = `batch offsets ${found.baseOffset}..${found.lastOffset} outside the segment's ${this.baseOffset}..${this.nextOffset - 1}`
      if (problem !== '') {
        if (position === start && start > 0) return Walk.BadEntry
        this.markDamaged(position, problem)
        return Walk.Damaged
      }
      if (found.lastOffset >= offset) return Walk.Found
      expected = found.lastOffset + 1
      exact = this.contiguous
      position += found.size
    }
    return Walk.End
  }

  /**
   * Checks the headers of whole batches a read copied into `bytes` [at, at + length), the first
   * with base offset `firstOffset`, from file position `position`: length inside the range,
   * magic 2, base offsets following on, last offset inside the segment. Cheap: no CRC (the
   * scrubber's job). Returns the length of the sound prefix; at the first bad header the
   * segment is marked damaged from there.
   */
  checkServed (bytes: Uint8Array, at: number, length: number, firstOffset: number, position: number): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, length)
    let done = 0
    let expected = firstOffset
    let exact = true
    while (done < length) {
      let problem = ''
      let size = -1
      if (length - done < SHORT_HEADER_BYTES) {
        problem = 'a batch header cut short'
      } else {
        size = view.getInt32(done + kBatchLength) + BATCH_LOG_OVERHEAD
        const base = view.getInt32(done) * 4294967296 + view.getUint32(done + 4)
        const last = base + view.getInt32(done + kLastOffsetDelta)
        if (size < BATCH_HEADER_BYTES || size > length - done) problem = `batch length ${size - BATCH_LOG_OVERHEAD} does not fit`
        else if (view.getInt8(done + kMagic) !== 2) problem = `magic ${view.getInt8(done + kMagic)}`
        else if (base !== expected && (exact || base < expected)) problem = `batch base offset ${base} where ${expected} was due`
        else if (last < base || last >= this.nextOffset) problem = `batch offsets ${base}..${last} outside the segment's ${this.baseOffset}..${this.nextOffset - 1}`
        else expected = last + 1
      }
      if (problem !== '') {
        this.markDamaged(position + done, problem)
        return done
      }
      exact = this.contiguous
      done += size
    }
    return done
  }

  /** Refuses the segment's bytes from `position` on; the earliest damage found wins. Returns true when this is news. */
  markDamaged (position: number, why: string): boolean {
    if (this.damagedAt >= 0 && this.damagedAt <= position) return false
    this.damagedAt = position
    this.damage = why
    return true
  }

  /**
   * Finds the first batch whose maxTimestamp is ≥ `timestamp` and whose last offset is ≥
   * `minOffset`. Fills `found` and returns true, or false when there is none in this segment.
   */
  locateTimestamp (timestamp: number, minOffset: number): boolean {
    const times = this.timeIndex
    const t = times.floor(timestamp)
    let start = this.baseOffset
    if (t >= 0) start = this.baseOffset + times.relativeOffsetAt(t)
    if (minOffset > start) start = minOffset
    if (!this.locate(start)) return false
    let position = found.position
    while ((this.damagedAt < 0 || position < this.damagedAt) && this.readHeader(position, BATCH_HEADER_BYTES)) {
      if (found.maxTimestamp >= timestamp && found.lastOffset >= minOffset) return true
      position += found.size
    }
    return false
  }

  /**
   * Accounts for one batch appended (or found by a scan) at `position`: largest timestamp,
   * and an index entry once more than `index.interval.bytes` were written since the last one.
   */
  indexBatch (position: number, relativeOffset: number, size: number, maxTimestamp: number): void {
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp
      this.offsetOfMaxTimestamp = this.baseOffset + relativeOffset
    }
    if (position === 0) this.firstBatchTimestamp = maxTimestamp
    if (this.bytesSinceIndexEntry > this.#settings.indexIntervalBytes) {
      const offsets = this.#offsetIndex as OffsetIndex
      const times = this.#timeIndex as TimeIndex
      offsets.append(relativeOffset, position)
      times.maybeAppend(this.#maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset)
      this.bytesSinceIndexEntry = 0
      this.#indexesSynced = false
    }
    this.bytesSinceIndexEntry += size
  }

  /** Adds the closing time index entry, so the last entry is the segment's largest timestamp. */
  addFinalTimeEntry (): void {
    if (this.#maxTimestamp >= 0 && this.timeIndex.maybeAppend(this.#maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset, true)) {
      this.#indexesSynced = false
    }
  }

  /**
   * Rebuilds both indexes by walking the batch headers (no CRC: the bytes are below the
   * recovery point) and writes them out.
   */
  rebuildIndexesFromHeaders (): void {
    this.resetIndexes()
    let position = 0
    let expected = this.baseOffset
    // Offsets only increase: a compacted segment has gaps where the cleaner dropped batches.
    while (this.readHeader(position, BATCH_HEADER_BYTES) && found.baseOffset >= expected) {
      this.indexBatch(position, found.baseOffset - this.baseOffset, found.size, found.maxTimestamp)
      expected = found.lastOffset + 1
      position += found.size
    }
    if (this.nextOffset === this.baseOffset) this.nextOffset = expected
    this.addFinalTimeEntry()
    this.writeIndexes(true)
  }

  // --- append support

  /** Writes `bytes` at the end of the log, all of it or nothing: a failed write is cut back. */
  appendBytes (bytes: Uint8Array): void {
    const start = this.size
    let done = 0
    try {
      while (done < bytes.length) {
        const n = this.log.write(bytes, done, bytes.length - done, start + done)
        if (n <= 0) throw Object.assign(new Error(`short write to ${this.log.name}`), { code: 'EIO' })
        done += n
      }
    } catch (err) {
      this.#cutBack(start)
      throw err
    }
    this.size = start + bytes.length
    this.durable = false
  }

  #cutBack (size: number): void {
    try {
      this.log.truncate(size)
    } catch {
      // The bytes past `size` are not counted and get overwritten by the next append; a
      // reopen finds them as a torn tail and recovery cuts them.
    }
  }

  saveState (): void {
    this.#savedSize = this.size
    this.#savedNextOffset = this.nextOffset
    this.#savedMax = this.#maxTimestamp
    this.#savedOffsetOfMax = this.offsetOfMaxTimestamp
    this.#savedFirstTimestamp = this.firstBatchTimestamp
    this.#savedBytesSince = this.bytesSinceIndexEntry
    this.#savedOffsetEntries = this.offsetIndex.entries
    this.#savedTimeEntries = this.timeIndex.entries
    this.#savedDurable = this.durable
  }

  /** Undoes everything since `saveState`, cutting the log file back to its saved size. */
  restoreState (): void {
    if (this.size !== this.#savedSize || this.log.size !== this.#savedSize) this.#cutBack(this.#savedSize)
    this.size = this.#savedSize
    this.nextOffset = this.#savedNextOffset
    this.#maxTimestamp = this.#savedMax
    this.offsetOfMaxTimestamp = this.#savedOffsetOfMax
    this.firstBatchTimestamp = this.#savedFirstTimestamp
    this.bytesSinceIndexEntry = this.#savedBytesSince
    this.offsetIndex.truncateEntries(this.#savedOffsetEntries)
    this.timeIndex.truncateEntries(this.#savedTimeEntries)
    this.durable = this.#savedDurable
  }

  // --- persistence

  /** Writes index entries not yet in the files; with `sync`, fsyncs them too. */
  persistIndexes (sync: boolean): void {
    if (!this.indexesLoaded) return
    const offsets = this.#offsetIndex as OffsetIndex
    const times = this.#timeIndex as TimeIndex
    if (offsets.pending().length === 0 && times.pending().length === 0 && (this.#indexesSynced || !sync)) return
    this.#appendPending(INDEX_SUFFIX, offsets.persistedEntries * 8, offsets.pending(), sync)
    offsets.markPersisted()
    this.#appendPending(TIME_INDEX_SUFFIX, times.persistedEntries * TIME_ENTRY_BYTES, times.pending(), sync)
    times.markPersisted()
    this.#indexesSynced = sync
  }

  #appendPending (suffix: string, at: number, bytes: Buffer, sync: boolean): void {
    const file = this.#store.open(segmentFileName(this.baseOffset, suffix))
    try {
      if (file.size !== at) file.truncate(at)
      let done = 0
      while (done < bytes.length) done += file.write(bytes, done, bytes.length - done, at + done)
      if (sync) file.sync()
    } finally {
      file.close()
    }
  }

  /** Replaces both index files with the in-memory entries. */
  writeIndexes (sync: boolean): void {
    const offsets = this.#offsetIndex as OffsetIndex
    const times = this.#timeIndex as TimeIndex
    this.#rewrite(INDEX_SUFFIX, offsets.contents(), sync)
    offsets.markPersisted()
    this.#rewrite(TIME_INDEX_SUFFIX, times.contents(), sync)
    times.markPersisted()
    this.#indexesSynced = sync
  }

  #rewrite (suffix: string, bytes: Buffer, sync: boolean): void {
    const file = this.#store.open(segmentFileName(this.baseOffset, suffix))
    try {
      file.truncate(0)
      let done = 0
      while (done < bytes.length) done += file.write(bytes, done, bytes.length - done, done)
      if (sync) file.sync()
    } finally {
      file.close()
    }
  }

  /** fsyncs the log and the indexes. */
  syncAll (): void {
    this.log.sync()
    this.persistIndexes(true)
    this.durable = true
  }

  close (): void { this.log.close() }

  /** Closes and deletes the segment's files. The log file goes first: orphan indexes are cleaned at open. */
  remove (): void {
    this.log.close()
    this.#store.remove(segmentFileName(this.baseOffset, LOG_SUFFIX))
    try {
      this.#store.remove(segmentFileName(this.baseOffset, INDEX_SUFFIX))
      this.#store.remove(segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX))
    } catch {
      // Orphan index files are removed at the next open.
    }
  }
}
