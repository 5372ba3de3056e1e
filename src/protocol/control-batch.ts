/**
 * Transaction markers as Kafka stores them: a control batch (attributes control + transactional)
 * holding one record whose key is ControlRecordType and whose value is EndTransactionMarker.
 *
 *   key   version i16 (0) | type i16 (0 ABORT, 1 COMMIT)
 *   value version i16 (0) | coordinatorEpoch i32
 *
 * Markers are written uncompressed, with baseSequence -1, so the one record sits right after
 * the 61-byte batch header at fixed positions: the log reads a marker's type without decoding.
 *
 * Thread: any; pure functions over bytes.
 */
import {
  ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, kAttributes, kBaseSequence, kBaseTimestamp, kBatchLength, kLastOffsetDelta,
  kMagic, kMaxTimestamp, kPartitionLeaderEpoch, kProducerEpoch, kProducerId, kRecordCount, sealCrc, writeInt64
} from './batch-header.js'

export const enum ControlType {
  Abort = 0,
  Commit = 1,
}

/** Not a marker (another control type, or bytes that do not parse as one). */
export const NOT_A_MARKER = -1

/**
 * The record: length varint (1 byte: 14), attributes i8, timestampDelta varint (0), offsetDelta
 * varint (0), key length varint (4 → 8), key (4 bytes), value length varint (6 → 12), value
 * (6 bytes), header count varint (0).
 */
const RECORD_BODY_BYTES = 1 + 1 + 1 + 1 + 4 + 1 + 6 + 1
const RECORD_BYTES = 1 + RECORD_BODY_BYTES
/** Bytes of a whole marker batch. */
export const MARKER_BATCH_BYTES = BATCH_HEADER_BYTES + RECORD_BYTES
/** Where the key's type sits within a marker batch: header, length, attributes, two deltas, key length, key version. */
const kMarkerType = BATCH_HEADER_BYTES + 1 + 1 + 1 + 1 + 1 + 2
/** Bytes to read from a batch's start to know its marker type. */
export const MARKER_PREFIX_BYTES = kMarkerType + 2

/** A COMMIT or ABORT marker batch with base offset 0 (the log assigns it) and its CRC sealed. */
export function buildMarkerBatch (type: ControlType, producerId: number, producerEpoch: number, coordinatorEpoch: number, timestamp: number): Buffer {
  const out = Buffer.alloc(MARKER_BATCH_BYTES)
  out.writeInt32BE(MARKER_BATCH_BYTES - BATCH_LOG_OVERHEAD, kBatchLength)
  out.writeInt32BE(-1, kPartitionLeaderEpoch)
  out.writeInt8(2, kMagic)
  out.writeInt16BE(ATTR_CONTROL | ATTR_TRANSACTIONAL, kAttributes)
  out.writeInt32BE(0, kLastOffsetDelta)
  writeInt64(out, kBaseTimestamp, timestamp)
  writeInt64(out, kMaxTimestamp, timestamp)
  writeInt64(out, kProducerId, producerId)
  out.writeInt16BE(producerEpoch, kProducerEpoch)
  out.writeInt32BE(-1, kBaseSequence)
  out.writeInt32BE(1, kRecordCount)
  let at = BATCH_HEADER_BYTES
  out[at++] = RECORD_BODY_BYTES << 1 // zig-zag length
  out[at++] = 0 // attributes
  out[at++] = 0 // timestampDelta
  out[at++] = 0 // offsetDelta
  out[at++] = 4 << 1
  out.writeInt16BE(0, at)
  out.writeInt16BE(type, at + 2)
  at += 4
  out[at++] = 6 << 1
  out.writeInt16BE(0, at)
  out.writeInt32BE(coordinatorEpoch, at + 2)
  at += 6
  out[at++] = 0 // headers
  sealCrc(out, 0)
  return out
}

/**
 * The marker type of the control batch whose first MARKER_PREFIX_BYTES are at `at` in `buf`
 * (the caller knows it is a control batch), or NOT_A_MARKER. Kafka writes markers
 * uncompressed with one record and a 4-byte key, which is all this accepts.
 */
export function markerTypeAt (buf: Uint8Array, at: number): number {
  if (buf.length < at + MARKER_PREFIX_BYTES) return NOT_A_MARKER
  if ((buf[at + kAttributes + 1] & 0x07) !== 0) return NOT_A_MARKER
  if (buf[at + BATCH_HEADER_BYTES + 4] !== 4 << 1) return NOT_A_MARKER
  const type = (buf[at + kMarkerType] << 8) | buf[at + kMarkerType + 1]
  return type === ControlType.Abort || type === ControlType.Commit ? type : NOT_A_MARKER
}
