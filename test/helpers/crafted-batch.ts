/**
 * Test helper: record batches v2 built byte by byte, so tests can craft what no encoder writes
 * (lying record counts, bad offset deltas, lengths that do not fit) under a valid header and CRC.
 */
import {
  BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, kAttributes, kBatchLength, kLastOffsetDelta, kMagic, kPartitionLeaderEpoch,
  kProducerId, kRecordCount, sealCrc, writeInt64
} from '../../src/protocol/batch-header.js'
import { Compression, compress } from '../../src/protocol/compression.js'

export function zigzag (out: number[], value: number): void {
  let v = value >= 0 ? value * 2 : -value * 2 - 1
  while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80) }
  out.push(v)
}

export interface RecordSpec {
  offsetDelta: number
  key?: string | null
  value?: string | null
  headers?: Array<[string, string | null]>
  /** Added to the record's length field, so it no longer matches its fields. */
  lengthSkew?: number
}

/** One record's bytes, length prefix included. */
export function record (spec: RecordSpec): number[] {
  const body: number[] = [0]
  zigzag(body, 0) // timestampDelta
  zigzag(body, spec.offsetDelta)
  for (const field of [spec.key ?? null, spec.value === undefined ? 'v' : spec.value]) {
    if (field === null) { zigzag(body, -1); continue }
    zigzag(body, field.length)
    for (const c of Buffer.from(field)) body.push(c)
  }
  const headers = spec.headers ?? []
  zigzag(body, headers.length)
  for (const [k, v] of headers) {
    zigzag(body, k.length); body.push(...Buffer.from(k))
    if (v === null) zigzag(body, -1); else { zigzag(body, v.length); body.push(...Buffer.from(v)) }
  }
  const out: number[] = []
  zigzag(out, body.length + (spec.lengthSkew ?? 0))
  return out.concat(body)
}

/** Records 0..n-1 with keys k0, k1, … */
export function records (n: number): number[] {
  let out: number[] = []
  for (let i = 0; i < n; i++) out = out.concat(record({ offsetDelta: i, key: `k${i}` }))
  return out
}

/** A batch with a valid header and CRC around `body` (compressed with `codec` unless raw). */
export function batch (body: number[] | Buffer, count: number, options: { codec?: number, attributes?: number, compressedBody?: Buffer } = {}): Buffer {
  const codec = options.codec ?? Compression.None
  const plain = Buffer.from(body)
  const data = options.compressedBody ?? (codec === Compression.None || codec > 4 ? plain : compress(codec as Compression, plain))
  const buf = Buffer.alloc(BATCH_HEADER_BYTES + data.length)
  data.copy(buf, BATCH_HEADER_BYTES)
  writeInt64(buf, 0, 0)
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, kBatchLength)
  buf.writeInt32BE(-1, kPartitionLeaderEpoch)
  buf.writeInt8(2, kMagic)
  buf.writeInt16BE((options.attributes ?? 0) | codec, kAttributes)
  buf.writeInt32BE(count - 1, kLastOffsetDelta)
  writeInt64(buf, kProducerId, -1)
  buf.writeInt32BE(count, kRecordCount)
  sealCrc(buf, 0)
  return buf
}
