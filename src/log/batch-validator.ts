/**
 * Checks what a CRC cannot: that a record batch from a client holds what its header says, in
 * Kafka's record format, before the log accepts it. Kafka's log validator is the reference; a
 * batch that passes decodes in every client, so no consumer can stall on it.
 *
 * Thread: any; pure functions over bytes, never throwing. The caller has already checked the
 * header with checkBatch (length, magic 2, CRC, recordCount ≥ 1 and lastOffsetDelta + 1).
 *
 * Outcomes (Kafka's choices: undecodable bytes are CORRUPT_MESSAGE, a readable batch breaking a
 * rule is INVALID_RECORD):
 *   CorruptMessage    codec bits 5-7; a compressed block that does not decompress; a record
 *                     whose varints or lengths do not parse or run past its end; fewer or more
 *                     records than recordCount
 *                     (a transactional batch is checked like any other; whether the partition is
 *                     in the producer's transaction is the transaction coordinator's question)
 *   InvalidRecord     the control bit (clients never write control batches); a record whose
 *                     offsetDelta is not its index (duplicates, gaps, out of range); a record
 *                     without a key on a compacted topic
 *   RecordTooLarge    a compressed block that inflates past `maxInflatedBytes`
 *   UnsupportedCompression  a codec whose package failed to load
 *
 * An uncompressed batch is walked in place: no copy and nothing allocated per record. A
 * compressed one is decompressed once under the cap (compression.ts), then walked the same way.
 */
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES, attributesOf, producerIdOf, recordCountOf } from '../protocol/batch-header.js'
import { Compression, CompressionError, decompress, isCompression } from '../protocol/compression.js'
import { LogStatus } from './errors.js'

export interface BatchRules {
  /** Decompressed records may take at most this many bytes (compression.ts inflateLimit). */
  maxInflatedBytes: number
  /** Every record needs a key (cleanup.policy includes compact). */
  keysRequired: boolean
}

/** Why a batch was refused. Made only on refusal: the accepting path allocates nothing. */
export interface BatchFault {
  status: LogStatus
  /** For the produce response's error_message and the broker's log. */
  message: string
  /** Indexes (within the batch) of the records at fault, empty when the fault is the batch's own. */
  recordIndexes: number[]
}

/** Record indexes listed at most per fault; the message says when there were more. */
export const MAX_LISTED_RECORDS = 1000

function fault (status: LogStatus, message: string, recordIndexes: number[] = []): BatchFault {
  return { status, message, recordIndexes }
}

/** Read position of the walk, module state so reading a varint allocates nothing. */
let pos = 0

/**
 * A zig-zag varint ending before `end`; NaN when it does not. One- and two-byte varints (deltas,
 * lengths below 8 KiB) take int32 branches; longer ones are read with exact doubles.
 */
