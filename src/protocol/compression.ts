/**
 * The four Kafka record codecs behind one synchronous interface (attribute bits 0-2 of a
 * record batch). gzip comes from node:zlib; snappy, lz4 and zstd are native packages loaded on
 * first use, so a missing binary only fails the codec that needs it.
 *
 * Formats are the ones the Java client writes:
 *   gzip    a gzip stream
 *   snappy  xerial framing: 8-byte magic, INT32 version 1, INT32 compatible 1, then blocks of
 *           INT32 length + raw snappy block; decoding also takes a plain raw snappy block
 *   lz4     the LZ4 frame format
 *   zstd    a zstd frame
 */
import { createRequire } from 'node:module'
import { gunzipSync, gzipSync } from 'node:zlib'

export enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/**
 * Why a codec call failed. Callers map these to Kafka codes: 'unknown-codec' and
 * 'codec-unavailable' to UNSUPPORTED_COMPRESSION_TYPE, 'corrupt' to CORRUPT_MESSAGE.
 */
export type CompressionFailure = 'unknown-codec' | 'codec-unavailable' | 'corrupt'

export class CompressionError extends Error {
  readonly reason: CompressionFailure
  /** The codec number from the batch attributes (0-7). */
  readonly codec: number

  constructor (reason: CompressionFailure, codec: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CompressionError'
    this.reason = reason
    this.codec = codec
  }
}

export function isCompression (codec: number): codec is Compression {
  return Number.isInteger(codec) && codec >= Compression.None && codec <= Compression.Zstd
}

interface SnappyModule {
  compressSync (input: Uint8Array): Buffer
  uncompressSync (input: Uint8Array, options?: { asBuffer?: boolean }): string | Buffer
}
interface Lz4Module {
  compressFrameSync (data: Buffer): Buffer
  decompressFrameSync (data: Buffer): Buffer
}
interface ZstdModule {
  compress (data: Uint8Array): Buffer
  decompress (data: Uint8Array): Buffer
}

const require = createRequire(import.meta.url)
const loaded = new Map<string, unknown>()

function load<T> (pkg: string, codec: Compression): T {
  let mod = loaded.get(pkg)
  if (mod === undefined) {
    try {
      mod = require(pkg)
    } catch (err) {
      throw new CompressionError('codec-unavailable', codec,
        `${Compression[codec]} compression needs the ${pkg} package, which failed to load`, { cause: err })
    }
    loaded.set(pkg, mod)
  }
  return mod as T
}

const snappy = (): SnappyModule => load<SnappyModule>('snappy', Compression.Snappy)
const lz4 = (): Lz4Module => load<Lz4Module>('lz4-napi', Compression.Lz4)
const zstd = (): ZstdModule => load<ZstdModule>('zstd-napi', Compression.Zstd)

/** A Buffer view of the same bytes; lz4-napi's sync calls reject a plain Uint8Array. */
function asBuffer (data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

function unknownCodec (codec: number): CompressionError {
  return new CompressionError('unknown-codec', codec, `unknown compression codec ${codec}`)
}

export function compress (codec: Compression, data: Uint8Array): Buffer {
  switch (codec) {
    case Compression.None: return Buffer.from(data)
    case Compression.Gzip: return gzipSync(data)
    case Compression.Snappy: return snappyFramed(data)
    case Compression.Lz4: return lz4().compressFrameSync(asBuffer(data))
    case Compression.Zstd: return zstd().compress(data)
    default: throw unknownCodec(codec)
  }
}

export function decompress (codec: Compression, data: Uint8Array): Buffer {
  if (!isCompression(codec)) throw unknownCodec(codec)
  // Load first, so a missing package reads as 'codec-unavailable', not as corrupt data.
  if (codec === Compression.Snappy) snappy()
  else if (codec === Compression.Lz4) lz4()
  else if (codec === Compression.Zstd) zstd()
  try {
    switch (codec) {
      case Compression.None: return Buffer.from(data)
      case Compression.Gzip: return gunzipSync(data)
      case Compression.Snappy: return unsnappy(data)
      case Compression.Lz4: return lz4().decompressFrameSync(asBuffer(data))
      case Compression.Zstd: return zstd().decompress(data)
    }
  } catch (err) {
    if (err instanceof CompressionError) throw err
    throw new CompressionError('corrupt', codec, `${Compression[codec]} data is corrupt: ${(err as Error).message}`, { cause: err })
  }
}

// --- snappy, xerial framing

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
/** Magic, version, compatible version. */
const XERIAL_HEADER_BYTES = 16
/** The Java client's SnappyOutputStream default block size (32 KiB of input per block). */
const XERIAL_BLOCK_INPUT_BYTES = 32 * 1024

function snappyFramed (data: Uint8Array): Buffer {
  const { compressSync } = snappy()
  const parts: Buffer[] = []
  const header = Buffer.allocUnsafe(XERIAL_HEADER_BYTES)
  XERIAL_MAGIC.copy(header, 0)
  header.writeInt32BE(1, 8)
  header.writeInt32BE(1, 12)
  parts.push(header)
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_INPUT_BYTES) {
    const block = compressSync(data.subarray(at, at + XERIAL_BLOCK_INPUT_BYTES))
    const len = Buffer.allocUnsafe(4)
    len.writeInt32BE(block.length, 0)
    parts.push(len, block)
  }
  return Buffer.concat(parts)
}

function isXerial (data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_BYTES) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false
  return true
}

function unsnappy (data: Uint8Array): Buffer {
  const { uncompressSync } = snappy()
  if (!isXerial(data)) return uncompressSync(data, { asBuffer: true }) as Buffer
  const buf = asBuffer(data)
  const parts: Buffer[] = []
  let at = XERIAL_HEADER_BYTES
  while (at < buf.length) {
    if (buf.length - at < 4) throw new Error(`xerial block length cut short at byte ${at}`)
    const len = buf.readInt32BE(at)
    at += 4
    if (len < 0 || len > buf.length - at) throw new Error(`xerial block of ${len} bytes at byte ${at - 4} runs past the end`)
    parts.push(uncompressSync(buf.subarray(at, at + len), { asBuffer: true }) as Buffer)
    at += len
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts)
}
