/**
 * TxnIndex: the aborted transactions of one partition log, one `.txnindex` file per segment in
 * Kafka's format (TransactionIndex / AbortedTxn), beside the segment whose ABORT marker they
 * record. A read_committed Fetch asks it which aborted transactions overlap the range it serves.
 *
 *   entry (34 bytes, big-endian): version i16 (0) | producerId i64 | firstOffset i64 |
 *                                 lastOffset i64 (the marker) | lastStableOffset i64
 *
 * Thread: the partition log's owner; synchronous. All entries are kept in memory too (they are
 * few: one per aborted transaction per partition), ordered by lastOffset, which is the order
 * markers are appended in. An entry is fsynced as it is written (aborts are rare, and an
 * acknowledged abort must not come back as visible data after a crash).
 *
 * A file that is not a whole run of valid entries is damaged: `load` answers null and the log
 * rebuilds every file by replaying the batch headers (producer-state.ts reports each abort).
 */
import { readInt64, writeInt64 } from '../protocol/batch-header.js'
import type { LogStore } from './store.js'
import { segmentFileName } from './segment.js'

export const TXN_INDEX_SUFFIX = '.txnindex'
export const ABORTED_TXN_BYTES = 34
const VERSION = 0

export interface AbortedTxn {
  readonly producerId: number
  readonly firstOffset: number
  /** Offset of the ABORT marker. */
  readonly lastOffset: number
  /** The partition's last stable offset once the marker was written. */
  readonly lastStableOffset: number
}

export function encodeAbortedTxn (txn: AbortedTxn): Buffer {
  const buf = Buffer.alloc(ABORTED_TXN_BYTES)
  buf.writeInt16BE(VERSION, 0)
  writeInt64(buf, 2, txn.producerId)
  writeInt64(buf, 10, txn.firstOffset)
  writeInt64(buf, 18, txn.lastOffset)
  writeInt64(buf, 26, txn.lastStableOffset)
  return buf
}

/**
 * The entries of one segment's file, or null when damaged: a partial entry, another version,
 * offsets outside [segmentBase, nextOffset) for the marker, or markers out of order.
 */
export function decodeTxnIndex (buf: Uint8Array, segmentBase: number, nextOffset: number): AbortedTxn[] | null {
  if (buf.length % ABORTED_TXN_BYTES !== 0) return null
  const entries: AbortedTxn[] = []
  let previous = -1
  for (let at = 0; at < buf.length; at += ABORTED_TXN_BYTES) {
    if (((buf[at] << 8) | buf[at + 1]) !== VERSION) return null
    const txn = { producerId: readInt64(buf, at + 2), firstOffset: readInt64(buf, at + 10), lastOffset: readInt64(buf, at + 18), lastStableOffset: readInt64(buf, at + 26) }
    if (txn.lastOffset < segmentBase || txn.lastOffset >= nextOffset || txn.lastOffset <= previous || txn.firstOffset > txn.lastOffset || txn.producerId < 0) return null
    previous = txn.lastOffset
    entries.push(txn)
  }
  return entries
}

/** One segment's place in the index: where its entries start in `entries`. */
interface SegmentEntries {
  readonly base: number
  count: number
}

export class TxnIndex {
  readonly #store: LogStore
  /** Every entry, ordered by lastOffset. */
  #entries: AbortedTxn[] = []
  /** Segments with entries, ascending; their counts add up to #entries.length. */
  #segments: SegmentEntries[] = []

  constructor (store: LogStore) {
    this.#store = store
  }

