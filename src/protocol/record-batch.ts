/**
 * Record batch v2 encoder and decoder for library mode (../shared/kafka/PROTOCOL.md §9).
 * The broker's produce and fetch paths never decode records: they use batch-header.ts.
 *
 * A batch is the 61-byte header (see batch-header.ts) followed by the records, compressed as
 * one block when attributes bits 0-2 name a codec. Each record:
 *   length varint (bytes after it) | attributes i8 (0) | timestampDelta varlong
 *   | offsetDelta varint | keyLength varint (-1 null) | key | valueLength varint (-1 null) | value
 *   | headerCount varint | headers: keyLength varint, key utf-8, valueLength varint (-1 null), value
 * Every varint here is zig-zag encoded.
 */
import { writeVarint, sizeOfVarint, unzigzag } from './varint.js'
import { crc32c } from './crc32c.js'
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, CRC_START,
  kAttributes, kBaseOffset, kBaseSequence, kBaseTimestamp, kBatchLength, kCrc, kLastOffsetDelta,
  kMagic, kMaxTimestamp, kPartitionLeaderEpoch, kProducerEpoch, kProducerId, kRecordCount,
  readInt64, sealCrc, writeInt64,
} from './batch-header.js'
import { Compression, CompressionError, DEFAULT_MAX_INFLATED_BYTES, compress, decompress, isCompression } from './compression.js'

export { Compression }

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

export type RecordHeaders = ReadonlyArray<readonly [string, Uint8Array | null]>

export interface BatchOptions {
  compression?: Compression
  /** -1 (the default) for a producer that is not idempotent. */
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
}

// --- encoder

const INITIAL_BYTES = 16 * 1024
/** The smallest record: length, attributes, timestampDelta, offsetDelta, null key, null value, 0 headers. */
const MIN_RECORD_BYTES = 7

/** Bytes of a zig-zag varint; the common small case without leaving int32 arithmetic. */
function sizeOfZigzag (v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) {
    const z = (v << 1) ^ (v >> 31)
    return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5
  }
  return sizeOfVarint(v)
}

function writeZigzag (buf: Buffer, pos: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) {
    let z = (v << 1) ^ (v >> 31)
    while (z >= 0x80) { buf[pos++] = (z & 0x7f) | 0x80; z >>>= 7 }
    buf[pos++] = z
    return pos
  }
  return writeVarint(buf, pos, v)
}

/** Varint bytes a record's length, deltas and field lengths can take at most (Kafka's estimate does the same). */
const MAX_VARINT_BYTES = 5
const MAX_VARLONG_BYTES = 10

/**
 * The most bytes one record takes inside a batch, whatever its timestamp and offset delta:
 * a bound a producer can check before building, as Kafka's estimateSizeInBytesUpperBound.
 * `headerBytes` is the sum of the header keys' UTF-8 bytes and values' bytes.
 */
export function maxRecordBytes (keyBytes: number, valueBytes: number, headerCount: number, headerBytes: number): number {
  // length, attributes, timestampDelta, offsetDelta, key, value, header count, each header's two lengths
  return MAX_VARINT_BYTES + 1 + MAX_VARLONG_BYTES + MAX_VARINT_BYTES + MAX_VARINT_BYTES + keyBytes +
    MAX_VARINT_BYTES + valueBytes + MAX_VARINT_BYTES + headerCount * 2 * MAX_VARINT_BYTES + headerBytes
}

/**
 * Builds one record batch v2 at a time, writing each record straight into a reused Buffer:
 * nothing is allocated per record once the buffer has grown to the batch size.
 * Not shared between threads; `build()` returns a copy, so the builder can be reset and reused.
 */
export class BatchBuilder {
  #buf: Buffer
  #pos: number
  #count: number
  #baseTimestamp: number
  #maxTimestamp: number
  #compression: Compression
  #producerId: number
  #producerEpoch: number
  #baseSequence: number
  #transactional: boolean

  constructor (options: BatchOptions = {}) {
    this.#buf = Buffer.allocUnsafe(INITIAL_BYTES)
    this.#pos = BATCH_HEADER_BYTES
    this.#count = 0
    this.#baseTimestamp = 0
    this.#maxTimestamp = 0
    this.#compression = Compression.None
    this.#producerId = -1
    this.#producerEpoch = -1
    this.#baseSequence = -1
    this.#transactional = false
    this.#configure(options)
  }

