/**
 * Test helper: builds valid record batches v2 by hand (61-byte header, plain records, CRC),
 * so the log's tests depend on nothing but batch-header.ts. Records carry a null key, a value
 * of `valueBytes` bytes and no headers.
 */
import {
  ATTR_CONTROL, BATCH_LOG_OVERHEAD, baseOffsetOf, batchSizeAt, kAttributes, kBaseSequence, kBaseTimestamp,
  kBatchLength, kLastOffsetDelta, kMagic, kMaxTimestamp, kPartitionLeaderEpoch, kProducerEpoch, kProducerId,
  kRecordCount, lastOffsetDeltaOf, leaderEpochOf, maxTimestampOf, sealCrc, writeInt64
} from '../../../src/protocol/batch-header.js'

export interface BatchSpec {
  records?: number
  valueBytes?: number
  /** The first record's timestamp; the others follow one millisecond apart. */
  timestamp?: number
  attributes?: number
  producerId?: number
  baseSequence?: number
  /** Every record's key; null (no key) by default. Compacted topics refuse records without one. */
  key?: string
}

function zigzagVarint (out: number[], value: number): void {
  let v = value >= 0 ? value * 2 : -value * 2 - 1
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
}

export function makeBatch (spec: BatchSpec = {}): Buffer {
  const count = spec.records ?? 1
  const valueBytes = spec.valueBytes ?? 10
  const timestamp = spec.timestamp ?? 1_700_000_000_000
  const body: number[] = []
  for (let i = 0; i < count; i++) {
    const record: number[] = [0] // attributes
    zigzagVarint(record, timestamp < 0 ? 0 : i) // timestampDelta
    zigzagVarint(record, i) // offsetDelta
    if (spec.key === undefined) {
      zigzagVarint(record, -1) // null key
    } else {
      zigzagVarint(record, spec.key.length)
      for (let c = 0; c < spec.key.length; c++) record.push(spec.key.charCodeAt(c) & 0xff)
    }
    zigzagVarint(record, valueBytes)
    for (let b = 0; b < valueBytes; b++) record.push((i * 31 + b) & 0xff)
    zigzagVarint(record, 0) // headers
    zigzagVarint(body, record.length)
    body.push(...record)
  }
  const buf = Buffer.alloc(61 + body.length)
  const maxTimestamp = timestamp < 0 ? timestamp : timestamp + count - 1
  writeInt64(buf, 0, 0)
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, kBatchLength)
  buf.writeInt32BE(-1, kPartitionLeaderEpoch)
  buf.writeInt8(2, kMagic)
  buf.writeInt16BE(spec.attributes ?? 0, kAttributes)
  buf.writeInt32BE(count - 1, kLastOffsetDelta)
  writeInt64(buf, kBaseTimestamp, timestamp)
  writeInt64(buf, kMaxTimestamp, maxTimestamp)
  writeInt64(buf, kProducerId, spec.producerId ?? -1)
  buf.writeInt16BE(-1, kProducerEpoch)
  buf.writeInt32BE(spec.baseSequence ?? -1, kBaseSequence)
  buf.writeInt32BE(count, kRecordCount)
  Buffer.from(body).copy(buf, 61)
  sealCrc(buf, 0)
  return buf
}

export function controlBatch (): Buffer {
  return makeBatch({ attributes: ATTR_CONTROL | 0x10, producerId: 7, baseSequence: -1 })
}

export interface BatchInfo {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  leaderEpoch: number
}

/** The batches in `bytes`, by their headers. */
export function batchesIn (bytes: Buffer): BatchInfo[] {
  const out: BatchInfo[] = []
  let position = 0
  while (position < bytes.length) {
    const size = batchSizeAt(bytes, position)
    if (size < 0) throw new Error(`no batch at ${position}`)
    const baseOffset = baseOffsetOf(bytes, position)
    out.push({
      position,
      size,
      baseOffset,
      lastOffset: baseOffset + lastOffsetDeltaOf(bytes, position),
      maxTimestamp: maxTimestampOf(bytes, position),
      leaderEpoch: leaderEpochOf(bytes, position)
    })
    position += size
  }
  return out
}
