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
 * Why a codec call failed. Callers map these to Kafka codes: 'unknown-codec' (attribute bits
 * 5-7) and 'corrupt' to CORRUPT_MESSAGE, 'codec-unavailable' to UNSUPPORTED_COMPRESSION_TYPE,
 * 'too-large' (the block would inflate past the caller's cap) to MESSAGE_TOO_LARGE.
 */
export type CompressionFailure = 'unknown-codec' | 'codec-unavailable' | 'corrupt' | 'too-large'

/**
 * How far a batch may inflate: its records, decompressed, may take at most max.message.bytes
 * × this factor. Real producers cap a batch's uncompressed size near max.message.bytes
 * (librdkafka batch.size 1 MB, Java batch.size 16 KiB), so 32 leaves ample room while a
 * decompression bomb (32 KiB of zstd claiming 1 GiB) is stopped at 32 MiB with the defaults.
 */
export const INFLATE_FACTOR = 32

/** The decompressed-size cap for batches of a topic with this max.message.bytes. */
export function inflateLimit (maxMessageBytes: number): number {
  return maxMessageBytes * INFLATE_FACTOR
}

/** The cap with Kafka's default max.message.bytes (1048588): for decoders that know no topic. */
export const DEFAULT_MAX_INFLATED_BYTES = inflateLimit(1_048_588)

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
}
/** zstd-napi's native binding: a streaming decoder stops at our cap, the simple API does not. */
interface ZstdBinding {
  DCtx: new () => ZstdDCtx
  ResetDirective: { sessionOnly: number }
  dStreamOutSize (): number
}
interface ZstdDCtx {
  decompressStream (dst: Uint8Array, src: Uint8Array): [remaining: number, produced: number, consumed: number]
  reset (directive: number): void
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
const zstdBinding = (): ZstdBinding => load<ZstdBinding>('zstd-napi/binding', Compression.Zstd)

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

/**
 * Decompresses `data`, producing at most `maxBytes`: a block that would inflate further fails
 * with 'too-large' once the cap is reached (gzip, zstd) or before any work (snappy and lz4,
 * whose framing states the sizes), so a bomb costs at most `maxBytes` of memory.
 */
export function decompress (codec: Compression, data: Uint8Array, maxBytes: number): Buffer {
  if (!isCompression(codec)) throw unknownCodec(codec)
  // Load first, so a missing package reads as 'codec-unavailable', not as corrupt data.
  if (codec === Compression.Snappy) snappy()
  else if (codec === Compression.Lz4) lz4()
  else if (codec === Compression.Zstd) zstdBinding()
  let out: Buffer
  try {
    switch (codec) {
      case Compression.None: out = Buffer.from(data); break
      case Compression.Gzip: out = gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) }); break
      case Compression.Snappy: out = unsnappy(data, maxBytes); break
      case Compression.Lz4: out = unlz4(data, maxBytes); break
      case Compression.Zstd: out = unzstd(data, maxBytes); break
    }
  } catch (err) {
    if (err instanceof CompressionError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(codec, maxBytes)
    throw new CompressionError('corrupt', codec, `${Compression[codec]} data is corrupt: ${(err as Error).message}`, { cause: err })
  }
  if (out.length > maxBytes) throw tooLarge(codec, maxBytes)
  return out
}

function tooLarge (codec: Compression, maxBytes: number): CompressionError {
  return new CompressionError('too-large', codec, `${Compression[codec]} data inflates past the ${maxBytes}-byte limit`)
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

/**
 * A raw snappy block starts with its uncompressed length (a varint): the decoder allocates
 * that much, so it is checked against the cap first. -1 when the preamble is unreadable.
 */
function snappyLength (block: Uint8Array): number {
  let result = 0
  let multiplier = 1
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]
    result += (byte & 0x7f) * multiplier
    if (byte < 0x80) return result
    multiplier *= 128
  }
  return -1
}

const SNAPPY_MAX_RATIO = 22

function unsnappyBlock (block: Uint8Array, budget: number, maxBytes: number): Buffer {
  const length = snappyLength(block)
  if (length < 0) throw new Error('snappy block has no length preamble')
  // No snappy element yields more than 64 bytes from 3 (a 2-byte-offset copy): a preamble
  // claiming more than that ratio is a lie, not a bomb.
  if (length > block.length * SNAPPY_MAX_RATIO) throw new Error(`snappy block of ${block.length} bytes claims ${length} bytes`)
  if (length > budget) throw tooLarge(Compression.Snappy, maxBytes)
  return snappy().uncompressSync(block, { asBuffer: true }) as Buffer
}

