/**
 * Small pieces shared by the generated codecs in this folder: version checks, defaults,
 * element readers/writers for arrays of primitives, and tagged-field encoding.
 */
import { ProtocolDecodeError, Reader } from '../reader.js'
import { Writer } from '../writer.js'

interface VersionRange { readonly name: string, readonly minVersion: number, readonly maxVersion: number }

/** A request or response of a version outside the served range cannot be read. */
export function checkDecodeVersion (api: VersionRange, version: number): void {
  if (!Number.isInteger(version) || version < api.minVersion || version > api.maxVersion) {
    throw new ProtocolDecodeError(`${api.name} v${version} is outside the served range ${api.minVersion}-${api.maxVersion}`)
  }
}

/** Encoding a version outside the served range is a programming error. */
export function checkEncodeVersion (api: VersionRange, version: number): void {
  if (!Number.isInteger(version) || version < api.minVersion || version > api.maxVersion) {
    throw new RangeError(`${api.name} v${version} is outside the served range ${api.minVersion}-${api.maxVersion}`)
  }
}

/** Default for BYTES fields a version lacks. Shared: never write into it. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0)
/** The all-zero UUID ("no id"). Shared: never write into it. */
export const ZERO_UUID: Buffer = Buffer.alloc(16)

export const readInt32 = (r: Reader): number => r.int32()
export const readInt64 = (r: Reader): number => r.int64Number()
export const readUuid = (r: Reader): Buffer => r.uuid()
const readString = (r: Reader): string => r.string()
const readCompactString = (r: Reader): string => r.compactString()
export const readStr = (flexible: boolean): (r: Reader) => string => flexible ? readCompactString : readString

export const writeInt32 = (w: Writer, v: number): void => { w.int32(v) }
export const writeInt64 = (w: Writer, v: number): void => { w.int64(v) }
export const writeUuid = (w: Writer, v: Uint8Array): void => { w.uuid(v) }
const writeString = (w: Writer, v: string): void => { w.string(v) }
const writeCompactString = (w: Writer, v: string): void => { w.compactString(v) }
export const writeStr = (flexible: boolean): (w: Writer, v: string) => void => flexible ? writeCompactString : writeString

/** Writes one tagged field: tag, size, then what `body` writes. */
export function writeTagged (w: Writer, tag: number, body: (t: Writer) => void): void {
  const t = new Writer(64)
  body(t)
  w.unsignedVarint(tag).unsignedVarint(t.pos).raw(t.view())
}
