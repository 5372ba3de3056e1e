/**
 * The fixed 61-byte header of a record batch v2 (../shared/kafka/PROTOCOL.md §9), read and
 * patched in place. Nothing here decodes records: the produce path checks a batch and
 * assigns its offsets through these functions alone.
 *
 *   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8
 *   17 crc u32 (CRC-32C of byte 21 to the end) | 21 attributes i16 | 23 lastOffsetDelta i32
 *   27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16
 *   53 baseSequence i32 | 57 recordCount i32 | 61 records…
 */
import { crc32c } from './crc32c.js'

export const BATCH_HEADER_BYTES = 61
/** baseOffset + batchLength: the bytes before the length's reach. */
export const BATCH_LOG_OVERHEAD = 12

export const kBaseOffset = 0
export const kBatchLength = 8
export const kPartitionLeaderEpoch = 12
export const kMagic = 16
export const kCrc = 17
export const kAttributes = 21
export const kLastOffsetDelta = 23
export const kBaseTimestamp = 27
export const kMaxTimestamp = 35
export const kProducerId = 43
export const kProducerEpoch = 51
export const kBaseSequence = 53
export const kRecordCount = 57
/** CRC coverage starts at the attributes. */
export const CRC_START = kAttributes

export const ATTR_COMPRESSION_MASK = 0x07
export const ATTR_TIMESTAMP_TYPE = 0x08
export const ATTR_TRANSACTIONAL = 0x10
export const ATTR_CONTROL = 0x20
export const ATTR_DELETE_HORIZON = 0x40

export enum BatchCheck {
  Ok = 0,
  /** Fewer bytes than the header or than batchLength announces. */
  Truncated = 1,
  BadMagic = 2,
  BadCrc = 3,
  /** recordCount < 1, lastOffsetDelta + 1 != recordCount, or a negative length. */
  BadCount = 4,
}

/** INT64 at `at` as a JS number (offsets and timestamps stay well inside 2^53). */
export function readInt64 (buf: Uint8Array, at: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset + at, 8)
  return view.getInt32(0) * 4294967296 + view.getUint32(4)
}

export function writeInt64 (buf: Uint8Array, at: number, value: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset + at, 8)
  const hi = Math.floor(value / 4294967296)
  view.setInt32(0, hi)
  view.setUint32(4, value - hi * 4294967296)
}