function unsnappy (data: Uint8Array, maxBytes: number): Buffer {
  if (!isXerial(data)) return unsnappyBlock(data, maxBytes, maxBytes)
  const buf = asBuffer(data)
  const parts: Buffer[] = []
  let budget = maxBytes
  let at = XERIAL_HEADER_BYTES
  while (at < buf.length) {
    if (buf.length - at < 4) throw new Error(`xerial block length cut short at byte ${at}`)
    const len = buf.readInt32BE(at)
    at += 4
    if (len < 0 || len > buf.length - at) throw new Error(`xerial block of ${len} bytes at byte ${at - 4} runs past the end`)
    const part = unsnappyBlock(buf.subarray(at, at + len), budget, maxBytes)
    if (part.length > budget) throw tooLarge(Compression.Snappy, maxBytes)
    budget -= part.length
    parts.push(part)
    at += len
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts)
}

// --- lz4 frames

const LZ4_FRAME_MAGIC = 0x184d2204
/** Skippable frames: magic 0x184D2A50 to 0x184D2A5F. */
const LZ4_SKIPPABLE_MASK = 0xfffffff0
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50
/** Block maximum sizes by the BD byte's bits 4-6 (4: 64 KiB … 7: 4 MiB). */
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]

/** What lz4Bound found: the most bytes the frames can inflate to, and their largest block maximum. */
const lz4Framing = { bound: 0, blockMax: 0 }

/**
 * The most bytes an LZ4 frame sequence can inflate to, from its framing alone: every compressed
 * block decodes to at most the frame's block maximum, every stored block to its own size. Walks
 * block headers only (no decoding), so a bomb is refused before lz4-napi allocates anything.
 */
function lz4Bound (buf: Buffer): void {
  let at = 0
  let bound = 0
  let largest = 0
  while (at < buf.length) {
    if (buf.length - at < 8) throw new Error(`lz4 frame header cut short at byte ${at}`)
    const magic = buf.readUInt32LE(at)
    if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      at += 8 + buf.readUInt32LE(at + 4)
      continue
    }
    if (magic !== LZ4_FRAME_MAGIC) throw new Error(`no lz4 frame magic at byte ${at}`)
    const flg = buf[at + 4]
    const blockMax = LZ4_BLOCK_MAX[(buf[at + 5] >> 4) & 0x07]
    if (blockMax === 0) throw new Error(`lz4 frame at byte ${at} has an invalid block maximum size`)
    if (blockMax > largest) largest = blockMax
    const blockChecksum = (flg & 0x10) !== 0 ? 4 : 0
    at += 4 + 2 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1
    for (;;) {
      if (buf.length - at < 4) throw new Error(`lz4 block header cut short at byte ${at}`)
      const word = buf.readUInt32LE(at)
      at += 4
      if (word === 0) break // end mark
      const size = word & 0x7fffffff
      bound += (word & 0x80000000) !== 0 ? size : blockMax
      at += size + blockChecksum
    }
    if ((flg & 0x04) !== 0) at += 4 // content checksum
  }
  lz4Framing.bound = bound
  lz4Framing.blockMax = largest
}

function unlz4 (data: Uint8Array, maxBytes: number): Buffer {
  const buf = asBuffer(data)
  lz4Bound(buf)
  // A frame's last block is rarely full, so the bound overshoots a real stream by up to one
  // block: allow that much (memory stays under maxBytes + 4 MiB), then check the real size.
  if (lz4Framing.bound > maxBytes + lz4Framing.blockMax) throw tooLarge(Compression.Lz4, maxBytes)
  return lz4().decompressFrameSync(buf)
}

// --- zstd, streamed under the cap

let zstdContext: ZstdDCtx | null = null

function unzstd (data: Uint8Array, maxBytes: number): Buffer {
  const binding = zstdBinding()
  const ctx = zstdContext ?? (zstdContext = new binding.DCtx())
  ctx.reset(binding.ResetDirective.sessionOnly)
  const chunkBytes = binding.dStreamOutSize()
  const parts: Buffer[] = []
  let total = 0
  let input = data
  let pending = 1
  // A frame is done when decompressStream returns 0 with its input consumed; a frame cut short
  // leaves pending > 0 with nothing left to read.
  while (input.length > 0 || pending !== 0) {
    const room = Math.min(chunkBytes, maxBytes - total + 1)
    const chunk = Buffer.allocUnsafe(room)
    const [remaining, produced, consumed] = ctx.decompressStream(chunk, input)
    if (produced === 0 && consumed === 0) throw new Error('zstd frame is cut short')
    input = input.subarray(consumed)
    pending = remaining
    total += produced
    if (total > maxBytes) throw tooLarge(Compression.Zstd, maxBytes)
    if (produced > 0) parts.push(produced === room ? chunk : chunk.subarray(0, produced))
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total)
}
