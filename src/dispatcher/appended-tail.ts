/**
 * The batches an append just added to a partition, kept on the dispatcher for the long-polls
 * that append wakes. A parked Fetch would otherwise ask the partition's worker for bytes the
 * dispatcher has in hand: two more thread hops between a produce and its consumers.
 *
 * The copy is made to match the log byte for byte: the worker patches each batch's base offset
 * and leader epoch and nothing else (the CRC does not cover them), unless the topic stamps
 * LogAppendTime, which the caller excludes. Kept only for small appends, and only until the
 * woken polls have read it (the caller drops it on the next turn of the event loop).
 */
import { batchSizeAt, lastOffsetDeltaOf, patchOffsetAndEpoch } from '../protocol/batch-header.js'

/** Larger appends are read from the worker as usual: the tail is for latency, not throughput. */
export const TAIL_MAX_BYTES = 64 * 1024

export interface AppendedTail {
  /** Offset of its first record, and one past its last. */
  readonly baseOffset: number
  readonly endOffset: number
  readonly bytes: Buffer
}

/** A copy of `batches` as the worker stored them from `baseOffset` on, or null when they are too large or not whole. */
export function appendedTail (batches: Uint8Array, baseOffset: number, leaderEpoch: number): AppendedTail | null {
  if (batches.length === 0 || batches.length > TAIL_MAX_BYTES) return null
  const bytes = Buffer.from(batches)
  let offset = baseOffset
  for (let at = 0; at < bytes.length;) {
    const size = batchSizeAt(bytes, at)
    if (size < 0 || at + size > bytes.length) return null
    patchOffsetAndEpoch(bytes, at, offset, leaderEpoch)
    offset += lastOffsetDeltaOf(bytes, at) + 1
    at += size
  }
  return { baseOffset, endOffset: offset, bytes }
}