function zigzag (buf: Uint8Array, end: number): number {
  if (pos >= end) return NaN
  const first = buf[pos]
  if (first < 0x80) {
    pos++
    return (first >>> 1) ^ -(first & 1)
  }
  if (pos + 1 < end && buf[pos + 1] < 0x80) {
    const z = (first & 0x7f) | (buf[pos + 1] << 7)
    pos += 2
    return (z >>> 1) ^ -(z & 1)
  }
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

/** Skips a varint length and that many bytes; false when they do not fit before `end` (or -1 is not allowed). */
function skipBytes (buf: Uint8Array, end: number, nullable: boolean): boolean {
  const n = zigzag(buf, end)
  if (!(n >= (nullable ? -1 : 0)) || n > end - pos) return false
  if (n > 0) pos += n
  return true
}

/**
 * Checks the batch at `at` (of `size` bytes) in `buf`: null when it may be appended, else why
 * not. Every record is read; see the header for the outcomes.
 */
export function validateBatch (buf: Buffer, at: number, size: number, rules: BatchRules): BatchFault | null {
  const attributes = attributesOf(buf, at)
  const codec = attributes & ATTR_COMPRESSION_MASK
  if (!isCompression(codec)) return fault(LogStatus.CorruptMessage, `the batch names compression codec ${codec}, which does not exist`)
  if ((attributes & ATTR_CONTROL) !== 0) return fault(LogStatus.InvalidRecord, 'clients may not write control batches')
  if ((attributes & ATTR_TRANSACTIONAL) !== 0 && producerIdOf(buf, at) < 0) {
    return fault(LogStatus.InvalidRecord, 'a transactional batch needs a producer id')
  }
  let data: Uint8Array = buf.subarray(at + BATCH_HEADER_BYTES, at + size)
  if (codec !== Compression.None) {
    try {
      data = decompress(codec, data, rules.maxInflatedBytes)
    } catch (err) {
      return compressionFault(err, codec, rules.maxInflatedBytes)
    }
  }
  return walk(data, recordCountOf(buf, at), rules.keysRequired)
}

function compressionFault (err: unknown, codec: Compression, maxInflatedBytes: number): BatchFault {
  const reason = err instanceof CompressionError ? err.reason : 'corrupt'
  const name = Compression[codec]
  switch (reason) {
    case 'too-large': return fault(LogStatus.RecordTooLarge, `the ${name} records inflate past ${maxInflatedBytes} bytes (max.message.bytes × 32)`)
    case 'codec-unavailable': return fault(LogStatus.UnsupportedCompression, `${name} is not available on this broker: ${(err as Error).message}`)
    default: return fault(LogStatus.CorruptMessage, `the ${name} records do not decompress: ${(err as Error).message}`)
  }
}

/** Walks `count` records of `data` in place; the first malformed one ends the walk. */
function walk (data: Uint8Array, count: number, keysRequired: boolean): BatchFault | null {
  const length = data.length
  let keyless: number[] | null = null
  let keylessCount = 0
  pos = 0
  for (let i = 0; i < count; i++) {
    if (pos >= length) return fault(LogStatus.CorruptMessage, `recordCount is ${count} but the records end after ${i}`, [i])
    const start = pos
    const size = zigzag(data, length)
    if (!(size >= 0) || size > length - pos) return corrupt(i, `record ${i} at byte ${start} has a length that does not fit the batch`)
    const end = pos + size
    pos++ // attributes
    if (Number.isNaN(zigzag(data, end))) return corrupt(i, `record ${i} has a malformed timestampDelta`)
    const offsetDelta = zigzag(data, end)
    if (Number.isNaN(offsetDelta)) return corrupt(i, `record ${i} has a malformed offsetDelta`)
    if (offsetDelta !== i) return fault(LogStatus.InvalidRecord, `record ${i} has offsetDelta ${offsetDelta}; records must number 0 to ${count - 1} in order`, [i])
    const keyAt = pos
    if (!skipBytes(data, end, true)) return corrupt(i, `record ${i} has a key length that does not fit the record`)
    if (keysRequired && data[keyAt] === 1) { // a zig-zag -1: a null key
      if (keyless === null) keyless = []
      if (keyless.length < MAX_LISTED_RECORDS) keyless.push(i)
      keylessCount++
    }
    if (!skipBytes(data, end, true)) return corrupt(i, `record ${i} has a value length that does not fit the record`)
    const headers = zigzag(data, end)
    if (!(headers >= 0) || headers > (end - pos) / 2) return corrupt(i, `record ${i} has a malformed header count`)
    for (let h = 0; h < headers; h++) {
      if (!skipBytes(data, end, false)) return corrupt(i, `record ${i} header ${h} has a malformed or null key`)
      if (!skipBytes(data, end, true)) return corrupt(i, `record ${i} header ${h} has a value length that does not fit the record`)
    }
    if (pos !== end) return corrupt(i, `record ${i} declares ${size} bytes but its fields take ${pos - (end - size)}`)
  }
  if (pos !== length) return fault(LogStatus.CorruptMessage, `${length - pos} bytes follow the last of the ${count} records recordCount announces`)
  if (keyless !== null) {
    const more = keylessCount > keyless.length ? ` (the first ${keyless.length} listed)` : ''
    return fault(LogStatus.InvalidRecord, `a compacted topic needs a key on every record; ${keylessCount} of ${count} have none${more}`, keyless)
  }
  return null
}

function corrupt (index: number, message: string): BatchFault {
  return fault(LogStatus.CorruptMessage, message, [index])
}
