/**
 * The clean of a planned compaction (compaction.ts): reads closed segments, writes
 * `<base>.log.cleaned` with its `.index.cleaned` and `.timeindex.cleaned`, fsynced, one per
 * group of segments. The log itself is not touched: clean-swap.ts swaps the files in.
 *
 * Thread: any. A pure function of the directory's files, run in the job pool (jobs/clean.ts)
 * or by the owner for a log in memory. Closed segments never change, so it can read them while
 * the owner keeps appending to the active segment.
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
 * Kafka's cleaner does. A batch that cannot be read (corrupt, or inflating past
 * plan.maxInflatedBytes: a bomb already on disk) is kept as it is and counted in
 * unreadableBatches, which the LogCleaner logs.
 *
 * Tombstones follow Kafka's delete horizon: the first clean that keeps a tombstone stamps its
 * batch (attribute bit 6, baseTimestamp = plan.now + delete.retention.ms, record timestamp
 * deltas rewritten so record timestamps do not change); a later clean whose `now` is at or past
 * that horizon drops it. The clock is the broker's wall clock at planning time (`now`).
 */
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_DELETE_HORIZON, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, attributesOf,
  baseOffsetOf, baseTimestampOf, batchSizeAt, kAttributes, kBaseTimestamp, kBatchLength, kRecordCount, maxTimestampOf,
  recordCountOf, sealCrc, writeInt64
} from '../protocol/batch-header.js'
import { compress, type Compression } from '../protocol/compression.js'
import { sizeOfVarint, writeVarint } from '../protocol/varint.js'
import { groupSegments, type CleanPlan, type CleanResult } from './compaction.js'
import { OffsetIndex } from './offset-index.js'
import { rec, recordBytesOf, walkRecords } from './record-keys.js'
import { INDEX_SUFFIX, LOG_SUFFIX, segmentFileName, TIME_INDEX_SUFFIX } from './segment.js'
import { DiskStore, type LogStore, type StoreFile } from './store.js'
import { TimeIndex } from './time-index.js'

export const CLEANED_SUFFIX = '.cleaned'

/** Bytes read from a segment at a time; a larger batch gets a buffer of its own size. */
const READ_CHUNK_BYTES = 1 << 20
/** Cleaned bytes gathered before one write. */
const WRITE_CHUNK_BYTES = 1 << 20
/**
 * The furthest a delete horizon is put ahead (about 35,000 years): record timestamp deltas are
 * taken against the horizon, and must stay exact doubles for any delete.retention.ms.
 */
const MAX_HORIZON_AHEAD_MS = 2 ** 50

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
      data = recordBytesOf(buf, at, batchSizeAt(buf, at), this.plan.maxInflatedBytes)
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
      data = recordBytesOf(buf, at, size, this.plan.maxInflatedBytes)
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
    const horizon = stampHorizon ? this.plan.now + Math.min(this.plan.deleteRetentionMs, MAX_HORIZON_AHEAD_MS) : this.#horizon
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
