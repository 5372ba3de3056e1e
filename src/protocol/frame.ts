/**
 * Kafka framing (../shared/kafka/PROTOCOL.md §1): every request and response is an INT32 size
 * followed by that many bytes. Sans-I/O: the connection feeds received chunks in and writes the
 * frames this module builds.
 *
 * In:  FrameSplitter turns a byte stream into whole frames (views, copied only when a frame
 *      spans chunks). A negative size or one above the limit is a FrameSizeError, after which
 *      the stream cannot be resynchronised: close the connection.
 * Out: encodeResponseFrame writes size + response header + body into one Writer;
 *      encodeResponseSegments does the same but leaves large external byte ranges (Fetch record
 *      batches) out of the copy and returns the frame as a list of buffers for writev.
 */
import { ProtocolDecodeError } from './reader.js'
import { Writer } from './writer.js'
import { encodeResponseHeader, type ResponseHeaderVersion } from './header.js'

/** Kafka's default `socket.request.max.bytes` (100 MiB). */
export const MAX_FRAME_BYTES = 104857600
export const FRAME_SIZE_BYTES = 4

export class FrameSizeError extends ProtocolDecodeError {
  readonly size: number
  readonly maxBytes: number

  constructor (size: number, maxBytes: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes exceeds the limit of ${maxBytes}`)
    this.name = 'FrameSizeError'
    this.size = size
    this.maxBytes = maxBytes
  }
}

/**
 * Whole frames at the start of `buf`: pushes each frame's payload (a view, without the size)
 * to `out` and returns how many bytes were consumed. Leftover bytes are an incomplete frame.
 */
export function splitFrames (buf: Buffer, out: Buffer[], maxFrameBytes = MAX_FRAME_BYTES): number {
  let pos = 0
  while (buf.length - pos >= FRAME_SIZE_BYTES) {
    const size = buf.readInt32BE(pos)
    if (size < 0 || size > maxFrameBytes) throw new FrameSizeError(size, maxFrameBytes)
    if (buf.length - pos - FRAME_SIZE_BYTES < size) break
    out.push(buf.subarray(pos + FRAME_SIZE_BYTES, pos + FRAME_SIZE_BYTES + size))
    pos += FRAME_SIZE_BYTES + size
  }
  return pos
}

/**
 * Accumulates a connection's received chunks and hands out complete frames. Chunks are kept
 * as a list until a frame is complete, so a large frame arriving in many chunks is joined once.
 */
export class FrameSplitter {
  /** Changes apply from the next frame on (a SASL connection raises it once authenticated). */
  maxFrameBytes: number
  #chunks: Buffer[]
  #bytes: number

  constructor (maxFrameBytes = MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
    this.#chunks = []
    this.#bytes = 0
  }

  /** Bytes received but not yet returned as part of a frame. */
  get pendingBytes (): number { return this.#bytes }

  /** Adds a chunk; returns the frames it completed (payload views, in order; often none). */
  push (chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    if (chunk.length === 0) return out
    if (this.#bytes === 0) {
      const used = splitFrames(chunk, out, this.maxFrameBytes)
      if (used < chunk.length) this.#keep(chunk.subarray(used))
      return out
    }
    this.#keep(chunk)
    if (this.#bytes < FRAME_SIZE_BYTES) return out
    const size = this.#peekSize()
    if (size < 0 || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes)
    if (this.#bytes < FRAME_SIZE_BYTES + size) return out
    // The first frame is complete: join what is pending once, then split as usual.
    const joined = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#bytes)
    this.#chunks = []
    this.#bytes = 0
    const used = splitFrames(joined, out, this.maxFrameBytes)
    if (used < joined.length) this.#keep(joined.subarray(used))
    return out
  }

  #keep (chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
  }

  #peekSize (): number {
    const first = this.#chunks[0]
    if (first.length >= FRAME_SIZE_BYTES) return first.readInt32BE(0)
    const head = Buffer.concat(this.#chunks, this.#bytes).subarray(0, FRAME_SIZE_BYTES)
    return head.readInt32BE(0)
  }
}

/**
 * Writes one whole response frame (size, header, body) into `w` and returns a view of it,
 * valid until `w` is written to or reset.
 */
export function encodeResponseFrame (w: Writer, correlationId: number, headerVersion: ResponseHeaderVersion, body: (w: Writer) => void): Buffer {
  const start = w.pos
  const at = w.reserveInt32()
  encodeResponseHeader(w, correlationId, headerVersion)
  body(w)
  w.patchInt32(at, w.pos - at - FRAME_SIZE_BYTES)
  return w.buf.subarray(start, w.pos)
}

/** External chunks shorter than this are copied: a separate segment costs more than the copy. */
export const MIN_EXTERNAL_SEGMENT_BYTES = 1024

/**
 * A Writer that keeps large `external()` byte ranges by reference. The output is a list of
 * segments: views of its own buffer between the external ranges, and the external ranges
 * themselves. Views of its own buffer are taken at `segments()` time, so growth is safe; they
 * stay valid until the next reset.
 */
export class SegmentWriter extends Writer {
  #marks: Array<number | Uint8Array>
  #externalBytes: number

  constructor (initialBytes?: number) {
    super(initialBytes)
    this.#marks = []
    this.#externalBytes = 0
  }

  override reset (): this {
    this.#marks = []
    this.#externalBytes = 0
    return super.reset()
  }

  override external (bytes: Uint8Array): this {
    if (bytes.length < MIN_EXTERNAL_SEGMENT_BYTES) return this.raw(bytes)
    this.#marks.push(this.pos, bytes)
    this.#externalBytes += bytes.length
    return this
  }

  /** Own bytes plus external bytes written so far. */
  get totalBytes (): number { return this.pos + this.#externalBytes }

  segments (): Buffer[] {
    const out: Buffer[] = []
    let from = 0
    for (let i = 0; i < this.#marks.length; i += 2) {
      const at = this.#marks[i] as number
      const bytes = this.#marks[i + 1] as Uint8Array
      if (at > from) out.push(this.buf.subarray(from, at))
      out.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))
      from = at
    }
    if (this.pos > from) out.push(this.buf.subarray(from, this.pos))
    return out
  }
}

/**
 * Encodes one response frame as segments for writev: the header, the body's own bytes and
 * the external record chunks by reference (no copy). `w` is reset first.
 */
export function encodeResponseSegments (w: SegmentWriter, correlationId: number, headerVersion: ResponseHeaderVersion, body: (w: Writer) => void): Buffer[] {
  w.reset()
  const at = w.reserveInt32()
  encodeResponseHeader(w, correlationId, headerVersion)
  body(w)
  w.patchInt32(at, w.totalBytes - FRAME_SIZE_BYTES)
  return w.segments()
}
