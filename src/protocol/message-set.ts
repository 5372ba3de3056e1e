/**
 * Message sets v0/v1, the formats before record batches (../shared/kafka/PROTOCOL.md, "Message
 * sets"), converted at the edge for clients older than Kafka 0.11: Produce v0-2 is up-converted
 * to one record batch v2 before it reaches a partition, and Fetch v0-3 gets stored batches
 * down-converted. Storage only ever holds batches v2; nothing here runs for newer versions.
 *
 * A message set is messages back to back, each:
 *   offset int64 | messageSize int32 (bytes after it) | crc uint32 (CRC-32 of the rest)
 *   | magic int8 (0 or 1) | attributes int8 | timestamp int64 (magic 1 only)
 *   | key int32-length bytes (-1 null) | value int32-length bytes (-1 null)
 * attributes bits 0-2: codec (0 none, 1 gzip, 2 snappy with xerial framing, 3 lz4); bit 3 (magic 1):
 * the timestamp is log-append time. A compressed "wrapper" message carries, as its value, the
 * compressed message set of the real (inner) messages.
 */
import { createRequire } from 'node:module'
import * as zlib from 'node:zlib'
import { BatchBuilder, Compression, forEachBatch, forEachRecord, TimestampType } from './record-batch.js'
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, kAttributes } from './batch-header.js'
import { CompressionError, decompress, DEFAULT_MAX_INFLATED_BYTES } from './compression.js'

/** offset, messageSize. */
const LOG_OVERHEAD = 12
/** crc, magic, attributes, key length, value length: the smallest magic 0 message after its size. */
const MIN_MESSAGE_BYTES = 14
/** A message's timestamp for magic 0, which has none (Kafka's RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1

/**
 * Why a message set was refused: 'corrupt' (lengths that do not add up, a message cut short,
 * nested compression, undecodable compressed data), 'bad-crc', 'bad-magic' (neither 0 nor 1),
 * 'unsupported-compression' (a codec magic 0/1 cannot carry, such as zstd, or a missing package).
 */
export const MESSAGE_SET_FAILURES = ['corrupt', 'bad-crc', 'bad-magic', 'unsupported-compression', 'too-large'] as const

export type MessageSetFailure = typeof MESSAGE_SET_FAILURES[number]

export class MessageSetError extends Error {
  readonly reason: MessageSetFailure

  constructor (reason: MessageSetFailure, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MessageSetError'
    this.reason = reason
  }
}

// --- CRC-32 (IEEE), the checksum of magic 0/1 messages

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32
let crcTable: Uint32Array | null = null

/** zlib.crc32 arrived in Node 20.15 and 22.2; earlier 20.x use a byte table. */
export function crc32 (data: Uint8Array): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(data) >>> 0
  if (crcTable === null) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

// --- produce: message set → one record batch v2

export interface UpConverted {
  /** One record batch v2 holding every message, offsets 0..n-1, for the partition to assign. */
  batch: Buffer
  /** The magic of the messages (1 when any is magic 1). */
  magic: number
  records: number
}

