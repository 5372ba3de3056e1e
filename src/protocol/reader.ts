/**
 * Cursor over a Kafka message's bytes. Sans-I/O: it never touches a socket or a file.
 * Every read checks bounds and throws ProtocolDecodeError, which the caller turns into a closed
 * connection (broken framing) or a Kafka error code (bad content).
 */
import { readUnsignedVarint, unzigzag } from './varint.js'

export class ProtocolDecodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ProtocolDecodeError'
  }
}

export class Reader {
  buf: Buffer
  pos: number
  end: number

  constructor (buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  get remaining (): number { return this.end - this.pos }

  #need (n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtocolDecodeError(`needs ${n} bytes at position ${this.pos}, ${this.end - this.pos} left`)
    }
  }

  int8 (): number { this.#need(1); return this.buf.readInt8(this.pos++) }
  uint8 (): number { this.#need(1); return this.buf[this.pos++] }
  bool (): boolean { return this.int8() !== 0 }
  int16 (): number { this.#need(2); const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v }
  uint16 (): number { this.#need(2); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v }
  int32 (): number { this.#need(4); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v }
  uint32 (): number { this.#need(4); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v }
  int64 (): bigint { this.#need(8); const v = this.buf.readBigInt64BE(this.pos); this.pos += 8; return v }
  float64 (): number { this.#need(8); const v = this.buf.readDoubleBE(this.pos); this.pos += 8; return v }

  /** An INT64 read as a JS number; offsets and timestamps fit well within 2^53. */
  int64Number (): number {
    this.#need(8)
    const hi = this.buf.readInt32BE(this.pos)
    const lo = this.buf.readUInt32BE(this.pos + 4)
    this.pos += 8
    return hi * 4294967296 + lo
  }

  unsignedVarint (): number {
    try {
      return readUnsignedVarint(this.buf.subarray(0, this.end), this)
    } catch (err) {
      throw new ProtocolDecodeError((err as Error).message)
    }
  }

  varint (): number { return unzigzag(this.unsignedVarint()) }

  uuid (): Buffer { this.#need(16); const v = this.buf.subarray(this.pos, this.pos + 16); this.pos += 16; return v }

  /** A view of the next `n` bytes (no copy). */
  raw (n: number): Buffer { this.#need(n); const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v }

  #utf8 (n: number): string { this.#need(n); const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s }

  /** STRING / NULLABLE_STRING (INT16 length, -1 = null). */
  nullableString (): string | null { const n = this.int16(); return n < 0 ? null : this.#utf8(n) }
  string (): string { const s = this.nullableString(); if (s === null) throw new ProtocolDecodeError('null where a string is required'); return s }
  /** COMPACT_STRING / COMPACT_NULLABLE_STRING (unsigned varint length + 1, 0 = null). */
  compactNullableString (): string | null { const n = this.unsignedVarint() - 1; return n < 0 ? null : this.#utf8(n) }
  compactString (): string { const s = this.compactNullableString(); if (s === null) throw new ProtocolDecodeError('null where a string is required'); return s }

  /** Chooses the compact or classic encoding by the message's flexibility. */
  str (flexible: boolean): string { return flexible ? this.compactString() : this.string() }
  nullableStr (flexible: boolean): string | null { return flexible ? this.compactNullableString() : this.nullableString() }

  /** BYTES / NULLABLE_BYTES (INT32 length). Views, no copy. */
  nullableBytes (): Buffer | null { const n = this.int32(); return n < 0 ? null : this.raw(n) }
  bytes (): Buffer { return this.nullableBytes() ?? Buffer.alloc(0) }
  compactNullableBytes (): Buffer | null { const n = this.unsignedVarint() - 1; return n < 0 ? null : this.raw(n) }
  compactBytes (): Buffer { return this.compactNullableBytes() ?? Buffer.alloc(0) }
  byteArray (flexible: boolean): Buffer { return flexible ? this.compactBytes() : this.bytes() }
  nullableByteArray (flexible: boolean): Buffer | null { return flexible ? this.compactNullableBytes() : this.nullableBytes() }

  /** ARRAY / COMPACT_ARRAY; a null array reads as null. */
  nullableArray<T> (flexible: boolean, item: (r: Reader) => T): T[] | null {
    const n = flexible ? this.unsignedVarint() - 1 : this.int32()
    if (n < 0) return null
    // Each item takes at least one byte: a count beyond what is left is a lie, not a reason to allocate.
    if (n > this.remaining) throw new ProtocolDecodeError(`array of ${n} items in ${this.remaining} bytes`)
    const out: T[] = new Array(n)
    for (let i = 0; i < n; i++) out[i] = item(this)
    return out
  }

  array<T> (flexible: boolean, item: (r: Reader) => T): T[] { return this.nullableArray(flexible, item) ?? [] }

  /** Skips a tagged-field section; returns the tags it saw, by tag number, as views. */
  taggedFields (): Map<number, Buffer> | undefined {
    const count = this.unsignedVarint()
    if (count === 0) return undefined
    const fields = new Map<number, Buffer>()
    for (let i = 0; i < count; i++) {
      const tag = this.unsignedVarint()
      const size = this.unsignedVarint()
      fields.set(tag, this.raw(size))
    }
    return fields
  }

  /** Skips tagged fields only in flexible versions; returns them for callers that know some tags. */
  tags (flexible: boolean): Map<number, Buffer> | undefined {
    return flexible ? this.taggedFields() : undefined
  }
}
