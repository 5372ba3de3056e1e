/**
 * Scrubbing: verifies a sealed segment's bytes long after they were written, as recovery does
 * for the unflushed tail: each batch whole, magic 2, record count, CRC-32C, and base offsets
 * following on inside the segment. Recovery trusts everything below the recovery point, and the
 * read path checks only headers; bit rot in a record's value is found here.
 *
 * One call verifies one chunk (about `maxBytes`) of one segment and says where to go on, so the
 * caller paces the work and no call holds a pool thread for long. It opens the file read-only
 * and never writes: it runs on a job thread while the partition's owner keeps using the log. A
 * plan gone stale (the segment deleted, or replaced by a compaction swap) ends quietly, never
 * as damage.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { BATCH_HEADER_BYTES, BatchCheck, baseOffsetOf, batchSizeAt, lastOffsetDeltaOf } from '../protocol/batch-header.js'
import { checkStoredBatch } from './recovery.js'
import { LOG_SUFFIX, segmentFileName } from './segment.js'

/** A sealed segment as its owner knows it when planning a scrub. */
export interface ScrubSegment {
  baseOffset: number
  /** Bytes of whole batches; the segment is sealed, so they no longer change. */
  size: number
  /** The offset after the segment's last batch (the next segment's base). */
  nextOffset: number
  /** Offsets follow each other exactly (never compacted): see Segment.contiguous. */
  contiguous: boolean
}

/** What a partition's owner hands the scrubber: its directory and its sealed segments. */
export interface ScrubPlan {
  dir: string
  segments: ScrubSegment[]
}

/** One chunk of work: verify `segment` from file `position` on, about `maxBytes` of it. */
export interface ScrubTask {
  dir: string
  segment: ScrubSegment
  position: number
  /** The base offset due at `position`. */
  expectedOffset: number
  /** Whether that base offset must be exactly `expectedOffset` (else at least it). */
  exact: boolean
  maxBytes: number
}

export interface ScrubDamage {
  /** File position of the first damaged batch. */
  position: number
  /** The offset that was due there. */
  offset: number
  why: string
}

export interface ScrubProgress {
  /** Where the next chunk starts; the segment's size when it is done. */
  position: number
  expectedOffset: number
  exact: boolean
  /** Bytes read by this call. */
  bytes: number
  /** The first damage found; verification of this segment ends there. */
  damage: ScrubDamage | null
  /** The segment is no longer the one planned (deleted, or replaced by a compaction swap). */
  stale: boolean
}

const CHECK_PROBLEMS: Record<BatchCheck, string> = {
  [BatchCheck.Ok]: '',
  [BatchCheck.Truncated]: 'batch cut short',
  [BatchCheck.BadMagic]: 'magic is not 2',
  [BatchCheck.BadCrc]: 'CRC-32C mismatch',
  [BatchCheck.BadCount]: 'record count does not match the offsets'
}

/** Verifies one chunk of a sealed segment; see the module comment. */
export function scrubChunk (task: ScrubTask): ScrubProgress {
  const { segment } = task
  const progress: ScrubProgress = { position: task.position, expectedOffset: task.expectedOffset, exact: task.exact, bytes: 0, damage: null, stale: false }
  let fd: number
  try {
    fd = openSync(join(task.dir, segmentFileName(segment.baseOffset, LOG_SUFFIX)), 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    progress.stale = true
    return progress
  }
  try {
    if (fstatSync(fd).size < segment.size) {
      progress.stale = true
      return progress
    }
    verify(fd, task, progress)
    return progress
  } finally {
    closeSync(fd)
  }
}

function verify (fd: number, task: ScrubTask, progress: ScrubProgress): void {
  const { segment } = task
  const chunkEnd = Math.min(segment.size, task.position + Math.max(task.maxBytes, BATCH_HEADER_BYTES))
  let buf = Buffer.allocUnsafe(chunkEnd - task.position)
  progress.bytes += readFully(fd, buf, buf.length, task.position)
  let bufStart = task.position
  let position = task.position
  const damaged = (why: string): void => { progress.damage = { position, offset: progress.expectedOffset, why } }
  while (position < chunkEnd) {
    let at = position - bufStart
    if (segment.size - position < BATCH_HEADER_BYTES) return damaged('a batch header cut short')
    if (buf.length - at < BATCH_HEADER_BYTES) break // the next chunk starts with this batch
    const size = batchSizeAt(buf, at)
    if (size < 0 || size > segment.size - position) return damaged(`batch length ${buf.readInt32BE(at + 8)} does not fit the segment`)
    if (size > buf.length - at) {
      if (position > task.position) break
      // A batch larger than the chunk: read it whole.
      buf = Buffer.allocUnsafe(size)
      progress.bytes += readFully(fd, buf, size, position)
      bufStart = position
      at = 0
    }
    const check = checkStoredBatch(buf, at, size)
    if (check !== BatchCheck.Ok) return damaged(CHECK_PROBLEMS[check])
    const base = baseOffsetOf(buf, at)
    const last = base + lastOffsetDeltaOf(buf, at)
    if (base !== progress.expectedOffset && (progress.exact || base < progress.expectedOffset)) {
      return damaged(`batch base offset ${base} where ${progress.expectedOffset} was due`)
    }
    if (last >= segment.nextOffset) return damaged(`batch offsets ${base}..${last} run past the segment's end ${segment.nextOffset}`)
    progress.expectedOffset = last + 1
    progress.exact = segment.contiguous
    position += size
    progress.position = position
  }
}

function readFully (fd: number, buf: Buffer, length: number, position: number): number {
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got)
    if (n <= 0) throw Object.assign(new Error(`short read at ${position + got}`), { code: 'EIO' })
    got += n
  }
  return got
}
