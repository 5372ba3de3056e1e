/**
 * Salvage of the coordinator log before it is opened: damaged batches are cut out of their
 * segment so that every other group's offsets and membership still load.
 *
 * Why not leave it to recovery (log/recovery.ts)? Recovery trusts what lies below the recovery
 * point, so after a clean stop a flipped byte there reaches the replay, which cannot go on; and
 * above it, it ends the log at the first invalid batch, dropping every commit after it. For a
 * topic partition that is Kafka's rule: the unflushed tail may be torn anywhere. For the
 * coordinator it would move committed offsets backwards, and a SIGKILL never tears the middle
 * of a file (the page cache keeps every write): a batch that fails its CRC with whole batches
 * after it is damage, not a torn tail, and the batches after it were acknowledged. So, as Kafka's
 * group loader keeps loading past what it cannot use, every batch that validates is kept and
 * only the damaged bytes go, with a log line each. Bytes after the last valid batch of a segment
 * (a torn write, or damage at the end) are cut too, as recovery would cut a torn tail, but
 * without deleting the segments after it.
 *
 * The repair is crash-safe: the recovery point is moved back to the segment first (so the next
 * open rescans it and rebuilds its indexes), then the valid batches after the damage move to
 * segments of their own (`splitAround`) and the damaged segment is cut where the damage starts.
 *
 * Thread: the coordinator actor's, before CoordinatorLog opens the directory.
 */
import { BATCH_HEADER_BYTES, BatchCheck, BATCH_LOG_OVERHEAD, baseOffsetOf, kBatchLength, kMagic, lastOffsetDeltaOf } from '../protocol/batch-header.js'
import { finishPendingSwap } from '../log/clean-swap.js'
import { RECOVERY_POINT_FILE, readOffsetCheckpoint, writeOffsetCheckpoint } from '../log/checkpoint.js'
import { checkStoredBatch } from '../log/recovery.js'
import { LOG_SUFFIX, parseSegmentBase, segmentFileName } from '../log/segment.js'
import type { LogStore } from '../log/store.js'
import type { Logger } from '../logger.js'

export interface DamagedRange {
  /** The segment file, e.g. `00000000000000000000.log`. */
  segment: string
  /** Byte position of the damage in the segment as it was found. */
  position: number
  bytes: number
  /** Offsets lost with it: from the last good batch before to the next good batch after. */
  firstOffset: number
  /** -1 when no valid batch follows in the segment: a torn (or damaged) end. */
  lastOffset: number
}

/** Cuts damaged batches out of every segment of `store`; returns what was cut (empty when all is well). */
export function salvageCoordinatorLog (store: LogStore, logger: Logger): DamagedRange[] {
  finishPendingSwap(store)
  const damaged: DamagedRange[] = []
  const names = store.list().filter((name) => parseSegmentBase(name) >= 0).sort()
  for (const name of names) {
    const bytes = store.readAll(name)
    if (bytes === null) continue
    const base = parseSegmentBase(name)
    const found = damagedRanges(bytes, base, name)
    if (found.length === 0) continue
    const recoveryPoint = readOffsetCheckpoint(store, RECOVERY_POINT_FILE)
    if (recoveryPoint === null || recoveryPoint > base) writeOffsetCheckpoint(store, RECOVERY_POINT_FILE, base)
    splitAround(store, name, bytes, found)
    for (const range of found) {
      if (range.lastOffset < 0) {
        logger.warn({ ...range, dir: store.path }, 'coordinator log: cut a torn or damaged end of a segment; commits in it are lost, every other record is loaded')
      } else {
        logger.error({ ...range, dir: store.path },
          'coordinator log: cut out a damaged batch (CRC or header invalid); offsets and groups stored in it are lost, every other record is loaded')
      }
    }
    damaged.push(...found)
  }
  return damaged
}

/** The damaged byte ranges of one segment, each followed by a valid batch or by the end of the segment. */
function damagedRanges (bytes: Buffer, baseOffset: number, segment: string): DamagedRange[] {
  const ranges: DamagedRange[] = []
  let position = 0
  let expected = baseOffset
  while (position < bytes.length) {
    const size = validBatchSize(bytes, position, expected)
    if (size > 0) {
      expected = baseOffsetOf(bytes, position) + lastOffsetDeltaOf(bytes, position) + 1
      position += size
      continue
    }
    const next = nextValidBatch(bytes, position + 1, expected)
    if (next < 0) {
      ranges.push({ segment, position, bytes: bytes.length - position, firstOffset: expected, lastOffset: -1 })
      break
    }
    ranges.push({ segment, position, bytes: next - position, firstOffset: expected, lastOffset: baseOffsetOf(bytes, next) - 1 })
    position = next
  }
  return ranges
}

/** The size of the valid batch at `position` whose offsets start at `expected` or later, or 0. */
function validBatchSize (bytes: Buffer, position: number, expected: number): number {
  if (bytes.length - position < BATCH_HEADER_BYTES) return 0
  if (bytes[position + kMagic] !== 2) return 0
  const size = bytes.readInt32BE(position + kBatchLength) + BATCH_LOG_OVERHEAD
  if (size < BATCH_HEADER_BYTES || size > bytes.length - position) return 0
  if (baseOffsetOf(bytes, position) < expected) return 0
  return checkStoredBatch(bytes, position, size) === BatchCheck.Ok ? size : 0
}

/** The first position from `from` on where a valid batch starts, or -1. */
function nextValidBatch (bytes: Buffer, from: number, expected: number): number {
  for (let position = from; position + BATCH_HEADER_BYTES <= bytes.length; position++) {
    if (validBatchSize(bytes, position, expected) > 0) return position
  }
  return -1
}

/**
 * Moves each run of valid batches after a damaged range into a segment of its own, named by its
 * first offset, and cuts the segment before the first damage. A segment holds no gap then (the
 * active one must not); gaps between segments are what compaction leaves too. Each step can be
 * run again: a crash before the cut leaves the damage in place, and the next start does it all
 * again, writing the same files.
 */
function splitAround (store: LogStore, name: string, bytes: Buffer, damaged: readonly DamagedRange[]): void {
  let keepsName = false
  for (let i = 0; i < damaged.length; i++) {
    const start = damaged[i].position + damaged[i].bytes
    const end = i + 1 < damaged.length ? damaged[i + 1].position : bytes.length
    if (start === end) continue // the damage ran to the end of the segment
    const target = segmentFileName(baseOffsetOf(bytes, start), LOG_SUFFIX)
    // Bytes that are not a batch before the segment's first one: the run takes the segment's place.
    keepsName ||= target === name
    store.writeAtomic(target, bytes.subarray(start, end))
  }
  if (keepsName) return
  const file = store.open(name)
  try {
    file.truncate(damaged[0].position)
    file.sync()
  } finally {
    file.close()
  }
}