function view (buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** Total bytes of the batch starting at `at` (12 + batchLength), or -1 when it cannot be read. */
export function batchSizeAt (buf: Uint8Array, at: number): number {
  if (buf.length - at < BATCH_LOG_OVERHEAD) return -1
  const len = view(buf).getInt32(at + kBatchLength)
  return len < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD ? -1 : len + BATCH_LOG_OVERHEAD
}

/**
 * Checks the batch at `at` in `buf`: complete, magic 2, record count consistent, CRC-32C right.
 * `checkCrc` false skips the checksum (for bytes this process already validated).
 */
export function checkBatch (buf: Uint8Array, at: number, checkCrc = true): BatchCheck {
  if (buf.length - at < BATCH_HEADER_BYTES) return BatchCheck.Truncated
  const dv = view(buf)
  const length = dv.getInt32(at + kBatchLength)
  if (length < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD) return BatchCheck.BadCount
  const size = length + BATCH_LOG_OVERHEAD
  if (buf.length - at < size) return BatchCheck.Truncated
  if (dv.getInt8(at + kMagic) !== 2) return BatchCheck.BadMagic
  const count = dv.getInt32(at + kRecordCount)
  if (count < 1 || dv.getInt32(at + kLastOffsetDelta) !== count - 1) return BatchCheck.BadCount
  if (checkCrc && crc32c(buf.subarray(at + CRC_START, at + size)) !== dv.getUint32(at + kCrc)) return BatchCheck.BadCrc
  return BatchCheck.Ok
}

export function baseOffsetOf (buf: Uint8Array, at = 0): number { return readInt64(buf, at + kBaseOffset) }
export function lastOffsetDeltaOf (buf: Uint8Array, at = 0): number { return view(buf).getInt32(at + kLastOffsetDelta) }
export function recordCountOf (buf: Uint8Array, at = 0): number { return view(buf).getInt32(at + kRecordCount) }
export function attributesOf (buf: Uint8Array, at = 0): number { return view(buf).getInt16(at + kAttributes) }
export function maxTimestampOf (buf: Uint8Array, at = 0): number { return readInt64(buf, at + kMaxTimestamp) }
export function baseTimestampOf (buf: Uint8Array, at = 0): number { return readInt64(buf, at + kBaseTimestamp) }
export function leaderEpochOf (buf: Uint8Array, at = 0): number { return view(buf).getInt32(at + kPartitionLeaderEpoch) }
export function producerIdOf (buf: Uint8Array, at = 0): number { return readInt64(buf, at + kProducerId) }
export function producerEpochOf (buf: Uint8Array, at = 0): number { return view(buf).getInt16(at + kProducerEpoch) }
export function baseSequenceOf (buf: Uint8Array, at = 0): number { return view(buf).getInt32(at + kBaseSequence) }

/** Assigns the batch its offsets and epoch; both lie outside the CRC range. */
export function patchOffsetAndEpoch (buf: Uint8Array, at: number, baseOffset: number, leaderEpoch: number): void {
  writeInt64(buf, at + kBaseOffset, baseOffset)
  view(buf).setInt32(at + kPartitionLeaderEpoch, leaderEpoch)
}

/** Stamps LogAppendTime: sets attribute bit 3 and maxTimestamp, then recomputes the CRC. */
export function stampLogAppendTime (buf: Uint8Array, at: number, now: number): void {
  const dv = view(buf)
  const size = dv.getInt32(at + kBatchLength) + BATCH_LOG_OVERHEAD
  dv.setInt16(at + kAttributes, dv.getInt16(at + kAttributes) | ATTR_TIMESTAMP_TYPE)
  writeInt64(buf, at + kMaxTimestamp, now)
  dv.setUint32(at + kCrc, crc32c(buf.subarray(at + CRC_START, at + size)))
}

/** Recomputes and stores the CRC of a batch whose CRC-covered bytes were written or changed. */
export function sealCrc (buf: Uint8Array, at: number): void {
  const dv = view(buf)
  const size = dv.getInt32(at + kBatchLength) + BATCH_LOG_OVERHEAD
  dv.setUint32(at + kCrc, crc32c(buf.subarray(at + CRC_START, at + size)))
}

function int32At (buf: Uint8Array, at: number): number {
  return (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]
}

/**
 * Records in the whole batches of `buf` (lastOffsetDelta + 1 each, control batches included), read
 * from the headers alone and without allocating: the traffic counters run on every append and fetch.
 * A partial batch at the end is not counted.
 */
export function countBatchRecords (buf: Uint8Array): number {
  let records = 0
  for (let at = 0; buf.length - at >= BATCH_HEADER_BYTES;) {
    const length = int32At(buf, at + kBatchLength)
    if (length < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD || at + BATCH_LOG_OVERHEAD + length > buf.length) break
    records += int32At(buf, at + kLastOffsetDelta) + 1
    at += BATCH_LOG_OVERHEAD + length
  }
  return records
}

/**
 * The offset after the last of the whole batches in `buf[at, at + length)`: where a read of
 * them ends (a read_committed fetch lists the aborted transactions below it). Header reads only.
 */
export function nextOffsetAfter (buf: Uint8Array, at: number, length: number): number {
  const dv = view(buf)
  const end = at + length
  let last = -1
  while (at + BATCH_HEADER_BYTES <= end) {
    last = at
    at += dv.getInt32(at + kBatchLength) + BATCH_LOG_OVERHEAD
  }
  return last < 0 ? -1 : readInt64(buf, last + kBaseOffset) + dv.getInt32(last + kLastOffsetDelta) + 1
}