  get size (): number { return this.#entries.length }
  get entries (): readonly AbortedTxn[] { return this.#entries }

  /**
   * Reads the files of `segments` (base and next offset each, ascending). False when one is
   * damaged: the index is then empty and the caller rebuilds it (`reset`, then `append` each abort).
   */
  load (segments: ReadonlyArray<{ baseOffset: number, nextOffset: number }>): boolean {
    this.#entries = []
    this.#segments = []
    for (const s of segments) {
      const bytes = this.#store.readAll(segmentFileName(s.baseOffset, TXN_INDEX_SUFFIX))
      if (bytes === null || bytes.length === 0) continue
      const entries = decodeTxnIndex(bytes, s.baseOffset, s.nextOffset)
      if (entries === null) { this.#entries = []; this.#segments = []; return false }
      this.#segments.push({ base: s.baseOffset, count: entries.length })
      for (const e of entries) this.#entries.push(e)
    }
    return true
  }

  /** Removes every file of `segmentBases` and forgets all entries: the start of a rebuild. */
  reset (segmentBases: readonly number[]): void {
    for (const base of segmentBases) this.#store.remove(segmentFileName(base, TXN_INDEX_SUFFIX))
    this.#entries = []
    this.#segments = []
  }

  /** The newest entry's marker offset, -1 when none. */
  get lastMarkerOffset (): number {
    const n = this.#entries.length
    return n === 0 ? -1 : this.#entries[n - 1].lastOffset
  }

  /**
   * Records an abort whose marker is in the segment based at `segmentBase`: kept in memory
   * first (reads must hide it whatever the disk does), then appended to its file and fsynced.
   * Throws the fs error; the file is then short, and the next open rebuilds it.
   */
  append (segmentBase: number, txn: AbortedTxn): void {
    if (txn.lastOffset <= this.lastMarkerOffset) return // already known (a replay over an index that has it)
    const last = this.#segments[this.#segments.length - 1]
    if (last !== undefined && last.base === segmentBase) last.count++
    else this.#segments.push({ base: segmentBase, count: 1 })
    this.#entries.push(txn)
    const file = this.#store.open(segmentFileName(segmentBase, TXN_INDEX_SUFFIX))
    try {
      const bytes = encodeAbortedTxn(txn)
      const at = file.size - (file.size % ABORTED_TXN_BYTES) // a torn entry is overwritten
      let done = 0
      while (done < bytes.length) done += file.write(bytes, done, bytes.length - done, at + done)
      if (file.size > at + bytes.length) file.truncate(at + bytes.length)
      file.sync()
    } finally {
      file.close()
    }
  }

  /** Forgets the oldest segment's entries and removes its file (retention, DeleteRecords). */
  removeSegment (segmentBase: number): void {
    const first = this.#segments[0]
    if (first !== undefined && first.base === segmentBase) {
      this.#segments.shift()
      this.#entries = this.#entries.slice(first.count)
    }
    this.#store.remove(segmentFileName(segmentBase, TXN_INDEX_SUFFIX))
  }

  /**
   * Forgets the entries whose marker is at or after `endOffset` (the log was truncated there):
   * each affected file is cut back to the entries it keeps, or removed when none is left.
   * Throws the fs error; memory is already trimmed, and the next open rebuilds a file left long.
   */
  truncateFromEnd (endOffset: number): void {
    const cut: Array<{ base: number, keep: number }> = []
    while (this.#entries.length > 0 && this.#entries[this.#entries.length - 1].lastOffset >= endOffset) {
      this.#entries.pop()
      const last = this.#segments[this.#segments.length - 1]
      last.count--
      if (cut.length === 0 || cut[cut.length - 1].base !== last.base) cut.push({ base: last.base, keep: last.count })
      else cut[cut.length - 1].keep = last.count
      if (last.count === 0) this.#segments.pop()
    }
    for (const { base, keep } of cut) {
      const name = segmentFileName(base, TXN_INDEX_SUFFIX)
      if (keep === 0) { this.#store.remove(name); continue }
      const file = this.#store.open(name)
      try {
        file.truncate(keep * ABORTED_TXN_BYTES)
        file.sync()
      } finally {
        file.close()
      }
    }
  }

  /**
   * The aborted transactions a read of [fetchOffset, upperBound) must list, as Kafka's
   * collectAbortedTxns: marker at or after fetchOffset and first offset below upperBound,
   * sorted by first offset. An empty array (shared, never changed) when none.
   */
  collect (fetchOffset: number, upperBound: number): AbortedTxn[] {
    const entries = this.#entries
    if (entries.length === 0 || entries[entries.length - 1].lastOffset < fetchOffset) return NONE
    // Binary search for the first marker at or after fetchOffset.
    let lo = 0
    let hi = entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (entries[mid].lastOffset < fetchOffset) lo = mid + 1; else hi = mid
    }
    const out: AbortedTxn[] = []
    for (let i = lo; i < entries.length; i++) {
      const txn = entries[i]
      if (txn.firstOffset < upperBound) out.push(txn)
      // Every transaction open at this marker starts at or above its LSO, and later ones after it.
      if (txn.lastStableOffset >= upperBound) break
    }
    return out.length === 0 ? NONE : out.sort((a, b) => a.firstOffset - b.firstOffset)
  }
}

const NONE: AbortedTxn[] = []
