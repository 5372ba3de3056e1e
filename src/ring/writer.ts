/**
 * The producing end of a ring. One RingWriter per ring, on one thread (a worker answering
 * the dispatcher, or the dispatcher sending requests). It owns kHead and the bytes between
 * kHead and kTail + capacity; it never blocks unless asked to with waitForSpaceSync.
 *
 *   const at = writer.reserve(n)        // -1: full (backpressure) or not open
 *   writer.bytes.set(payload, at)       // or write fewer bytes in place
 *   writer.commit(written)              // publish; wakes the reader only if it sleeps
 *   writer.commit(written, false) … writer.flush()   // a burst, published once
 *
 * Nothing here allocates per frame.
 */
import { badFrameLength, nothingReserved } from './errors.js'
import {
  FRAME_PREFIX_BYTES, HEADER_BYTES, HEADER_SLOTS, RING_OPEN, frameBytes, kHead, kReaderWaiting, kState,
  kTail, kWrapMarker, kWriterWaiting, maxFrameBytesFor, ringCapacity, type RingState
} from './layout.js'
import { closeRing, faultRing, loadState } from './state.js'
import { POLL_GIVE_UP, POLL_NOT_YET, POLL_READY, Waiter, checkSpinCount, spinCountFromEnv, wakeIfWaiting } from './wait.js'

export interface RingEndOptions {
  /** Polls before a blocking waitSync; default DEFAULT_SPIN_COUNT or MILLRACE_RING_SPIN. */
  spinCount?: number
}

export class RingWriter {
  /** The data region. Offsets from reserve() index into it. */
  readonly bytes: Uint8Array
  readonly capacity: number
  readonly maxFrameBytes: number

  readonly #i32: Int32Array
  readonly #data32: Int32Array
  readonly #mask: number
  /** Bytes committed so far (a wrapping 32-bit counter); runs ahead of kHead until flush(). */
  #head: number
  /** The value we last stored in kHead. */
  #published: number
  /** Last kTail we loaded; refreshed only when the cached value says the frame will not fit. */
  #tailCache: number
  /** Byte offset of the reserved frame's length word, or -1 when nothing is reserved. */
  #reservedAt: number
  /** Bytes skipped by the wrap marker in front of the reserved frame (0 when no wrap). */
  #reservedSkip: number
  #reservedLength: number
  /** The length a pending waitForSpace asks room for. */
  #waitLength: number
  readonly #waiter: Waiter

  constructor (sab: SharedArrayBuffer, options: RingEndOptions = {}) {
    const capacity = ringCapacity(sab)
    this.bytes = new Uint8Array(sab, HEADER_BYTES, capacity)
    this.capacity = capacity
    this.maxFrameBytes = maxFrameBytesFor(capacity)
    this.#i32 = new Int32Array(sab, 0, HEADER_SLOTS)
    this.#data32 = new Int32Array(sab, HEADER_BYTES, capacity >> 2)
    this.#mask = capacity - 1
    // kHead is ours; kTail may have moved already if the ring was used before.
    this.#head = Atomics.load(this.#i32, kHead)
    this.#published = this.#head
    this.#tailCache = Atomics.load(this.#i32, kTail)
    this.#reservedAt = -1
    this.#reservedSkip = 0
    this.#reservedLength = 0
    this.#waitLength = 0
    const spinCount = options.spinCount === undefined ? spinCountFromEnv() : checkSpinCount(options.spinCount)
    this.#waiter = new Waiter(this.#i32, kWriterWaiting, () => this.#pollSpace(), spinCount)
  }