interface Message {
  magic: number
  attributes: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

/** Walks every message of `set`, checking each CRC; a message cut short at the end is corrupt. */
function forEachMessage (set: Buffer, visit: (m: Message) => void): void {
  let at = 0
  while (at < set.length) {
    if (set.length - at < LOG_OVERHEAD) throw new MessageSetError('corrupt', `${set.length - at} bytes at ${at} cannot hold a message header`)
    const size = set.readInt32BE(at + 8)
    if (size < MIN_MESSAGE_BYTES || size > set.length - at - LOG_OVERHEAD) {
      throw new MessageSetError('corrupt', `message at byte ${at} declares ${size} bytes, ${set.length - at - LOG_OVERHEAD} are left`)
    }
    const start = at + LOG_OVERHEAD
    const end = start + size
    const expected = set.readUInt32BE(start)
    const actual = crc32(set.subarray(start + 4, end))
    if (actual !== expected) throw new MessageSetError('bad-crc', `message at byte ${at}: CRC-32 ${actual.toString(16)} does not match ${expected.toString(16)}`)
    const magic = set.readInt8(start + 4)
    if (magic !== 0 && magic !== 1) throw new MessageSetError('bad-magic', `message at byte ${at} has magic ${magic}; a message set holds magic 0 or 1`)
    const attributes = set.readInt8(start + 5)
    let pos = start + 6
    let timestamp = NO_TIMESTAMP
    if (magic === 1) {
      if (end - pos < 16) throw new MessageSetError('corrupt', `magic 1 message at byte ${at} is too short for a timestamp`)
      timestamp = Number(set.readBigInt64BE(pos))
      if (!Number.isSafeInteger(timestamp)) throw new MessageSetError('corrupt', `message at byte ${at} has timestamp ${timestamp}`)
      pos += 8
    }
    const key = lengthPrefixed(set, pos, end)
    pos += 4 + (key?.length ?? 0)
    const value = lengthPrefixed(set, pos, end)
    pos += 4 + (value?.length ?? 0)
    if (pos !== end) throw new MessageSetError('corrupt', `message at byte ${at} declares ${size} bytes but its fields take ${pos - start}`)
    visit({ magic, attributes, timestamp, key, value })
    at = end
  }
}

function lengthPrefixed (buf: Buffer, at: number, end: number): Buffer | null {
  if (end - at < 4) throw new MessageSetError('corrupt', `length at byte ${at} runs past its message`)
  const n = buf.readInt32BE(at)
  if (n === -1) return null
  if (n < -1 || n > end - at - 4) throw new MessageSetError('corrupt', `length ${n} at byte ${at} does not fit its message`)
  return buf.subarray(at + 4, at + 4 + n)
}

function codecOf (attributes: number): Compression {
  const codec = attributes & ATTR_COMPRESSION_MASK
  if (codec > Compression.Lz4) throw new MessageSetError('unsupported-compression', `codec ${codec} cannot be used with message format v0/v1`)
  return codec
}

const require = createRequire(import.meta.url)
let xxh32: ((input: Uint8Array, seed: number) => number) | null = null

/** LZ4 frame: magic (4 bytes), FLG, BD, content size (8, when FLG bit 3), dictionary id (4, when FLG bit 0), HC. */
const LZ4_MAGIC = 0x184d2204

/**
 * Clients of message format v0 (Kafka before 0.10, librdkafka as a 0.9 client) wrote the LZ4
 * frame's header checksum over the magic bytes too (KAFKA-3160), and Kafka reads magic 0 LZ4
 * without checking it. A copy with the checksum a standard decoder expects.
 */
function repairLz4HeaderChecksum (frame: Buffer): Buffer {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_MAGIC) return frame
  const flg = frame[4]
  const end = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0)
  if (frame.length <= end) return frame
  if (xxh32 === null) {
    try {
      xxh32 = (require('@node-rs/xxhash') as { xxh32: (input: Uint8Array, seed: number) => number }).xxh32
    } catch (err) {
      throw new MessageSetError('unsupported-compression', 'magic 0 LZ4 needs the @node-rs/xxhash package, which failed to load', { cause: err })
    }
  }
  const repaired = Buffer.from(frame)
  repaired[end] = (xxh32(frame.subarray(4, end), 0) >>> 8) & 0xff
  return repaired
}

function inflate (codec: Compression, magic: number, value: Buffer | null, maxBytes: number): Buffer {
  if (value === null) throw new MessageSetError('corrupt', 'a compressed message has a null value')
  try {
    return decompress(codec, codec === Compression.Lz4 && magic === 0 ? repairLz4HeaderChecksum(value) : value, maxBytes)
  } catch (err) {
    const reason = !(err instanceof CompressionError) || err.reason === 'corrupt'
      ? 'corrupt'
      : err.reason === 'too-large' ? 'too-large' : 'unsupported-compression'
    throw new MessageSetError(reason, (err as Error).message, { cause: err })
  }
}

/**
 * Up-converts a Produce v0-2 message set (plain and wrapper messages, any mix) into one record
 * batch v2, compressed with the wrapper's codec as Kafka keeps the producer's codec. Magic 0
 * messages get no timestamp (-1), like Kafka's up-conversion. Throws MessageSetError.
 */
