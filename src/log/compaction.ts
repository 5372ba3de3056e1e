/**
 * Log compaction (cleanup.policy=compact): which closed segments to clean, the clean itself,
 * and the crash-safe swap of the cleaned files.
 *
 * Thread: none of its own. `planClean` and the swap run on the thread that owns the partition
 * (through PartitionLog); `cleanSegments` is a pure function of the directory's files and runs
 * in the job pool (or inline for a log in memory). Closed segments never change, so the job
 * can read them while the owner keeps appending to the active segment.
 *
 * What a clean keeps, per record of the planned segments: the last record of each key (by
 * offset); a tombstone (null value) until its batch's delete horizon has passed. Batches keep
 * their base offset, lastOffsetDelta, producer fields, attributes, maxTimestamp and codec (a
 * compressed batch is re-compressed with its own codec), so offsets keep their gaps and a
 * consumer that advances by lastOffsetDelta never goes backwards. A batch left without records
 * is dropped, also when it was its producer's last: Kafka keeps an empty one for the
 * producer's sequence state, but here that state lives in the producer snapshots written at
 * every roll (producer-state.ts), and only closed segments are cleaned. Control batches are kept
 * as they are. Records without a key cannot be compacted: they are dropped and counted, as
 * Kafka's cleaner does.
 *
 * Tombstones follow Kafka's delete horizon: the first clean that keeps a tombstone stamps its
 * batch (attribute bit 6, baseTimestamp = plan.now + delete.retention.ms, record timestamp
 * deltas rewritten so record timestamps do not change); a later clean whose `now` is at or past
 * that horizon drops it. The clock is the broker's wall clock at planning time (`now`).
 *
 * Swap: the job writes `<base>.log.cleaned` (+ `.index.cleaned`, `.timeindex.cleaned`) fsynced.
 * The owner then writes the manifest `cleaner-swap` (atomic): from then on the swap is decided.
 * It removes the replaced segments, renames the cleaned files over their final names (log
 * last), fsyncs the directory and removes the manifest. Opening a log finishes a swap whose
 * manifest exists and discards `.cleaned` files that have none.
 */
import { renameSync } from 'node:fs'
import { join } from 'node:path'
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_DELETE_HORIZON, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, attributesOf,
  baseOffsetOf, baseTimestampOf, batchSizeAt, kAttributes, kBaseTimestamp, kBatchLength, kRecordCount, maxTimestampOf, recordCountOf, sealCrc, writeInt64
} from '../protocol/batch-header.js'
import { compress, type Compression } from '../protocol/compression.js'
import { sizeOfVarint, writeVarint } from '../protocol/varint.js'
import type { LogConfig } from './config.js'
import { OffsetIndex } from './offset-index.js'
import { rec, recordBytesOf, walkRecords } from './record-keys.js'
import { found, INDEX_SUFFIX, INT32_MAX, LOG_SUFFIX, type Segment, segmentFileName, TIME_INDEX_SUFFIX } from './segment.js'
import { DiskStore, type LogStore, type StoreFile } from './store.js'
import { TimeIndex } from './time-index.js'

export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_MANIFEST_FILE = 'cleaner-swap'
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

/** Bytes read from a segment at a time; a larger batch gets a buffer of its own size. */
const READ_CHUNK_BYTES = 1 << 20
/** Cleaned bytes gathered before one write. */
const WRITE_CHUNK_BYTES = 1 << 20

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

// --- cleaning (job thread, or the owner for a log in memory)

