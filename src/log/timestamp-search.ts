/**
 * The last step of a ListOffsets lookup by time: inside one stored batch, the first record at
 * or after a timestamp, or the first record holding the batch's largest timestamp. The sparse
 * time index and the batch headers find the batch; only that batch's records are decoded
 * (decompressed when needed), walked in place without making record objects.
 *
 * Record timestamps follow Kafka's: with LogAppendTime every record takes the batch's
 * maxTimestamp, otherwise baseTimestamp + timestampDelta.
 *
 * Thread: whichever owns the log; synchronous, no state kept between calls.
 */
import {
  ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_BYTES, kAttributes, kBaseOffset, kBaseTimestamp, kMaxTimestamp,
  kRecordCount, readInt64
} from '../protocol/batch-header.js'
import { Compression, CompressionError, decompress, inflateLimit } from '../protocol/compression.js'
import { LogStatus } from './errors.js'
import { rec, walkRecords } from './record-keys.js'
import type { StoreFile } from './store.js'

/**
 * The batch a lookup reads goes into one reused buffer up to this size (a lookup is synchronous
 * and keeps nothing of the bytes); a larger batch gets a buffer of its own.
 */
const SCRATCH_MAX_BYTES = 2 * 1024 * 1024
let scratch = Buffer.allocUnsafe(0)

function batchBuffer (size: number): Buffer {
  if (size > SCRATCH_MAX_BYTES) return Buffer.allocUnsafe(size)
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX_BYTES, Math.max(size, scratch.length * 2, 64 * 1024)))
  return scratch.subarray(0, size)
}

/** What the last successful search found. */
export const hit = { offset: -1, timestamp: -1 }

// The walk's inputs and best match, in module slots so its visitor is one function, made once.
let target = 0
let minOffset = 0
let baseOffset = 0
let baseTimestamp = 0
let appendTime = -1
let bestTimestamp = -1

function timestampOfRecord (): number {
  return appendTime >= 0 ? appendTime : baseTimestamp + rec.timestampDelta
}

const firstAtOrAfter = (): boolean => {
  const offset = baseOffset + rec.offsetDelta
  const timestamp = timestampOfRecord()
  if (offset < minOffset || timestamp < target) return true
  hit.offset = offset
  hit.timestamp = timestamp
  return false
}

const firstLargest = (): boolean => {
  const offset = baseOffset + rec.offsetDelta
  const timestamp = timestampOfRecord()
  if (offset >= minOffset && timestamp > bestTimestamp) {
    bestTimestamp = timestamp
    hit.offset = offset
    hit.timestamp = timestamp
  }
  return true
}

/**
 * The first record of the batch at `position` (`size` bytes) whose offset is ≥ `fromOffset` and
 * whose timestamp is ≥ `timestamp`, into `hit`. Ok, NotFound (no such record in this batch),
 * CorruptMessage (records that cannot be read), RecordTooLarge (past the inflate cap) or
 * StorageError.
 */
export function searchBatchForTimestamp (file: StoreFile, position: number, size: number, timestamp: number,
  fromOffset: number, maxMessageBytes: number): LogStatus {
  target = timestamp
  return search(file, position, size, fromOffset, maxMessageBytes, firstAtOrAfter)
}

/**
 * The first record of the batch at `position` with offset ≥ `fromOffset` holding the largest
 * timestamp among those records, into `hit` (Kafka's offset of the max timestamp). Statuses as
 * `searchBatchForTimestamp`.
 */
export function searchBatchForMaxTimestamp (file: StoreFile, position: number, size: number,
  fromOffset: number, maxMessageBytes: number): LogStatus {
  bestTimestamp = -Infinity
  return search(file, position, size, fromOffset, maxMessageBytes, firstLargest)
}

function search (file: StoreFile, position: number, size: number, fromOffset: number, maxMessageBytes: number,
  visit: () => boolean): LogStatus {
  if (size < BATCH_HEADER_BYTES) return LogStatus.CorruptMessage
  const batch = batchBuffer(size)
  try {
    let done = 0
    while (done < size) {
      const n = file.read(batch, done, size - done, position + done)
      if (n <= 0) return LogStatus.StorageError
      done += n
    }
  } catch {
    return LogStatus.StorageError
  }
  const attributes = batch.readInt16BE(kAttributes)
  const codec = attributes & ATTR_COMPRESSION_MASK
  let records: Buffer
  try {
    const payload = batch.subarray(BATCH_HEADER_BYTES)
    // The produce path's cap (a stored batch passed it; max.message.bytes may have shrunk since).
    records = codec === Compression.None ? payload : decompress(codec, payload, inflateLimit(Math.max(maxMessageBytes, size)))
  } catch (err) {
    return err instanceof CompressionError && err.reason === 'too-large' ? LogStatus.RecordTooLarge : LogStatus.CorruptMessage
  }
  minOffset = fromOffset
  baseOffset = readInt64(batch, kBaseOffset)
  baseTimestamp = readInt64(batch, kBaseTimestamp)
  appendTime = (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? readInt64(batch, kMaxTimestamp) : -1
  hit.offset = -1
  hit.timestamp = -1
  if (!walkRecords(records, batch.readInt32BE(kRecordCount), visit)) return LogStatus.CorruptMessage
  return hit.offset >= 0 ? LogStatus.Ok : LogStatus.NotFound
}
