/**
 * Growable output buffer for Kafka messages. One Writer is reused per connection: `reset()`
 * keeps the memory, so steady-state encoding allocates nothing.
 */
import { sizeOfUnsignedVarint, writeUnsignedVarint, zigzag } from './varint.js'

const INITIAL_BYTES = 4096

/** RECORDS content to write: one buffer, several chunks written back to back, or null. */
export type RecordsData = Uint8Array | readonly Uint8Array[] | null

export class Writer {
  buf: Buffer
  pos: number

  constructor (initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes)
    this.pos = 0
  }

  reset (): this { this.pos = 0; return this }

  /** A view of what was written; valid until the next write or reset. */
  view (): Buffer { return this.buf.subarray(0, this.pos) }
  /** A copy of what was written. */
  toBuffer (): Buffer { return Buffer.from(this.view()) }

  ensure (n: number): void {
    const needed = this.pos + n
    if (needed <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < needed) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  int8 (v: number): this { this.ensure(1); this.buf.writeInt8(v, this.pos); this.pos += 1; return this }
  uint8 (v: number): this { this.ensure(1); this.buf[this.pos++] = v; return this }
  bool (v: boolean): this { return this.int8(v ? 1 : 0) }
  int16 (v: number): this { this.ensure(2); this.buf.writeInt16BE(v, this.pos); this.pos += 2; return this }
  uint16 (v: number): this { this.ensure(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; return this }
  int32 (v: number): this { this.ensure(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; return this }
  uint32 (v: number): this { this.ensure(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; return this }
  float64 (v: number): this { this.ensure(8); this.buf.writeDoubleBE(v, this.pos); this.pos += 8; return this }

  /** INT64 from a bigint or a (safe-integer) number. */
  int64 (v: bigint | number): this {
    this.ensure(8)
    if (typeof v === 'bigint') {
      this.buf.writeBigInt64BE(v, this.pos)
    } else {
      const hi = Math.floor(v / 4294967296)
      this.buf.writeInt32BE(hi, this.pos)
      this.buf.writeUInt32BE(v - hi * 4294967296, this.pos + 4)
    }
    this.pos += 8
    return this
  }

  unsignedVarint (v: number): this { this.ensure(10); this.pos = writeUnsignedVarint(this.buf, this.pos, v); return this }
  varint (v: number): this { return this.unsignedVarint(zigzag(v)) }

  raw (bytes: Uint8Array): this { this.ensure(bytes.length); this.buf.set(bytes, this.pos); this.pos += bytes.length; return this }

  /**
   * Bytes owned by someone else (a stored batch, a ring frame). A plain Writer copies them;
   * a writer that gathers segments (protocol/frame.ts) keeps a reference instead.
   */
  external (bytes: Uint8Array): this { return this.raw(bytes) }

  /** RECORDS: NULLABLE_BYTES (COMPACT_ in flexible versions) whose content may be several chunks, each written via external(). */
  records (flexible: boolean, data: RecordsData): this {
    if (data === null) return flexible ? this.unsignedVarint(0) : this.int32(-1)
    if (!Array.isArray(data)) {
      const one = data as Uint8Array
      if (flexible) this.unsignedVarint(one.length + 1)
      else this.int32(one.length)
      return this.external(one)
    }
    let n = 0
    for (const chunk of data) n += chunk.length
    if (flexible) this.unsignedVarint(n + 1)
    else this.int32(n)
    for (const chunk of data) this.external(chunk)
    return this
  }

  uuid (v: Uint8Array | null): this {
    this.ensure(16)
    if (v === null) this.buf.fill(0, this.pos, this.pos + 16)
    else this.buf.set(v.subarray(0, 16), this.pos)
    this.pos += 16
    return this
  }

  #utf8 (s: string, n: number): void { this.ensure(n); this.buf.write(s, this.pos, n, 'utf8'); this.pos += n }

  nullableString (s: string | null): this {
    if (s === null) return this.int16(-1)
    const n = Buffer.byteLength(s)
    this.int16(n); this.#utf8(s, n)
    return this
  }

  string (s: string): this { return this.nullableString(s) }

  compactNullableString (s: string | null): this {
    if (s === null) return this.unsignedVarint(0)
    const n = Buffer.byteLength(s)
    this.unsignedVarint(n + 1); this.#utf8(s, n)
    return this
  }

  compactString (s: string): this { return this.compactNullableString(s) }

  str (flexible: boolean, s: string): this { return flexible ? this.compactString(s) : this.string(s) }
  nullableStr (flexible: boolean, s: string | null): this { return flexible ? this.compactNullableString(s) : this.nullableString(s) }

  nullableBytes (b: Uint8Array | null): this { return b === null ? this.int32(-1) : this.int32(b.length).raw(b) }
  bytes (b: Uint8Array): this { return this.nullableBytes(b) }
  compactNullableBytes (b: Uint8Array | null): this { return b === null ? this.unsignedVarint(0) : this.unsignedVarint(b.length + 1).raw(b) }
  compactBytes (b: Uint8Array): this { return this.compactNullableBytes(b) }
  byteArray (flexible: boolean, b: Uint8Array): this { return flexible ? this.compactBytes(b) : this.bytes(b) }
  nullableByteArray (flexible: boolean, b: Uint8Array | null): this { return flexible ? this.compactNullableBytes(b) : this.nullableBytes(b) }

  /** ARRAY / COMPACT_ARRAY; null writes a null array. */
  nullableArray<T> (flexible: boolean, items: readonly T[] | null, item: (w: Writer, v: T) => void): this {
    if (items === null) return flexible ? this.unsignedVarint(0) : this.int32(-1)
    if (flexible) this.unsignedVarint(items.length + 1)
    else this.int32(items.length)
    for (const v of items) item(this, v)
    return this
  }

  array<T> (flexible: boolean, items: readonly T[], item: (w: Writer, v: T) => void): this {
    return this.nullableArray(flexible, items, item)
  }

  /** An empty tagged-field section, in flexible versions only. */
  tags (flexible: boolean, fields?: ReadonlyMap<number, Uint8Array>): this {
    if (!flexible) return this
    if (fields === undefined || fields.size === 0) return this.unsignedVarint(0)
    this.unsignedVarint(fields.size)
    for (const tag of [...fields.keys()].sort((a, b) => a - b)) {
      const value = fields.get(tag)!
      this.unsignedVarint(tag).unsignedVarint(value.length).raw(value)
    }
    return this
  }

  /** Leaves room for an INT32 filled in later by `patchInt32`; returns its position. */
  reserveInt32 (): number { this.ensure(4); const at = this.pos; this.pos += 4; return at }
  patchInt32 (at: number, v: number): void { this.buf.writeInt32BE(v, at) }
}

export { sizeOfUnsignedVarint }