/** Calls `fn` for each whole batch of the first `size` bytes of `file`, reading in chunks. */
function forEachStoredBatch (file: StoreFile, size: number, fn: (buf: Buffer, at: number, batchSize: number) => void): void {
  let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(size, BATCH_LOG_OVERHEAD)))
  let start = 0
  let length = 0
  const fill = (position: number, need: number): void => {
    if (need > buf.length) buf = Buffer.allocUnsafe(need)
    const want = Math.min(buf.length, size - position)
    let got = 0
    while (got < want) {
      const n = file.read(buf, got, want - got, position + got)
      if (n <= 0) break
      got += n
    }
    start = position
    length = got
    if (got < need) throw new Error(`${file.name}: short read at ${position}`)
  }
  let position = 0
  while (position < size) {
    if (position + BATCH_LOG_OVERHEAD > start + length) fill(position, BATCH_LOG_OVERHEAD)
    const batchSize = batchSizeAt(buf, position - start)
    if (batchSize < 0 || position + batchSize > size) throw new Error(`${file.name}: no whole batch at ${position}`)
    if (position + batchSize > start + length) fill(position, batchSize)
    fn(buf, position - start, batchSize)
    position += batchSize
  }
}

/** Writes a file in large chunks. */
class ChunkWriter {
  readonly #file: StoreFile
  readonly #buf = Buffer.allocUnsafe(WRITE_CHUNK_BYTES)
  #used = 0
  position = 0

  constructor (file: StoreFile) {
    this.#file = file
    if (file.size > 0) file.truncate(0)
  }

  write (bytes: Uint8Array, from: number, to: number): void {
    const n = to - from
    if (this.#used + n > this.#buf.length) this.flush()
    if (n > this.#buf.length) {
      this.#writeAll(bytes, from, n)
    } else {
      this.#buf.set(bytes.subarray(from, to), this.#used)
      this.#used += n
    }
    this.position += n
  }

  flush (): void {
    if (this.#used === 0) return
    this.#writeAll(this.#buf, 0, this.#used)
    this.#used = 0
  }

  #writeAll (bytes: Uint8Array, from: number, n: number): void {
    const at = this.#file.size
    let done = 0
    while (done < n) {
      const w = this.#file.write(bytes, from + done, n - done, at + done)
      if (w <= 0) throw Object.assign(new Error(`short write to ${this.#file.name}`), { code: 'EIO' })
      done += w
    }
  }
}

/** The indexes of a cleaned segment, built as Segment builds them on append. */
class IndexBuilder {
  readonly offsets: OffsetIndex
  readonly times: TimeIndex
  readonly #interval: number
  #bytesSince = 0
  #maxTimestamp = -1
  #offsetOfMax = 0

  constructor (plan: CleanPlan) {
    this.offsets = new OffsetIndex(plan.segmentIndexBytes)
    this.times = new TimeIndex(plan.segmentIndexBytes)
    this.#interval = plan.indexIntervalBytes
  }

  add (position: number, relativeOffset: number, size: number, maxTimestamp: number): void {
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp
      this.#offsetOfMax = relativeOffset
    }
    if (this.#bytesSince > this.#interval) {
      this.offsets.append(relativeOffset, position)
      this.times.maybeAppend(this.#maxTimestamp, this.#offsetOfMax)
      this.#bytesSince = 0
    }
    this.#bytesSince += size
  }

  finish (): void {
    if (this.#maxTimestamp >= 0) this.times.maybeAppend(this.#maxTimestamp, this.#offsetOfMax, true)
  }
}

/** Per-pass state of `cleanSegments`. */
class Cleaner {
  readonly plan: CleanPlan
  readonly latest = new Map<string, number>()
  readonly result: CleanResult
  // Kept records of the batch being cleaned.
  #starts: number[] = []
  #ends: number[] = []
  #tsStarts: number[] = []
  #tsEnds: number[] = []
  #deltas: number[] = []
  #data: Buffer = Buffer.alloc(0)
  #base = 0
  #horizon = -1
  #keptTombstones = 0

  constructor (plan: CleanPlan) {
    this.plan = plan
    this.result = {
      dir: plan.dir,
      segments: plan.segments,
      endOffset: plan.endOffset,
      groups: [],
      earliestHorizon: -1,
      readBytes: 0,
      writtenBytes: 0,
      records: 0,
      keptRecords: 0,
      droppedTombstones: 0,
      droppedNullKeys: 0,
      unreadableBatches: 0,
      durationMs: 0
    }
  }

