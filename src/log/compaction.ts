/**
 * Log compaction (cleanup.policy=compact): what a clean is (plan and result) and which closed
 * segments to clean now. The clean itself is segment-cleaner.ts, the swap of its files
 * clean-swap.ts; PartitionLog ties them together (planClean, cleanInline, commitClean) and the
 * dispatcher's log-cleaner.ts runs the passes.
 *
 * Thread: the partition's owner (through PartitionLog). Planning reads only segment metadata,
 * a batch header and the cleaner checkpoint.
 *
 * The cleaner checkpoint (`cleaner-offset-checkpoint`, "0\n<first dirty offset> <earliest
 * delete horizon>\n") says where the last clean ended and when a tombstone it kept may go; a
 * log with nothing dirty is cleaned again once that horizon has passed, as Kafka does.
 */
import type { LogConfig } from './config.js'
import { BATCH_HEADER_BYTES } from '../protocol/batch-header.js'
import { inflateLimit } from '../protocol/compression.js'
import { found, INT32_MAX, type Segment } from './segment.js'
import type { LogStore } from './store.js'

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

export interface CleanSegment {
  baseOffset: number
  /** Bytes of whole batches: the segment's size when planned. */
  size: number
}

/** What a clean job needs: plain data, so it crosses to the job pool as it is. */
export interface CleanPlan {
  /** The partition directory; null for a log in memory (cleaned inline by its owner). */
  dir: string | null
  /** The closed segments to clean, oldest first, from the first segment of the log. */
  segments: CleanSegment[]
  /** The cleaner checkpoint: offsets below it were cleaned by an earlier pass. */
  firstDirtyOffset: number
  /** The first offset not cleaned: the base offset of the segment after the last planned one. */
  endOffset: number
  /** The clock of this pass (ms): delete horizons are stamped and checked against it. */
  now: number
  deleteRetentionMs: number
  /** A batch whose records inflate past this is kept unread (compression.ts inflateLimit). */
  maxInflatedBytes: number
  segmentBytes: number
  indexIntervalBytes: number
  segmentIndexBytes: number
  /** Why the pass runs: the dirty ratio, max.compaction.lag.ms, or a tombstone horizon that passed. */
  reason: 'dirty-ratio' | 'max-lag' | 'tombstones'
}

/** One cleaned segment replacing `replaces` (its own base offset first). */
export interface CleanedGroup {
  baseOffset: number
  replaces: number[]
  /** Bytes of the `.log.cleaned` file. */
  size: number
}

export interface CleanResult {
  dir: string | null
  /** The planned segments, checked again at commit. */
  segments: CleanSegment[]
  endOffset: number
  groups: CleanedGroup[]
  /** The earliest delete horizon left in the cleaned segments, -1 when none. */
  earliestHorizon: number
  readBytes: number
  writtenBytes: number
  records: number
  keptRecords: number
  droppedTombstones: number
  /** Records without a key (written before the topic became compacted), dropped. */
  droppedNullKeys: number
  /** Batches whose records could not be read, kept as they were. */
  unreadableBatches: number
  durationMs: number
}

export interface CleanerCheckpoint {
  firstDirtyOffset: number
  /** The earliest delete horizon the last clean left, -1 when none. */
  earliestHorizon: number
}
// --- planning (owner thread)

export interface PlanInput {
  dir: string | null
  segments: readonly Segment[]
  config: LogConfig
  now: number
  highWatermark: number
  logStartOffset: number
  checkpoint: CleanerCheckpoint
}

function newestTimestamp (segment: Segment): number {
  const max = segment.maxTimestamp
  return max >= 0 ? max : segment.createdMs
}

/**
 * The closed segments to clean now, or null: the policy has no compact, nothing is dirty, the
 * dirty ratio is below min.cleanable.dirty.ratio (unless max.compaction.lag.ms forces a clean
 * or a tombstone horizon has passed), or min.compaction.lag.ms holds the dirty segments back.
 * Never the active segment, nor anything at or above the high watermark.
 */
