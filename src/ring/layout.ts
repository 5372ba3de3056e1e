/**
 * Shared-memory layout of one single-producer single-consumer ring of variable-length
 * frames. Every slot name and offset lives here; writer.ts and reader.ts only use them.
 *
 * One SharedArrayBuffer = a 256-byte header of Int32 slots, then the data region.
 * Each header word that changes often sits on its own 64-byte cache line, so the writer's
 * stores to kHead do not evict the line the writer reads kTail from, and vice versa.
 *
 *   byte 0          64              128                       192                 256
 *   ┌───────────────┬───────────────┬─────────────────────────┬───────────────────┐
 *   │ kHead         │ kTail         │ kState kCapacity kMagic │ kReaderWaiting    │
 *   │ written only  │ written only  │ (state: either side,    │ kWriterWaiting    │
 *   │ by the writer │ by the reader │  the rest set once)     │ (waiter flags)    │
 *   └───────────────┴───────────────┴─────────────────────────┴───────────────────┘
 *   ┌──────────────────────────── data region: capacity bytes ──────────────────────┐
 *   │ frame │ frame │ frame │ ...                      │ wrap marker, skipped bytes │
 *   └───────────────────────────────────────────────────────────────────────────────┘
 *
 * A frame starts on an 8-byte boundary:
 *
 *   ┌────────────────┬──────────────────────────────┬──────────────────┐
 *   │ length (Int32) │ payload: `length` bytes      │ padding to 8     │
 *   └────────────────┴──────────────────────────────┴──────────────────┘
 *
 * When a frame does not fit between its position and the end of the data region, the
 * writer puts kWrapMarker (-1) where the length would go and writes the frame at 0. The
 * marker and the frame are published by one store of kHead, so a reader never sees a
 * marker without the frame behind it.
 *
 * Counters. kHead (bytes published) and kTail (bytes released) are free-running 32-bit
 * byte counters that wrap at 2^32. A position in the data region is `counter & (capacity - 1)`,
 * which stays right across the wrap because the capacity is a power of two dividing 2^32.
 * Bytes in use are `(head - tail) | 0`, exact while capacity ≤ 2^30, hence MAX_RING_BYTES.
 * Counters (rather than positions) tell a full ring from an empty one without a spare slot.
 */
import { invalidOption } from '../errors.js'

/** Byte counter of frames the writer has published. Written only by the writer. */
export const kHead = 0
/** Byte counter of frames the reader has released. Written only by the reader. */
export const kTail = 16
/** RING_OPEN, RING_CLOSED or RING_FAULTED. Either side may close or fault the ring. */
export const kState = 32
/** Data-region size in bytes, set once by createRing. */
export const kCapacity = 33
/** kRingMagic, set once by createRing, so a stray SharedArrayBuffer is refused. */
export const kMagic = 34
/** 1 while the reader is about to sleep or sleeping on this slot; the writer clears it and notifies. */
export const kReaderWaiting = 48
/** 1 while the writer is about to sleep or sleeping on this slot; the reader clears it and notifies. */
export const kWriterWaiting = 49

export const HEADER_BYTES = 256
export const HEADER_SLOTS = HEADER_BYTES / 4

export const RING_OPEN = 0
/** No more frames will be written (or read). A reader still drains what was published. */
export const RING_CLOSED = 1
/** One side failed. Both sides stop: no more frames are handed out, waits return false. */
export const RING_FAULTED = 2

export type RingState = typeof RING_OPEN | typeof RING_CLOSED | typeof RING_FAULTED

/** The length word that sends the reader back to offset 0 of the data region. */
export const kWrapMarker = -1
/** The length prefix of each frame. */
export const FRAME_PREFIX_BYTES = 4
export const FRAME_ALIGN_BYTES = 8

export const kRingMagic = 0x4d52_5231 // "MRR1"

export const MIN_RING_BYTES = 64 * 1024
export const MAX_RING_BYTES = 2 ** 30

// Every slot above is an Int32. The ring relies on Atomics over 4-byte words being
// lock-free (the writer never takes a lock the reader could hold across a wait).
if (!Atomics.isLockFree(4)) throw new Error('millrace ring: Atomics on 4-byte words are not lock-free on this platform')

/** Bytes a frame of `length` payload bytes occupies in the data region, padding included. */
export function frameBytes (length: number): number {
  return (length + FRAME_PREFIX_BYTES + FRAME_ALIGN_BYTES - 1) & ~(FRAME_ALIGN_BYTES - 1)
}

export function isValidCapacity (capacityBytes: number): boolean {
  return Number.isInteger(capacityBytes) &&
    capacityBytes >= MIN_RING_BYTES &&
    capacityBytes <= MAX_RING_BYTES &&
    (capacityBytes & (capacityBytes - 1)) === 0
}

/**
 * A fresh, open, empty ring whose data region holds `capacityBytes` bytes. The buffer is
 * HEADER_BYTES larger than that. Hand the same buffer to one RingWriter and one RingReader,
 * on the same thread or on two.
 */
export function createRing (capacityBytes: number): SharedArrayBuffer {
  if (!isValidCapacity(capacityBytes)) {
    throw invalidOption('ring capacityBytes', `must be a power of two between ${MIN_RING_BYTES} and ${MAX_RING_BYTES} (got ${String(capacityBytes)})`)
  }
  const sab = new SharedArrayBuffer(HEADER_BYTES + capacityBytes)
  const i32 = new Int32Array(sab, 0, HEADER_SLOTS)
  i32[kCapacity] = capacityBytes
  i32[kState] = RING_OPEN
  // Set last: a buffer whose magic is visible was fully initialised. The buffer reaches the
  // other thread through postMessage/workerData, which already orders these writes.
  Atomics.store(i32, kMagic, kRingMagic)
  return sab
}

/** The data-region size of a ring made by createRing; throws on any other buffer. */
export function ringCapacity (sab: SharedArrayBuffer): number {
  if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < HEADER_BYTES + MIN_RING_BYTES) {
    throw invalidOption('ring buffer', 'must be a SharedArrayBuffer made by createRing')
  }
  const i32 = new Int32Array(sab, 0, HEADER_SLOTS)
  const capacity = Atomics.load(i32, kCapacity)
  if (Atomics.load(i32, kMagic) !== kRingMagic || !isValidCapacity(capacity) || sab.byteLength !== HEADER_BYTES + capacity) {
    throw invalidOption('ring buffer', 'must be a SharedArrayBuffer made by createRing')
  }
  return capacity
}

/**
 * Bytes published and not yet released (frames, padding and wrap markers), for monitoring from
 * any thread: head and tail are read with two loads, so the figure is a moment's estimate.
 */
export function ringUsedBytes (sab: SharedArrayBuffer): number {
  const i32 = new Int32Array(sab, 0, HEADER_SLOTS)
  // The tail may move between the two loads (past the head read first): clamp to [0, capacity].
  const used = (Atomics.load(i32, kHead) - Atomics.load(i32, kTail)) | 0
  return Math.max(0, Math.min(used, Atomics.load(i32, kCapacity)))
}

/**
 * The largest payload one frame may carry: half the data region less the length prefix.
 * Half, so that an empty ring always accepts a largest frame even after a wrap marker
 * wastes the bytes up to the end of the region.
 */
export function maxFrameBytes (sab: SharedArrayBuffer): number {
  return maxFrameBytesFor(ringCapacity(sab))
}

export function maxFrameBytesFor (capacityBytes: number): number {
  return capacityBytes / 2 - FRAME_PREFIX_BYTES
}