  /** First pass over a batch: the offset of each key's last record. */
  readonly mapBatch = (buf: Buffer, at: number): void => {
    if ((attributesOf(buf, at) & ATTR_CONTROL) !== 0) return
    let data: Buffer
    try {
      data = recordBytesOf(buf, at, batchSizeAt(buf, at))
    } catch {
      return
    }
    const base = baseOffsetOf(buf, at)
    const latest = this.latest
    walkRecords(data, recordCountOf(buf, at), () => {
      if (rec.keyLength >= 0) latest.set(data.toString('latin1', rec.keyStart, rec.keyStart + rec.keyLength), base + rec.offsetDelta)
      return true
    })
  }

  readonly #visit = (): boolean => {
    const result = this.result
    result.records++
    if (rec.keyLength < 0) { result.droppedNullKeys++; return true }
    const data = this.#data
    const offset = this.#base + rec.offsetDelta
    if (this.latest.get(data.toString('latin1', rec.keyStart, rec.keyStart + rec.keyLength)) !== offset) return true
    if (rec.valueLength < 0) {
      if (this.#horizon >= 0 && this.plan.now >= this.#horizon) { result.droppedTombstones++; return true }
      this.#keptTombstones++
    }
    this.#starts.push(rec.start)
    this.#ends.push(rec.end)
    this.#tsStarts.push(rec.timestampStart)
    this.#tsEnds.push(rec.timestampEnd)
    this.#deltas.push(rec.timestampDelta)
    return true
  }

