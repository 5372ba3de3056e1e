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
import { createRequire } from 'node:module'
import { gunzipSync } from 'node:zlib'
import {
  ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_BYTES, kAttributes, kBaseOffset, kBaseTimestamp, kMaxTimestamp,
  kRecordCount, readInt64
} from '../protocol/batch-header.js'
import { Compression, decompress } from '../protocol/compression.js'
import { LogStatus } from './errors.js'
import { rec, walkRecords } from './record-keys.js'
import type { StoreFile } from './store.js'

/**
 * How far a lookup inflates one batch: this many times the larger of max.message.bytes and the
 * batch's stored size. A stand-in until the broker has one shared decompression cap; a batch
 * past it is refused (RecordTooLarge) rather than inflated without bound.
 */
export const LOOKUP_INFLATE_FACTOR = 4

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
    records = inflateCapped(codec, batch.subarray(BATCH_HEADER_BYTES), LOOKUP_INFLATE_FACTOR * Math.max(maxMessageBytes, size))
  } catch (err) {
    return err instanceof InflateLimitError ? LogStatus.RecordTooLarge : LogStatus.CorruptMessage
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

// --- the inflate cap

class InflateLimitError extends Error {}

const require = createRequire(import.meta.url)

interface ZstdBinding {
  decompress (dst: Uint8Array, src: Uint8Array): number
  getFrameContentSize (src: Uint8Array): number | null
  findFrameCompressedSize (src: Uint8Array): number
}
let zstdBinding: ZstdBinding | null = null

/**
 * A batch's record bytes, decompressed into at most `limit` bytes: gzip and zstd stop at the
 * limit, snappy checks the lengths it declares first; lz4-napi has no output bound, so lz4 is
 * checked after (an lz4 block expands at most ~255 times).
 */
function inflateCapped (codec: number, data: Buffer, limit: number): Buffer {
  switch (codec) {
    case Compression.None: return data
    case Compression.Gzip:
      try {
        return gunzipSync(data, { maxOutputLength: limit })
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InflateLimitError('gzip output past the lookup cap')
        throw err
      }
    case Compression.Zstd: {
      zstdBinding ??= require('zstd-napi/binding') as ZstdBinding
      const declared = zstdBinding.getFrameContentSize(data)
      if (declared !== null && declared > limit) throw new InflateLimitError('zstd frame declares more than the lookup cap')
      // One frame that declares its size gets exactly that; otherwise (no size, several frames) the cap.
      const exact = declared !== null && zstdBinding.findFrameCompressedSize(data) === data.length
      const out = Buffer.allocUnsafe(exact ? declared : limit)
      // A destination too small for the frames makes zstd fail rather than overrun.
      try {
        return out.subarray(0, zstdBinding.decompress(out, data))
      } catch (err) {
        if (!exact && /too small/i.test((err as Error).message)) throw new InflateLimitError('zstd output past the lookup cap')
        throw err
      }
    }
    case Compression.Snappy:
      if (snappyDeclaredBytes(data) > limit) throw new InflateLimitError('snappy blocks declare more than the lookup cap')
      return decompress(Compression.Snappy, data)
    case Compression.Lz4: {
      const out = decompress(Compression.Lz4, data)
      if (out.length > limit) throw new InflateLimitError('lz4 output past the lookup cap')
      return out
    }
    default: return decompress(codec as Compression, data)
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_BYTES = 16

/** The uncompressed length a raw snappy block declares (its leading varint), or Infinity. */
function snappyBlockLength (data: Buffer, at: number, end: number): number {
  let length = 0
  let multiplier = 1
  for (let i = 0; i < 5 && at + i < end; i++) {
    const byte = data[at + i]
    length += (byte & 0x7f) * multiplier
    if (byte < 0x80) return length
    multiplier *= 128
  }
  return Infinity
}

/** Bytes a snappy payload (raw, or xerial-framed as the Java client writes) says it holds. */
function snappyDeclaredBytes (data: Buffer): number {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyBlockLength(data, 0, data.length)
  }
  let total = 0
  let at = XERIAL_HEADER_BYTES
  while (at + 4 <= data.length) {
    const length = data.readInt32BE(at)
    if (length < 0 || at + 4 + length > data.length) return Infinity
    total += snappyBlockLength(data, at + 4, at + 4 + length)
    at += 4 + length
  }
  return total
}
