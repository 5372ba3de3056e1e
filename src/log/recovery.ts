/**
 * Crash recovery of one partition directory. A pure synchronous function of the directory's
 * files: it may run on a job thread before the log is opened, or inside `PartitionLog.open`
 * when the recovery point is behind the end of the log.
 *
 * From the segment holding the recovery point to the end, every batch is validated (complete,
 * magic 2, counts, CRC-32C, offsets above the previous batch's: a compacted segment keeps the
 * gaps of the batches the cleaner dropped, and a cleaned batch may hold fewer records than its
 * offset range). A swap of cleaned segments left half done is finished first. The first torn or
 * corrupt batch ends the log: its segment is cut there and every later segment is deleted, so
 * a validated record is never lost and a damaged one is never served. Those segments' indexes
 * are rebuilt from what was validated. Segments below the recovery point are trusted, but their
 * index files are checked and rebuilt (with the same validation) when missing or damaged.
 * Finally everything is fsynced and the recovery point is moved to the recovered end.
 */
import {
  BATCH_LOG_OVERHEAD, BatchCheck, batchSizeAt, baseOffsetOf, checkBatch, CRC_START, kCrc, lastOffsetDeltaOf, maxTimestampOf,
  recordCountOf
} from '../protocol/batch-header.js'
import { crc32c } from '../protocol/crc32c.js'
import { finishPendingSwap } from './clean-swap.js'
import type { LogConfig } from './config.js'
import { LeaderEpochCache, LOG_START_OFFSET_FILE, RECOVERY_POINT_FILE, readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint.js'
import { offsetIndexProblem } from './offset-index.js'
import { found, INDEX_SUFFIX, INT32_MAX, parseSegmentBase, Segment, segmentFileName, SHORT_HEADER_BYTES, TIME_INDEX_SUFFIX } from './segment.js'
import { DiskStore, type LogStore } from './store.js'
import { timeIndexProblem } from './time-index.js'

/** One segment tail cut by recovery. */
export interface Truncation {
  /** The segment's base offset. */
  segment: number
  /** The first offset lost: where the segment now ends. */
  offset: number
  /** Bytes cut from the segment file. */
  bytes: number
}

export interface RecoveryReport {
  logEndOffset: number
  logStartOffset: number
  /** The recovery point found on disk (0 when there was none). */
  recoveryPoint: number
  /** Bytes cut from torn or corrupt tails, including deleted segments. */
  truncatedBytes: number
  /** Each segment tail cut, oldest first. */
  truncations: Truncation[]
  /** Index files found missing or damaged, and rebuilt. */
  rebuiltIndexes: number
  /** Segments left in the directory. */
  segments: number
  /** Batches read and validated (CRC included). */
  validatedBatches: number
  /** Segments deleted because their offsets overlapped the segment before them. */
  deletedSegments: number
}

/** Bytes read at a time while validating; a larger batch gets a buffer of its own size. */
const SCAN_CHUNK_BYTES = 1 << 20

const INDEX_NAME = /^(\d{20})\.(index|timeindex)$/

/** Recovers the partition directory `dir`; see the module comment. */
export function recoverPartitionDir (dir: string, config: LogConfig): RecoveryReport {
  return recoverStore(new DiskStore(dir), config)
}

/** Recovers any store (a directory, or memory in tests). */
export function recoverStore (store: LogStore, config: LogConfig): RecoveryReport {
  const settings = { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes }
  finishPendingSwap(store)
  const bases = cleanDirectory(store)
  const storedPoint = readOffsetCheckpoint(store, RECOVERY_POINT_FILE)
  const recoveryPoint = storedPoint ?? 0
  const report: RecoveryReport = {
    logEndOffset: 0,
    logStartOffset: 0,
    recoveryPoint,
    truncatedBytes: 0,
    truncations: [],
    rebuiltIndexes: 0,
    segments: 0,
    validatedBatches: 0,
    deletedSegments: 0
  }
  const segments: Segment[] = []
  const scanner = new Scanner()
  let dirChanged = false
  try {
    for (const base of bases) segments.push(Segment.open(store, base, settings))
    for (let i = 0; i + 1 < segments.length; i++) segments[i].nextOffset = segments[i + 1].baseOffset

    let start = 0
    for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= recoveryPoint) start = i

    let end = segments.length
    for (let i = 0; i < segments.length && end === segments.length; i++) {
      const segment = segments[i]
      if (i < start) {
        const damaged = damagedIndexFiles(store, segment)
        if (damaged === 0) continue
        report.rebuiltIndexes += damaged
      } else if (i > start && segment.baseOffset < segments[i - 1].nextOffset) {
        end = i // overlapping offsets: nothing from here on can be served in order
        break
      } else {
        report.rebuiltIndexes += damagedIndexFiles(store, segment)
      }
      const known = segment.nextOffset
      const valid = scanner.validate(segment, report)
      const last = i + 1 === segments.length
      if (valid < segment.log.size) {
        const bytes = segment.log.size - valid
        report.truncatedBytes += bytes
        report.truncations.push({ segment: segment.baseOffset, offset: segment.nextOffset, bytes })
        segment.log.truncate(valid)
        segment.size = valid
        segment.log.sync()
      }
      if (!last && segment.nextOffset > known) {
        end = i + 1 // runs into the next segment's offsets: what follows cannot be served in order
      } else if (!last) {
        segment.nextOffset = known // a cleaned or cut segment may end before the next one starts
      }
      segment.addFinalTimeEntry()
      segment.writeIndexes(true)
    }
    for (let i = end; i < segments.length; i++) {
      report.truncatedBytes += segments[i].log.size
      report.deletedSegments++
      segments[i].remove()
      dirChanged = true
    }
    segments.length = end

    const storedStart = readOffsetCheckpoint(store, LOG_START_OFFSET_FILE)
    const last = segments[segments.length - 1]
    const logEndOffset = last === undefined ? (storedStart ?? 0) : last.nextOffset
    let logStartOffset = Math.max(storedStart ?? 0, segments[0]?.baseOffset ?? 0)
    if (logStartOffset > logEndOffset) logStartOffset = logEndOffset
    new LeaderEpochCache(store).truncateFromEnd(logEndOffset)
    if (dirChanged) store.syncDir()
    writeOffsetCheckpoint(store, RECOVERY_POINT_FILE, logEndOffset)
    report.logEndOffset = logEndOffset
    report.logStartOffset = logStartOffset
    report.segments = segments.length
    return report
  } finally {
    for (const segment of segments) segment.close()
  }
}

