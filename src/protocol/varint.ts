/**
 * Variable-length integers as Kafka writes them: unsigned LEB128 (flexible versions) and
 * zig-zag signed varints (records). Values stay JS numbers: a varlong outside ±2^53 is not
 * something a record's deltas ever hold, and BigInt would allocate on the hot path.
 */

export function sizeOfUnsignedVarint (value: number): number {
  let size = 1
  while (value >= 0x80) { value = Math.floor(value / 128); size++ }
  return size
}

export function sizeOfVarint (value: number): number {
  return sizeOfUnsignedVarint(zigzag(value))
}

export function zigzag (value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1
}

export function unzigzag (value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2
}

/** Writes an unsigned varint at `pos`; returns the position after it. */
export function writeUnsignedVarint (buf: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 128)
  }
  buf[pos++] = value
  return pos
}

export function writeVarint (buf: Uint8Array, pos: number, value: number): number {
  return writeUnsignedVarint(buf, pos, zigzag(value))
}

/**
 * Reads an unsigned varint; the position after it goes to `cursor.pos`.
 * Throws RangeError on a varint longer than 10 bytes or past the end.
 */
export function readUnsignedVarint (buf: Uint8Array, cursor: { pos: number }): number {
  let pos = cursor.pos
  let result = 0
  let multiplier = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new RangeError('varint runs past the end of the buffer')
    const byte = buf[pos++]
    result += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) { cursor.pos = pos; return result }
    multiplier *= 128
  }
  throw new RangeError('varint is longer than 10 bytes')
}

export function readVarint (buf: Uint8Array, cursor: { pos: number }): number {
  return unzigzag(readUnsignedVarint(buf, cursor))
}
