/**
 * Walks the records of a batch without making objects: where each record starts and ends,
 * its deltas, where its key is and whether its value is null. The cleaner needs that much for
 * compacted topics (it keys its map by them) and no more, so it never builds records the way
 * record-batch.ts does for clients.
 *
 * Thread: any; pure functions over bytes. Malformed bytes make `walkRecords` return false.
 */
import { ATTR_COMPRESSION_MASK, BATCH_HEADER_BYTES, kAttributes } from '../protocol/batch-header.js'
import { decompress, type Compression } from '../protocol/compression.js'

/** The record `walkRecords` is visiting: positions are in the records buffer it was given. */
export const rec = {
  /** First byte of the length varint. */
  start: 0,
  /** The byte after the record. */
  end: 0,
  /** Where the timestampDelta varint starts and ends (the cleaner rewrites it). */
  timestampStart: 0,
  timestampEnd: 0,
  timestampDelta: 0,
  offsetDelta: 0,
  /** The key's bytes, keyLength -1 for a null key. */
  keyStart: 0,
  keyLength: -1,
  /** -1 for a null value: a tombstone. */
  valueLength: -1
}

let pos = 0

/** A zig-zag varint at `pos`, which must end before `end`; NaN when it does not. */
function zigzagAt (buf: Uint8Array, end: number): number {
  let result = 0
  let multiplier = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return NaN
    const byte = buf[pos++]
    result += (byte & 0x7f) * multiplier
    if (byte < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2
    multiplier *= 128
  }
  return NaN
}

/**
 * Calls `visit` with `rec` filled for each of `count` records in `data` (plain, decompressed
 * record bytes). Returns false, having stopped, at the first malformed record; `visit`
 * returning false stops the walk too (and the result is still true).
 */
export function walkRecords (data: Uint8Array, count: number, visit: () => boolean | undefined): boolean {
  pos = 0
  const length = data.length
  for (let i = 0; i < count; i++) {
    const start = pos
    const size = zigzagAt(data, length)
    if (!(size >= 0) || size > length - pos) return false
    const end = pos + size
    pos++ // record attributes
    rec.timestampStart = pos
    rec.timestampDelta = zigzagAt(data, end)
    rec.timestampEnd = pos
    rec.offsetDelta = zigzagAt(data, end)
    if (Number.isNaN(rec.timestampDelta) || !(rec.offsetDelta >= 0)) return false
    const keyLength = zigzagAt(data, end)
    if (!(keyLength >= -1) || keyLength > end - pos) return false
    rec.keyStart = pos
    rec.keyLength = keyLength
    if (keyLength > 0) pos += keyLength
    const valueLength = zigzagAt(data, end)
    if (!(valueLength >= -1) || valueLength > end - pos) return false
    rec.valueLength = valueLength
    rec.start = start
    rec.end = end
    pos = end
    if (visit() === false) return true
  }
  return true
}

/**
 * The batch's records as plain bytes: a view for an uncompressed batch, else a decompressed copy
 * of at most `maxInflatedBytes`. Throws CompressionError on a bad block or one inflating past that.
 */
export function recordBytesOf (batch: Buffer, at: number, size: number, maxInflatedBytes: number): Buffer {
  const data = batch.subarray(at + BATCH_HEADER_BYTES, at + size)
  const codec = batch.readInt16BE(at + kAttributes) & ATTR_COMPRESSION_MASK
  return codec === 0 ? data : decompress(codec as Compression, data, maxInflatedBytes)
}