/** Removes temp files and index files without a log; returns the segments' base offsets, sorted. */
function cleanDirectory (store: LogStore): number[] {
  const names = store.list()
  const bases = new Set<number>()
  for (const name of names) {
    const base = parseSegmentBase(name)
    if (base >= 0) bases.add(base)
  }
  for (const name of names) {
    if (name.endsWith('.tmp')) { store.remove(name); continue }
    const match = INDEX_NAME.exec(name)
    if (match !== null && !bases.has(Number(match[1]))) store.remove(name)
  }
  return [...bases].sort((a, b) => a - b)
}

/** How many of the segment's two index files are missing or fail the sanity checks. */
function damagedIndexFiles (store: LogStore, segment: Segment): number {
  let damaged = 0
  const offsets = store.readAll(segmentFileName(segment.baseOffset, INDEX_SUFFIX))
  if (offsets === null || offsetIndexProblem(offsets, segment.size) !== null) {
    damaged++
  } else if (offsets.length > 0) {
    const relative = offsets.readInt32BE(offsets.length - 8)
    const position = offsets.readInt32BE(offsets.length - 4)
    if (!segment.readHeader(position, SHORT_HEADER_BYTES) || found.baseOffset !== segment.baseOffset + relative) damaged++
  }
  const times = store.readAll(segmentFileName(segment.baseOffset, TIME_INDEX_SUFFIX))
  const bound = segment.size === 0 ? 0 : segment.nextOffset > segment.baseOffset ? segment.nextOffset - segment.baseOffset : INT32_MAX + 1
  if (times === null || timeIndexProblem(times, bound) !== null) damaged++
  return damaged
}

/** checkBatch for a stored batch, accepting a cleaned one: fewer records than its offset range holds. */
export function checkStoredBatch (view: Buffer, at: number, size: number): BatchCheck {
  const check = checkBatch(view, at)
  if (check !== BatchCheck.BadCount) return check
  const count = recordCountOf(view, at)
  if (count < 1 || count > lastOffsetDeltaOf(view, at) + 1) return check
  return crc32c(view.subarray(at + CRC_START, at + size)) === view.readUInt32BE(at + kCrc) ? BatchCheck.Ok : BatchCheck.BadCrc
}

/** Validates a segment's batches chunk by chunk, rebuilding its indexes as it goes. */
class Scanner {
  #buf = Buffer.alloc(SCAN_CHUNK_BYTES)
  #start = 0
  #length = 0

  /**
   * Returns the bytes of valid, contiguous batches at the head of the segment and sets its
   * `nextOffset`. The first batch must start at the segment's base offset.
   */
  validate (segment: Segment, report: RecoveryReport): number {
    const fileSize = segment.log.size
    segment.size = fileSize
    segment.resetIndexes()
    this.#start = 0
    this.#length = 0
    let position = 0
    let expected = segment.baseOffset
    while (position < fileSize) {
      if (fileSize - position < BATCH_LOG_OVERHEAD) break
      let view = this.#window(segment, position, BATCH_LOG_OVERHEAD)
      const size = batchSizeAt(view, position - this.#start)
      if (size < 0 || size > fileSize - position) break
      view = this.#window(segment, position, size)
      const at = position - this.#start
      if (checkStoredBatch(view, at, size) !== BatchCheck.Ok) break
      const base = baseOffsetOf(view, at)
      if (base < expected) break
      const relative = base - segment.baseOffset
      const last = base + lastOffsetDeltaOf(view, at)
      if (last - segment.baseOffset > INT32_MAX) break
      segment.indexBatch(position, relative, size, maxTimestampOf(view, at))
      report.validatedBatches++
      expected = last + 1
      position += size
    }
    segment.size = position
    segment.nextOffset = expected
    return position
  }

  /** A view of the buffer holding file bytes [position, position + length), reading as needed. */
  #window (segment: Segment, position: number, length: number): Buffer {
    if (position >= this.#start && position + length <= this.#start + this.#length) return this.#buf.subarray(0, this.#length)
    if (length > this.#buf.length) this.#buf = Buffer.alloc(length)
    const want = Math.min(this.#buf.length, segment.log.size - position)
    let got = 0
    while (got < want) {
      const n = segment.log.read(this.#buf, got, want - got, position + got)
      if (n <= 0) break
      got += n
    }
    this.#start = position
    this.#length = got
    return this.#buf.subarray(0, got)
  }
}