export function planClean (input: PlanInput): CleanPlan | null {
  const { segments, config, now } = input
  if (!config.cleanupPolicy.includes('compact')) return null
  const closed = segments.length - 1
  const firstDirty = Math.max(input.checkpoint.firstDirtyOffset, input.logStartOffset)
  let end = 0
  while (end < closed && segments[end + 1].baseOffset <= input.highWatermark) {
    const segment = segments[end]
    const dirty = segments[end + 1].baseOffset > firstDirty
    if (dirty && config.minCompactionLagMs > 0 && now - newestTimestamp(segment) < config.minCompactionLagMs) break
    end++
  }
  if (end === 0) return null
  let dirtyBytes = 0
  let cleanBytes = 0
  let firstDirtySegment = -1
  for (let i = 0; i < end; i++) {
    if (segments[i + 1].baseOffset > firstDirty) {
      dirtyBytes += segments[i].size
      if (firstDirtySegment < 0) firstDirtySegment = i
    } else {
      cleanBytes += segments[i].size
    }
  }
  let reason: CleanPlan['reason'] | null = null
  const horizon = input.checkpoint.earliestHorizon
  if (dirtyBytes > 0 && dirtyBytes / (dirtyBytes + cleanBytes) >= config.minCleanableDirtyRatio) reason = 'dirty-ratio'
  if (reason === null && dirtyBytes > 0 && config.maxCompactionLagMs < Number.MAX_SAFE_INTEGER) {
    const first = segments[firstDirtySegment]
    const firstTimestamp = first.readHeader(0, BATCH_HEADER_BYTES) ? found.maxTimestamp : first.createdMs
    if (now - firstTimestamp > config.maxCompactionLagMs) reason = 'max-lag'
  }
  if (reason === null && horizon >= 0 && horizon <= now) reason = 'tombstones'
  if (reason === null) return null
  return {
    dir: input.dir,
    segments: segments.slice(0, end).map(s => ({ baseOffset: s.baseOffset, size: s.size })),
    firstDirtyOffset: firstDirty,
    endOffset: segments[end].baseOffset,
    now,
    deleteRetentionMs: config.deleteRetentionMs,
    maxInflatedBytes: inflateLimit(config.maxMessageBytes),
    segmentBytes: config.segmentBytes,
    indexIntervalBytes: config.indexIntervalBytes,
    segmentIndexBytes: config.segmentIndexBytes,
    reason
  }
}

/** Segments cleaned into one: together no larger than segment.bytes, offsets within an int32 of the first. */
export function groupSegments (plan: CleanPlan): CleanSegment[][] {
  const groups: CleanSegment[][] = []
  const segments = plan.segments
  let i = 0
  while (i < segments.length) {
    const group = [segments[i]]
    let bytes = segments[i].size
    i++
    while (i < segments.length) {
      const nextEnd = i + 1 < segments.length ? segments[i + 1].baseOffset : plan.endOffset
      if (bytes + segments[i].size > plan.segmentBytes || nextEnd - 1 - group[0].baseOffset > INT32_MAX) break
      bytes += segments[i].size
      group.push(segments[i])
      i++
    }
    groups.push(group)
  }
  return groups
}
export function readCleanerCheckpoint (store: LogStore): CleanerCheckpoint {
  const bytes = store.readAll(CLEANER_CHECKPOINT_FILE)
  const match = bytes === null ? null : /^0\n(\d+) (-1|\d+)\n$/.exec(bytes.toString('latin1'))
  if (match === null) return { firstDirtyOffset: 0, earliestHorizon: -1 }
  return { firstDirtyOffset: Number(match[1]), earliestHorizon: Number(match[2]) }
}

export function writeCleanerCheckpoint (store: LogStore, checkpoint: CleanerCheckpoint): void {
  store.writeAtomic(CLEANER_CHECKPOINT_FILE, Buffer.from(`0\n${checkpoint.firstDirtyOffset} ${checkpoint.earliestHorizon}\n`, 'latin1'))
}