export function upConvert (set: Buffer, maxInflatedBytes = DEFAULT_MAX_INFLATED_BYTES): UpConverted {
  let codec = Compression.None
  let magic = 0
  const records: Message[] = []
  forEachMessage(set, (m) => {
    if (m.magic > magic) magic = m.magic
    const wrapperCodec = codecOf(m.attributes)
    if (wrapperCodec === Compression.None) { records.push(m); return }
    codec = wrapperCodec
    // A magic 1 wrapper with log-append time stamps its own timestamp on every inner message.
    const stamp = m.magic === 1 && (m.attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? m.timestamp : null
    forEachMessage(inflate(wrapperCodec, m.magic, m.value, maxInflatedBytes), (inner) => {
      if (codecOf(inner.attributes) !== Compression.None) throw new MessageSetError('corrupt', 'a compressed message holds another compressed message')
      records.push(stamp === null ? inner : { ...inner, timestamp: stamp })
    })
  })
  if (records.length === 0) throw new MessageSetError('corrupt', 'the message set holds no message')
  const builder = new BatchBuilder({ compression: codec })
  for (const r of records) builder.append(r.timestamp, r.key, r.value)
  let batch: Buffer
  try {
    batch = builder.build()
  } catch (err) {
    throw new MessageSetError('unsupported-compression', (err as Error).message, { cause: err })
  }
  return { batch, magic, records: records.length }
}

// --- fetch: record batches v2 → message set v0/v1

/**
 * Down-converts the whole batches v2 in `batches` into an uncompressed message set of `magic`
 * (0 for Fetch v0-1, 1 for Fetch v2-3). Records below `fetchOffset` (earlier records of the
 * first batch) and control batches are left out; headers have no place in magic 0/1 and are
 * dropped. Stops before `maxBytes` once at least one message is in, so a consumer always moves.
 * Compressed batches are sent decompressed: any old client reads that, zstd included, and magic
 * 0 never needs lz4's old broken frame checksum. Throws RecordBatchError on a damaged batch.
 */
export function downConvert (batches: Uint8Array, magic: 0 | 1, fetchOffset: number, maxBytes: number): Buffer {
  const headerBytes = LOG_OVERHEAD + MIN_MESSAGE_BYTES + (magic === 1 ? 8 : 0)
  const parts: Buffer[] = []
  let total = 0
  let full = false
  const view = Buffer.from(batches.buffer, batches.byteOffset, batches.byteLength)
  forEachBatch(view, (at) => {
    if (full) return
    const attributes = view.readInt16BE(at + kAttributes)
    if ((attributes & ATTR_CONTROL) !== 0) return
    const logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE) !== 0
    forEachRecord(view, at, (offset, timestamp, key, value) => {
      if (full || offset < fetchOffset) return
      const size = headerBytes + (key?.length ?? 0) + (value?.length ?? 0)
      if (total > 0 && total + size > maxBytes) { full = true; return }
      parts.push(encodeMessage(magic, offset, timestamp, logAppendTime, key, value, size))
      total += size
    })
  })
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total)
}

function encodeMessage (magic: 0 | 1, offset: number, timestamp: number, logAppendTime: boolean,
  key: Buffer | null, value: Buffer | null, size: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  out.writeBigInt64BE(BigInt(offset), 0)
  out.writeInt32BE(size - LOG_OVERHEAD, 8)
  out.writeInt8(magic, 16)
  out.writeInt8(magic === 1 && logAppendTime ? TimestampType.LogAppendTime << 3 : 0, 17)
  let pos = 18
  if (magic === 1) { out.writeBigInt64BE(BigInt(timestamp), pos); pos += 8 }
  pos = writeBytes(out, pos, key)
  writeBytes(out, pos, value)
  out.writeUInt32BE(crc32(out.subarray(16)), 12)
  return out
}

function writeBytes (out: Buffer, pos: number, bytes: Buffer | null): number {
  if (bytes === null) { out.writeInt32BE(-1, pos); return pos + 4 }
  out.writeInt32BE(bytes.length, pos)
  bytes.copy(out, pos + 4)
  return pos + 4 + bytes.length
}
