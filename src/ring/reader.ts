/**
 * The consuming end of a ring. One RingReader per ring, on one thread. It owns kTail.
 *
 * Two cursors: the read cursor moves with next(), the release cursor (kTail) with
 * release()/releaseTo(). Frames between them have been handed out and are still valid:
 * the writer cannot overwrite them until they are released. So a reader may hand a
 * payload view (`bytes.subarray(at, at + frameLength)`) to socket.write and release after
 * the write callback, while it keeps reading frames behind it.
 *
 *   while ((at = reader.next()) !== -1) use(reader.bytes, at, reader.frameLength)
 *   reader.release()                   // once per batch, not per frame
 *   await reader.waitAsync(100)        // dispatcher; a worker uses waitSync(bounded)
 *
 * Nothing here allocates per frame.
 */
import { badMark } from './errors.js'
import {
  FRAME_PREFIX_BYTES, HEADER_BYTES, HEADER_SLOTS, RING_FAULTED, RING_OPEN, frameBytes, kHead, kReaderWaiting,
  kState, kTail, kWrapMarker, kWriterWaiting, maxFrameBytesFor, ringCapacity, type RingState
} from './layout.js'
import { closeRing, faultRing, loadState } from './state.js'
import { POLL_GIVE_UP, POLL_NOT_YET, POLL_READY, Waiter, checkSpinCount, spinCountFromEnv, wakeIfWaiting } from './wait.js'
import type { RingEndOptions } from './writer.js'

export class RingReader {
  /** The data region. Offsets from next() index into it. */
  readonly bytes: Uint8Array
  readonly capacity: number
  readonly maxFrameBytes: number

  readonly #i32: Int32Array
  readonly #data32: Int32Array
  readonly #mask: number
  /** Read cursor: counter just past the last frame next() handed out. */
  #readPos: number
  /** Our copy of kTail: counter up to which frames are released. */
  #tail: number
  /** Last kHead we loaded; frames up to it are known published, so next() skips the load. */
  #headCache: number
  #frameLength: number
  readonly #waiter: Waiter

  constructor (sab: SharedArrayBuffer, options: RingEndOptions = {}) {
    const capacity = ringCapacity(sab)
    this.bytes = new Uint8Array(sab, HEADER_BYTES, capacity)
    this.capacity = capacity
    this.maxFrameBytes = maxFrameBytesFor(capacity)
    this.#i32 = new Int32Array(sab, 0, HEADER_SLOTS)
    this.#data32 = new Int32Array(sab, HEADER_BYTES, capacity >> 2)
    this.#mask = capacity - 1
    // kTail is ours; start reading at what was released.
    this.#tail = Atomics.load(this.#i32, kTail)
    this.#readPos = this.#tail
    this.#headCache = this.#tail
    this.#frameLength = 0
    const spinCount = options.spinCount === undefined ? spinCountFromEnv() : checkSpinCount(options.spinCount)
    this.#waiter = new Waiter(this.#i32, kReaderWaiting, () => this.#pollFrames(), spinCount)
  }

  get state (): RingState {
    return loadState(this.#i32)
  }

  /** Payload length of the frame the last next() returned. */
  get frameLength (): number {
    return this.#frameLength
  }

  /**
   * Offset in `bytes` of the next published frame's payload, or -1 when there is none yet
   * (or the ring faulted). Advances the read cursor; the payload stays valid and untouched
   * by the writer until a release() or releaseTo() covers it. A closed ring still hands
   * out every frame published before the close.
   */
  next (): number {
    let pos = this.#readPos
    if (pos === this.#headCache) {
      // Acquires the writer's publication: every frame (length word, payload, wrap marker)
      // before this kHead was fully written before the writer's store of it. Loaded once
      // per batch of frames, not per frame, so the writer's cache line is not pulled here
      // on every call.
      const head = Atomics.load(this.#i32, kHead)
      if (head === pos || Atomics.load(this.#i32, kState) === RING_FAULTED) return -1
      this.#headCache = head
    }
    let at = pos & this.#mask
    let length = this.#data32[at >> 2]
    if (length === kWrapMarker) {
      pos = (pos + this.capacity - at) | 0
      at = 0
      length = this.#data32[0]
    }
    const end = (pos + frameBytes(length)) | 0
    // A length word that would carry the cursor past what was published is corruption
    // (a bug or a stray write into the buffer): fault rather than hand out garbage.
    if (length < 0 || length > this.maxFrameBytes || ((this.#headCache - end) | 0) < 0) {
      this.fault()
      return -1
    }
    this.#frameLength = length
    this.#readPos = end
    return at + FRAME_PREFIX_BYTES
  }

  /** Releases every frame next() has handed out so far: the writer may reuse their bytes. */
  release (): void {
    this.#publishTail(this.#readPos)
  }

  /**
   * An opaque position: everything next() handed out before this call. Pass it to
   * releaseTo() later to release those frames while keeping the ones read after it.
   */
  mark (): number {
    return this.#readPos
  }

  /** Releases the frames read before `mark` was taken; frames read after it stay valid. */
  releaseTo (mark: number): void {
    // Wrap-aware: tail ≤ mark ≤ read cursor on the 32-bit counter circle.
    if ((mark | 0) !== mark || ((mark - this.#tail) | 0) < 0 || ((this.#readPos - mark) | 0) < 0) throw badMark(mark)
    this.#publishTail(mark)
  }

  /** True when next() would return a frame. */
  hasFrame (): boolean {
    return this.#pollFrames() === POLL_READY
  }

  /**
   * Blocks this thread until a frame is published, spinning briefly first; true when one
   * is, false on timeout, on a fault, or on a close with nothing left. For worker threads:
   * keep timeoutMs bounded, the thread's event loop stalls meanwhile.
   */
  waitSync (timeoutMs: number): boolean {
    return this.#waiter.waitSync(timeoutMs)
  }

  /** Like waitSync without blocking or spinning, for the dispatcher thread. */
  async waitAsync (timeoutMs: number): Promise<boolean> {
    return await this.#waiter.waitAsync(timeoutMs)
  }

  /** Stops reading: the writer's reserve() returns -1 and its waits return false. */
  close (): void {
    closeRing(this.#i32)
  }

  /** This side failed: the writer stops writing and stops waiting. */
  fault (): void {
    faultRing(this.#i32)
  }

  #publishTail (pos: number): void {
    if (pos === this.#tail) return
    this.#tail = pos
    // Publishes the release: the writer that loads this kTail may overwrite every byte
    // before it. Stored only after we are done with those bytes, so the writer cannot
    // scribble over a frame a socket write still holds.
    Atomics.store(this.#i32, kTail, pos)
    wakeIfWaiting(this.#i32, kWriterWaiting)
  }

  #pollFrames (): number {
    if (this.#readPos !== this.#headCache) return POLL_READY
    // State before head: a writer publishes its last frames and then closes, so a CLOSED
    // seen here guarantees the following head load sees those frames. In the other
    // order we could see the old head, then CLOSED, and give up with frames unread.
    const state = Atomics.load(this.#i32, kState)
    if (state === RING_FAULTED) return POLL_GIVE_UP
    const head = Atomics.load(this.#i32, kHead)
    if (head !== this.#readPos) {
      this.#headCache = head
      return POLL_READY
    }
    return state === RING_OPEN ? POLL_NOT_YET : POLL_GIVE_UP
  }
}