  get state (): RingState {
    return loadState(this.#i32)
  }

  /**
   * Reserves room for a frame of `length` payload bytes and returns the payload's offset in
   * `bytes`, or -1 when the ring is full (backpressure: wait with waitForSpace and retry,
   * never queue) or no longer open (see `state`). A second reserve before commit replaces
   * the first. Throws only on a length outside 0..maxFrameBytes.
   */
  reserve (length: number): number {
    if ((length >>> 0) !== length || length > this.maxFrameBytes) throw badFrameLength('ring reserve(length)', length, this.maxFrameBytes)
    // The reader may have closed or faulted the ring; a plain load on x86, cheap per frame.
    if (Atomics.load(this.#i32, kState) !== RING_OPEN) return -1
    const head = this.#head
    const capacity = this.capacity
    const at = head & this.#mask
    const total = frameBytes(length)
    const room = capacity - at
    const skip = total > room ? room : 0
    const need = skip + total
    if (capacity - ((head - this.#tailCache) | 0) < need) {
      // Acquires the reader's release: every byte before kTail is no longer read, so we
      // may overwrite it. Loaded only when the stale copy says "full".
      this.#tailCache = Atomics.load(this.#i32, kTail)
      if (capacity - ((head - this.#tailCache) | 0) < need) return -1
    }
    let frameAt = at
    if (skip !== 0) {
      // Not visible yet: it is published together with the frame by commit's kHead store.
      this.#data32[at >> 2] = kWrapMarker
      frameAt = 0
    }
    this.#reservedAt = frameAt
    this.#reservedSkip = skip
    this.#reservedLength = length
    return frameAt + FRAME_PREFIX_BYTES
  }

  /**
   * Commits the reserved frame, optionally shrunk to `length` ≤ the reserved length (a
   * fetch reserves its maximum and writes fewer bytes), and publishes it with every frame
   * committed before it. The reader is woken only when it announced a sleep, so a busy
   * stream pays one store and one load per frame.
   *
   * With `publish` false the frame is committed but stays invisible until a later
   * commit() or flush(): a writer that produces a burst of frames publishes once at the
   * end of the burst, and the reader's cache line holding kHead moves once per burst
   * instead of once per frame.
   */
  commit (length: number = this.#reservedLength, publish = true): void {
    const frameAt = this.#reservedAt
    if (frameAt < 0) throw nothingReserved()
    if ((length >>> 0) !== length || length > this.#reservedLength) throw badFrameLength('ring commit(length)', length, this.#reservedLength)
    this.#data32[frameAt >> 2] = length
    this.#head = (this.#head + this.#reservedSkip + frameBytes(length)) | 0
    this.#reservedAt = -1
    if (publish) this.flush()
  }

  /** Publishes every committed frame (a no-op when there is none) and wakes a sleeping reader. */
  flush (): void {
    const head = this.#head
    if (head === this.#published) return
    this.#published = head
    // Publishes the frames (length words, payloads, wrap markers) up to head: a reader that
    // loads this kHead sees all of their bytes. Without it the reader could read a length
    // word or payload bytes still being written.
    Atomics.store(this.#i32, kHead, head)
    wakeIfWaiting(this.#i32, kReaderWaiting)
  }

  /** Frames committed but not yet published, in bytes. */
  get unpublishedBytes (): number {
    return (this.#head - this.#published) | 0
  }

  /** True when a frame of `length` bytes would fit now. */
  hasSpace (length: number): boolean {
    this.#waitLength = length
    return this.#pollSpace() === POLL_READY
  }

  /** Resolves true once a frame of `length` bytes fits, false on timeout, close or fault. For the dispatcher. */
  async waitForSpace (length: number, timeoutMs: number): Promise<boolean> {
    if ((length >>> 0) !== length || length > this.maxFrameBytes) throw badFrameLength('ring waitForSpace(length)', length, this.maxFrameBytes)
    this.#waitLength = length
    // The reader cannot make room from frames it cannot see.
    this.flush()
    return await this.#waiter.waitAsync(timeoutMs)
  }

  /** Blocks (spinning briefly first) until a frame of `length` bytes fits; false on timeout, close or fault. For workers. */
  waitForSpaceSync (length: number, timeoutMs: number): boolean {
    if ((length >>> 0) !== length || length > this.maxFrameBytes) throw badFrameLength('ring waitForSpaceSync(length)', length, this.maxFrameBytes)
    this.#waitLength = length
    this.flush()
    return this.#waiter.waitSync(timeoutMs)
  }

  /** No more frames: publishes what was committed; the reader drains it, then sees RING_CLOSED. */
  close (): void {
    this.#reservedAt = -1
    this.flush()
    closeRing(this.#i32)
  }

  /** This side failed: the reader stops taking frames and stops waiting. */
  fault (): void {
    this.#reservedAt = -1
    faultRing(this.#i32)
  }

  #pollSpace (): number {
    // State first: once closed or faulted, room is irrelevant.
    if (Atomics.load(this.#i32, kState) !== RING_OPEN) return POLL_GIVE_UP
    const head = this.#head
    const at = head & this.#mask
    const total = frameBytes(this.#waitLength)
    const room = this.capacity - at
    const need = (total > room ? room : 0) + total
    // Same acquire of the reader's release as in reserve().
    this.#tailCache = Atomics.load(this.#i32, kTail)
    return this.capacity - ((head - this.#tailCache) | 0) >= need ? POLL_READY : POLL_NOT_YET
  }
}