  /**
   * Second pass over a batch: null to drop it, `buf` itself to keep it as it is, or a rebuilt
   * batch holding only the records kept.
   */
  cleanBatch (buf: Buffer, at: number, size: number): Buffer | null {
    const attributes = attributesOf(buf, at)
    if ((attributes & ATTR_CONTROL) !== 0) return buf
    const count = recordCountOf(buf, at)
    let data: Buffer
    try {
      data = recordBytesOf(buf, at, size)
    } catch {
      this.result.unreadableBatches++
      return buf
    }
    this.#starts.length = 0
    this.#ends.length = 0
    this.#tsStarts.length = 0
    this.#tsEnds.length = 0
    this.#deltas.length = 0
    this.#data = data
    this.#base = baseOffsetOf(buf, at)
    this.#horizon = (attributes & ATTR_DELETE_HORIZON) !== 0 ? baseTimestampOf(buf, at) : -1
    this.#keptTombstones = 0
    const before = this.result.records
    if (!walkRecords(data, count, this.#visit)) {
      this.result.records = before + count
      this.result.unreadableBatches++
      return buf
    }
    const kept = this.#starts.length
    this.result.keptRecords += kept
    if (kept === 0) return null
    const stampHorizon = this.#keptTombstones > 0 && this.#horizon < 0
    const horizon = stampHorizon ? this.plan.now + this.plan.deleteRetentionMs : this.#horizon
    if (this.#keptTombstones > 0 && (this.result.earliestHorizon < 0 || horizon < this.result.earliestHorizon)) this.result.earliestHorizon = horizon
    if (kept === count && !stampHorizon) return buf
    return this.#rebuild(buf, at, data, stampHorizon ? horizon : -1)
  }

  /** A batch with the original header and only the kept records; with `horizon` ≥ 0 it is stamped. */
  #rebuild (buf: Buffer, at: number, data: Buffer, horizon: number): Buffer {
    const kept = this.#starts.length
    const baseTimestamp = baseTimestampOf(buf, at)
    let bytes = 0
    for (let i = 0; i < kept; i++) {
      if (horizon < 0) {
        bytes += this.#ends[i] - this.#starts[i]
      } else {
        const body = 1 + sizeOfVarint(baseTimestamp + this.#deltas[i] - horizon) + this.#ends[i] - this.#tsEnds[i]
        bytes += sizeOfVarint(body) + body
      }
    }
    const records = Buffer.allocUnsafe(bytes)
    let pos = 0
    for (let i = 0; i < kept; i++) {
      if (horizon < 0) {
        pos += data.copy(records, pos, this.#starts[i], this.#ends[i])
      } else {
        const delta = baseTimestamp + this.#deltas[i] - horizon
        const body = 1 + sizeOfVarint(delta) + this.#ends[i] - this.#tsEnds[i]
        pos = writeVarint(records, pos, body)
        records[pos++] = data[this.#tsStarts[i] - 1] // record attributes
        pos = writeVarint(records, pos, delta)
        pos += data.copy(records, pos, this.#tsEnds[i], this.#ends[i])
      }
    }
    const codec = buf.readInt16BE(at + kAttributes) & ATTR_COMPRESSION_MASK
    const block = codec === 0 ? records : compress(codec as Compression, records)
    const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + block.length)
    buf.copy(out, 0, at, at + BATCH_HEADER_BYTES)
    block.copy(out, BATCH_HEADER_BYTES)
    out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, kBatchLength)
    out.writeInt32BE(kept, kRecordCount)
    if (horizon >= 0) {
      out.writeInt16BE(buf.readInt16BE(at + kAttributes) | ATTR_DELETE_HORIZON, kAttributes)
      writeInt64(out, kBaseTimestamp, horizon)
    }
    sealCrc(out, 0)
    return out
  }
}

export function cleanedName (baseOffset: number, suffix: string): string {
  return segmentFileName(baseOffset, suffix) + CLEANED_SUFFIX
}

function writeWhole (store: LogStore, name: string, bytes: Buffer): void {
  const file = store.open(name)
  try {
    const writer = new ChunkWriter(file)
    writer.write(bytes, 0, bytes.length)
    writer.flush()
    file.sync()
  } finally {
    file.close()
  }
}

/**
 * Cleans the planned segments of `store` into `.cleaned` files (fsynced), one per group of
 * segments; the log itself is not touched. Throws the fs error when a file cannot be read or
 * written.
 */
export function cleanSegments (store: LogStore, plan: CleanPlan): CleanResult {
  const began = performance.now()
  const cleaner = new Cleaner(plan)
  const result = cleaner.result
  for (const segment of plan.segments) {
    const file = store.open(segmentFileName(segment.baseOffset, LOG_SUFFIX))
    try {
      forEachStoredBatch(file, segment.size, cleaner.mapBatch)
    } finally {
      file.close()
    }
    result.readBytes += segment.size
  }
  for (const group of groupSegments(plan)) {
    const base = group[0].baseOffset
    const indexes = new IndexBuilder(plan)
    const out = store.open(cleanedName(base, LOG_SUFFIX))
    try {
      const writer = new ChunkWriter(out)
      for (const segment of group) {
        const file = store.open(segmentFileName(segment.baseOffset, LOG_SUFFIX))
        try {
          forEachStoredBatch(file, segment.size, (buf, at, size) => {
            const cleaned = cleaner.cleanBatch(buf, at, size)
            if (cleaned === null) return
            const from = cleaned === buf ? at : 0
            const length = cleaned === buf ? size : cleaned.length
            indexes.add(writer.position, baseOffsetOf(cleaned, from) - base, length, maxTimestampOf(cleaned, from))
            writer.write(cleaned, from, from + length)
          })
        } finally {
          file.close()
        }
      }
      writer.flush()
      out.sync()
      indexes.finish()
      result.groups.push({ baseOffset: base, replaces: group.map(s => s.baseOffset), size: writer.position })
      result.writtenBytes += writer.position
    } finally {
      out.close()
    }
    writeWhole(store, cleanedName(base, INDEX_SUFFIX), indexes.offsets.contents())
    writeWhole(store, cleanedName(base, TIME_INDEX_SUFFIX), indexes.times.contents())
  }
  result.durationMs = performance.now() - began
  return result
}

/** The job's entry: cleans the plan's directory. */
export function cleanPartitionDir (plan: CleanPlan): CleanResult {
  if (plan.dir === null) throw new Error('a clean plan for a log in memory runs on its owner, not in a job')
  return cleanSegments(new DiskStore(plan.dir), plan)
}

// --- swap (owner thread, and at open)

/** Whether every cleaned file of `result` is there, the log files at the size the job wrote. */
export function cleanedFilesPresent (store: LogStore, result: CleanResult): boolean {
  for (const group of result.groups) {
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) if (!store.exists(cleanedName(group.baseOffset, suffix))) return false
    const name = cleanedName(group.baseOffset, LOG_SUFFIX)
    if (!store.exists(name)) return false
    const log = store.open(name)
    const size = log.size
    log.close()
    if (size !== group.size) return false
  }
  return true
}

function rename (store: LogStore, from: string, to: string): void {
  if (!store.exists(from)) return
  if (store.path !== null) {
    renameSync(join(store.path, from), join(store.path, to))
    return
  }
  const bytes = store.readAll(from)
  if (bytes !== null) store.writeAtomic(to, bytes)
  store.remove(from)
}

export function writeSwapManifest (store: LogStore, groups: readonly CleanedGroup[]): void {
  const lines = groups.map(g => g.replaces.join(' '))
  store.writeAtomic(SWAP_MANIFEST_FILE, Buffer.from(`0\n${groups.length}\n${lines.join('\n')}\n`, 'latin1'))
}

/** The groups of a swap manifest (their first offset is the output's base), or null when there is none or it is unreadable. */
export function readSwapManifest (store: LogStore): number[][] | null {
  const bytes = store.readAll(SWAP_MANIFEST_FILE)
  if (bytes === null) return null
  const lines = bytes.toString('latin1').split('\n')
  if (lines[0] !== '0' || !/^\d+$/.test(lines[1] ?? '')) return null
  const count = Number(lines[1])
  const groups: number[][] = []
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i]
    if (line === undefined || !/^\d+( \d+)*$/.test(line)) return null
    groups.push(line.split(' ').map(Number))
  }
  return groups
}

/**
 * The swap's file operations in order, each one idempotent, so a crash after any of them is
 * finished by running them all again. The log file is renamed last: until then the old log is
 * whole under its name.
 */
export function swapSteps (store: LogStore, groups: readonly number[][]): Array<() => void> {
  const steps: Array<() => void> = []
  for (const replaces of groups) {
    const base = replaces[0]
    for (const old of replaces.slice(1)) {
      steps.push(() => store.remove(segmentFileName(old, LOG_SUFFIX)))
      steps.push(() => store.remove(segmentFileName(old, INDEX_SUFFIX)))
      steps.push(() => store.remove(segmentFileName(old, TIME_INDEX_SUFFIX)))
    }
    steps.push(() => rename(store, cleanedName(base, INDEX_SUFFIX), segmentFileName(base, INDEX_SUFFIX)))
    steps.push(() => rename(store, cleanedName(base, TIME_INDEX_SUFFIX), segmentFileName(base, TIME_INDEX_SUFFIX)))
    steps.push(() => rename(store, cleanedName(base, LOG_SUFFIX), segmentFileName(base, LOG_SUFFIX)))
  }
  steps.push(() => store.syncDir())
  steps.push(() => store.remove(SWAP_MANIFEST_FILE))
  return steps
}

/** Removes `.cleaned` files that no manifest names: a clean that was never committed. */
export function discardCleaned (store: LogStore): void {
  for (const name of store.list()) if (name.endsWith(CLEANED_SUFFIX)) store.remove(name)
}

/**
 * Run before a directory's segments are read: finishes a swap whose manifest exists and drops
 * uncommitted `.cleaned` files. Returns whether a swap was finished.
 */
export function finishPendingSwap (store: LogStore): boolean {
  const groups = readSwapManifest(store)
  if (groups === null) {
    store.remove(SWAP_MANIFEST_FILE)
  } else {
    for (const step of swapSteps(store, groups)) step()
  }
  discardCleaned(store)
  return groups !== null
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