  #configure (options: BatchOptions): void {
    const { compression = Compression.None, producerId = -1, producerEpoch = -1, baseSequence = -1, transactional = false } = options
    if (!isCompression(compression)) throw new CompressionError('unknown-codec', compression, `unknown compression codec ${String(compression)}`)
    checkInt('options.producerId', producerId, -1, Number.MAX_SAFE_INTEGER)
    checkInt('options.producerEpoch', producerEpoch, -1, 0x7fff)
    checkInt('options.baseSequence', baseSequence, -1, 0x7fffffff)
    this.#compression = compression
    this.#producerId = producerId
    this.#producerEpoch = producerEpoch
    this.#baseSequence = baseSequence
    this.#transactional = transactional
  }

  get recordCount (): number { return this.#count }

  /** Bytes of the batch so far, header included, before compression. */
  get sizeBytes (): number { return this.#pos }

  /** Empties the builder and keeps its memory; new options replace the old ones when given. */
  reset (options?: BatchOptions): void {
    if (options !== undefined) this.#configure(options)
    this.#pos = BATCH_HEADER_BYTES
    this.#count = 0
    this.#baseTimestamp = 0
    this.#maxTimestamp = 0
  }

  /** Appends one record; `timestamp` is integer milliseconds. */
  append (timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers?: RecordHeaders): void {
    if (!Number.isSafeInteger(timestamp)) throw new RangeError(`timestamp must be an integer, got ${timestamp}`)
    if (this.#count === 0) {
      this.#baseTimestamp = timestamp
      this.#maxTimestamp = timestamp
    } else if (timestamp > this.#maxTimestamp) {
      this.#maxTimestamp = timestamp
    }
    const timestampDelta = timestamp - this.#baseTimestamp
    const offsetDelta = this.#count

    // Sizes first, so the length prefix is written once, in place.
    let bodySize = 1 + sizeOfZigzag(timestampDelta) + sizeOfZigzag(offsetDelta) +
      (key === null ? 1 : sizeOfZigzag(key.length) + key.length) +
      (value === null ? 1 : sizeOfZigzag(value.length) + value.length)
    const headerCount = headers === undefined ? 0 : headers.length
    bodySize += sizeOfZigzag(headerCount)
    for (let i = 0; i < headerCount; i++) {
      const [hk, hv] = headers![i]
      const hkBytes = Buffer.byteLength(hk, 'utf8')
      bodySize += sizeOfZigzag(hkBytes) + hkBytes + (hv === null ? 1 : sizeOfZigzag(hv.length) + hv.length)
    }

    this.#ensure(5 + bodySize)
    const buf = this.#buf
    let pos = writeZigzag(buf, this.#pos, bodySize)
    buf[pos++] = 0
    pos = writeZigzag(buf, pos, timestampDelta)
    pos = writeZigzag(buf, pos, offsetDelta)
    if (key === null) {
      buf[pos++] = 1 // zig-zag -1
    } else {
      pos = writeZigzag(buf, pos, key.length)
      buf.set(key, pos)
      pos += key.length
    }
    if (value === null) {
      buf[pos++] = 1
    } else {
      pos = writeZigzag(buf, pos, value.length)
      buf.set(value, pos)
      pos += value.length
    }
    pos = writeZigzag(buf, pos, headerCount)
    for (let i = 0; i < headerCount; i++) {
      const [hk, hv] = headers![i]
      const hkBytes = Buffer.byteLength(hk, 'utf8')
      pos = writeZigzag(buf, pos, hkBytes)
      pos += buf.write(hk, pos, hkBytes, 'utf8')
      if (hv === null) {
        buf[pos++] = 1
      } else {
        pos = writeZigzag(buf, pos, hv.length)
        buf.set(hv, pos)
        pos += hv.length
      }
    }
    this.#pos = pos
    this.#count++
  }

  /** A complete batch with its CRC sealed; baseOffset 0 and partitionLeaderEpoch -1 for the broker to assign. */
  build (): Buffer {
    if (this.#count === 0) throw new RangeError('a record batch needs at least one record')
    let out: Buffer
    if (this.#compression === Compression.None) {
      out = Buffer.allocUnsafe(this.#pos)
      this.#buf.copy(out, BATCH_HEADER_BYTES, BATCH_HEADER_BYTES, this.#pos)
    } else {
      const block = compress(this.#compression, this.#buf.subarray(BATCH_HEADER_BYTES, this.#pos))
      out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + block.length)
      block.copy(out, BATCH_HEADER_BYTES)
    }
    writeInt64(out, kBaseOffset, 0)
    out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, kBatchLength)
    out.writeInt32BE(-1, kPartitionLeaderEpoch)
    out.writeInt8(2, kMagic)
    out.writeInt16BE(this.#compression | (this.#transactional ? ATTR_TRANSACTIONAL : 0), kAttributes)
    out.writeInt32BE(this.#count - 1, kLastOffsetDelta)
    writeInt64(out, kBaseTimestamp, this.#baseTimestamp)
    writeInt64(out, kMaxTimestamp, this.#maxTimestamp)
    writeInt64(out, kProducerId, this.#producerId)
    out.writeInt16BE(this.#producerEpoch, kProducerEpoch)
    out.writeInt32BE(this.#baseSequence, kBaseSequence)
    out.writeInt32BE(this.#count, kRecordCount)
    sealCrc(out, 0)
    return out
  }

  #ensure (n: number): void {
    const needed = this.#pos + n
    if (needed <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < needed) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.#buf.copy(next, 0, 0, this.#pos)
    this.#buf = next
  }
}

function checkInt (path: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${path} must be an integer from ${min} to ${max}, got ${v}`)
}

// --- decoder

export type RecordBatchFailure =
  /** Fewer bytes than the header or the batch length announces, or a record runs past the end. */
  | 'truncated'
  /** A batchLength too small for a header. */
  | 'bad-length'
  | 'bad-magic'
  | 'bad-crc'
  /** A negative recordCount, or more records than the bytes could hold. */
  | 'bad-count'
  /** A malformed record: bad varint, negative length, length not matching its fields. */
  | 'bad-record'
  /** Codec bits 5-7, or a codec whose package is missing. */
  | 'unsupported-compression'
  /** The compressed block does not decompress. */
  | 'bad-compression'
  /** The compressed block inflates past DecodeOptions.maxInflatedBytes (a decompression bomb). */
  | 'too-large'

export class RecordBatchError extends Error {
  readonly reason: RecordBatchFailure
  /** Byte position (in the decoded buffer, or the decompressed block for records) where it failed. */
  readonly position: number

  constructor (reason: RecordBatchFailure, position: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RecordBatchError'
    this.reason = reason
    this.position = position
  }
}

export interface DecodedRecord {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Array<[string, Buffer | null]>
}

export interface DecodedBatch {
  baseOffset: number
  lastOffsetDelta: number
  partitionLeaderEpoch: number
  attributes: number
  compression: Compression
  timestampType: TimestampType
  isTransactional: boolean
  isControl: boolean
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
  /** Bytes of the whole batch as stored: 12 + batchLength. */
  sizeBytes: number
  records: DecodedRecord[]
}

export interface DecodeOptions {
  /** Checks the CRC-32C first (off by default: the broker checked it on append). */
  verifyCrc?: boolean
  /** Most bytes a compressed batch may inflate to; DEFAULT_MAX_INFLATED_BYTES when not given. */
  maxInflatedBytes?: number
}

function asBuffer (data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/**
 * Decodes the batch at `at`. Keys, values and header values are views into `buf` (or into the
 * decompressed block), not copies. Throws RecordBatchError on any malformed input.
 */
/** A batch's header fields and its (decompressed) record bytes. */
interface OpenedBatch {
  b: Buffer
  size: number
  attributes: number
  codec: Compression
  timestampType: TimestampType
  baseOffset: number
  baseTimestamp: number
  maxTimestamp: number
  recordCount: number
  data: Buffer
}

function openBatch (buf: Uint8Array, at: number, options: DecodeOptions): OpenedBatch {
  const b = asBuffer(buf)
  if (!Number.isInteger(at) || at < 0) throw new RangeError(`at must be a non-negative integer, got ${at}`)
  if (b.length - at < BATCH_HEADER_BYTES) {
    throw new RecordBatchError('truncated', at, `${Math.max(0, b.length - at)} bytes cannot hold a ${BATCH_HEADER_BYTES}-byte batch header`)
  }
  const magic = b.readInt8(at + kMagic)
  if (magic !== 2) throw new RecordBatchError('bad-magic', at + kMagic, `magic ${magic}, only record batch v2 is supported`)
  const length = b.readInt32BE(at + kBatchLength)
  if (length < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD) throw new RecordBatchError('bad-length', at + kBatchLength, `batchLength ${length} is shorter than a header`)
  const size = length + BATCH_LOG_OVERHEAD
  if (b.length - at < size) throw new RecordBatchError('truncated', at, `batch of ${size} bytes but only ${b.length - at} left`)
  if (options.verifyCrc === true) {
    const expected = b.readUInt32BE(at + kCrc)
    const actual = crc32c(b.subarray(at + CRC_START, at + size))
    if (actual !== expected) throw new RecordBatchError('bad-crc', at + kCrc, `CRC-32C ${actual.toString(16)} does not match the stored ${expected.toString(16)}`)
  }

  const attributes = b.readInt16BE(at + kAttributes)
  const codec = attributes & ATTR_COMPRESSION_MASK
  const timestampType = (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime
  const baseOffset = readInt64(b, at + kBaseOffset)
  const baseTimestamp = readInt64(b, at + kBaseTimestamp)
  const maxTimestamp = readInt64(b, at + kMaxTimestamp)
  const recordCount = b.readInt32BE(at + kRecordCount)

  let data = b.subarray(at + BATCH_HEADER_BYTES, at + size)
  if (codec !== Compression.None) {
    try {
      data = decompress(codec, data, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES)
    } catch (err) {
      const failure = err instanceof CompressionError ? err.reason : 'corrupt'
      const reason = failure === 'corrupt' ? 'bad-compression' : failure === 'too-large' ? 'too-large' : 'unsupported-compression'
      throw new RecordBatchError(reason, at + BATCH_HEADER_BYTES, (err as Error).message, { cause: err })
    }
  }
  // A count the bytes cannot hold is a lie, not a reason to allocate.
  if (recordCount < 0 || recordCount > data.length / MIN_RECORD_BYTES) {
    throw new RecordBatchError('bad-count', at + kRecordCount, `recordCount ${recordCount} in ${data.length} bytes of records`)
  }
  return { b, size, attributes, codec, timestampType, baseOffset, baseTimestamp, maxTimestamp, recordCount, data }
}

export function decodeBatch (buf: Uint8Array, at = 0, options: DecodeOptions = {}): DecodedBatch {
  const { b, size, attributes, codec, timestampType, baseOffset, baseTimestamp, maxTimestamp, recordCount, data } = openBatch(buf, at, options)
  const records: DecodedRecord[] = new Array(recordCount)
  let i = 0
  visitRecords(data, recordCount, baseOffset, baseTimestamp, timestampType === TimestampType.LogAppendTime, maxTimestamp,
    (offset, timestamp, key, value, headers) => { records[i++] = { offset, timestamp, key, value, headers } })

  return {
    baseOffset,
    lastOffsetDelta: b.readInt32BE(at + kLastOffsetDelta),
    partitionLeaderEpoch: b.readInt32BE(at + kPartitionLeaderEpoch),
    attributes,
    compression: codec,
    timestampType,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    baseTimestamp,
    maxTimestamp,
    producerId: readInt64(b, at + kProducerId),
    producerEpoch: b.readInt16BE(at + kProducerEpoch),
    baseSequence: b.readInt32BE(at + kBaseSequence),
    recordCount,
    sizeBytes: size,
    records,
  }
}

/** Receives one decoded record; the Buffers are views, as with decodeBatch. */
export type RecordVisitor = (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: Array<[string, Buffer | null]>) => void

/**
 * Like decodeBatch, but hands each record to `visit` instead of building DecodedRecord
 * objects: a consumer that makes its own message objects allocates one per record, not two.
 */
export function forEachRecord (buf: Uint8Array, at: number, visit: RecordVisitor, options: DecodeOptions = {}): void {
  const { timestampType, baseOffset, baseTimestamp, maxTimestamp, recordCount, data } = openBatch(buf, at, options)
  visitRecords(data, recordCount, baseOffset, baseTimestamp, timestampType === TimestampType.LogAppendTime, maxTimestamp, visit)
}

/** Shared by every record without headers, so decoding them allocates no array; frozen so no caller can fill it. */
const NO_HEADERS = Object.freeze([]) as unknown as Array<[string, Buffer | null]>

/** Decodes `count` records from `data` into `visit`; with LogAppendTime every record takes the batch's maxTimestamp. */
function visitRecords (data: Buffer, count: number, baseOffset: number, baseTimestamp: number,
  logAppendTime: boolean, maxTimestamp: number, visit: RecordVisitor): void {
  const cur = new Cursor(data)
  for (let i = 0; i < count; i++) {
    const start = cur.pos
    const length = cur.varint(data.length)
    if (length < 0 || length > data.length - cur.pos) {
      throw new RecordBatchError(length < 0 ? 'bad-record' : 'truncated', start, `record ${i} of ${length} bytes at ${start} runs past ${data.length}`)
    }
    const end = cur.pos + length
    cur.pos++ // record attributes, unused
    const timestampDelta = cur.varint(end)
    const offsetDelta = cur.varint(end)
    const key = cur.bytes(end)
    const value = cur.bytes(end)
    const headerCount = cur.varint(end)
    // Each header takes at least two bytes.
    if (headerCount < 0 || headerCount > (end - cur.pos) / 2) throw new RecordBatchError('bad-record', cur.pos, `record ${i} claims ${headerCount} headers`)
    const headers: Array<[string, Buffer | null]> = headerCount === 0 ? NO_HEADERS : []
    for (let h = 0; h < headerCount; h++) {
      const keyAt = cur.pos
      const hk = cur.bytes(end)
      if (hk === null) throw new RecordBatchError('bad-record', keyAt, `record ${i} has a null header key`)
      headers.push([hk.toString('utf8'), cur.bytes(end)])
    }
    if (cur.pos !== end) throw new RecordBatchError('bad-record', start, `record ${i} declares ${length} bytes but its fields take ${cur.pos - (end - length)}`)
    visit(baseOffset + offsetDelta, logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta, key, value, headers)
  }
}

/** Bounds-checked reads over one record's bytes; every failure is a RecordBatchError. */
class Cursor {
  readonly buf: Buffer
  pos: number

  constructor (buf: Buffer) {
    this.buf = buf
    this.pos = 0
  }

  /** A zig-zag varint that must end before `end`. */
  varint (end: number): number {
    const buf = this.buf
    let pos = this.pos
    let result = 0
    let multiplier = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new RecordBatchError('bad-record', this.pos, `varint at ${this.pos} runs past the record`)
      const byte = buf[pos++]
      result += (byte & 0x7f) * multiplier
      if (byte < 0x80) { this.pos = pos; return unzigzag(result) }
      multiplier *= 128
    }
    throw new RecordBatchError('bad-record', this.pos, `varint at ${this.pos} is longer than 10 bytes`)
  }

  /** Varint length then bytes (a view); -1 is null. */
  bytes (end: number): Buffer | null {
    const at = this.pos
    const n = this.varint(end)
    if (n === -1) return null
    if (n < -1 || n > end - this.pos) throw new RecordBatchError('bad-record', at, `length ${n} at ${at} does not fit the record`)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }
}

// --- framing of concatenated batches

/**
 * Calls `fn(at, size)` for each whole batch in `buf` and returns the position after the last
 * one. A partial batch at the end (as fetch responses may carry) ends the walk without error;
 * a length field too small for any batch throws RecordBatchError, since nothing after it can be found.
 */
export function forEachBatch (buf: Uint8Array, fn: (at: number, size: number) => void): number {
  const b = asBuffer(buf)
  let at = 0
  while (b.length - at >= BATCH_LOG_OVERHEAD) {
    const length = b.readInt32BE(at + kBatchLength)
    if (length < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD) {
      throw new RecordBatchError('bad-length', at + kBatchLength, `batchLength ${length} is shorter than a header`)
    }
    const size = length + BATCH_LOG_OVERHEAD
    if (size > b.length - at) break
    fn(at, size)
    at += size
  }
  return at
}

/** Decodes every whole batch in `buf`, skipping a partial one at the end. */
export function decodeBatches (buf: Uint8Array, options: DecodeOptions = {}): DecodedBatch[] {
  const out: DecodedBatch[] = []
  forEachBatch(buf, at => { out.push(decodeBatch(buf, at, options)) })
  return out
}
