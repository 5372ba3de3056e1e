/**
 * ProducerStateTable: what one partition knows about its idempotent producers, so a retried
 * batch is acknowledged instead of appended twice and a gap or a fenced producer is refused.
 *
 * Thread: the partition log's owner; every call is synchronous. Only batch headers are read
 * (producerId, producerEpoch, baseSequence, lastOffsetDelta, maxTimestamp): records are never
 * decoded.
 *
 * Per producer id it keeps the epoch, the last PRODUCER_BATCHES_KEPT batches (first and last
 * sequence, first and last offset, max timestamp) and when it last appended (broker clock: a
 * client's CreateTime may be years old, and must not expire a live producer). The rules are Kafka's
 * (ProducerAppendInfo): an older epoch is InvalidProducerEpoch; a newer epoch must start at
 * sequence 0; a batch equal to a kept one is a duplicate, answered with its original offsets;
 * otherwise the first sequence must follow the last one (int32 wrap). A producer the table does
 * not know (never seen, or expired) may start at any sequence, as Kafka accepts after its
 * records were deleted by retention or DeleteRecords.
 *
 * Transactions: a transactional data batch opens the producer's transaction on this partition
 * (its first offset is kept, `txnFirstOffset`) unless one is open; a COMMIT or ABORT marker
 * (control batch) closes it and takes the marker's epoch, as Kafka's ProducerAppendInfo. A
 * marker for a producer with no open transaction changes nothing but the epoch (a coordinator
 * re-sending markers after a restart). The smallest open first offset bounds the last stable
 * offset; each aborted transaction is reported to `onAbort` (the log's TxnIndex).
 *
 * Persistence: `<20-digit offset>.snapshot` beside the segments holds the table as it was
 * before that offset. It is written at each segment roll and at close; `load` takes the newest
 * snapshot at or below the log end offset and replays batch headers from there, so the table
 * survives a crash (SIGKILL included) as well as a clean stop. Retention and DeleteRecords do
 * not drop producers (the table is kept, and the newest snapshots with it), so a restarted
 * broker never refuses a live producer's next batch because its old batches were deleted.
 */
import {
  ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, baseOffsetOf, batchSizeAt, kAttributes, kBaseOffset, kBaseSequence,
  kBatchLength, kLastOffsetDelta, kMaxTimestamp, kProducerEpoch, kProducerId, readInt64, writeInt64
} from '../protocol/batch-header.js'
import { crc32c } from '../protocol/crc32c.js'
import { ControlType, MARKER_PREFIX_BYTES, markerTypeAt } from '../protocol/control-batch.js'
import { LogStatus } from './errors.js'
import { found, type Segment } from './segment.js'
import type { LogStore } from './store.js'

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: as many as a producer may have in flight. */
export const PRODUCER_BATCHES_KEPT = 5
/** Kafka's producer.id.expiration.ms default: producers idle this long are forgotten at the next snapshot. */
export const PRODUCER_ID_EXPIRATION_MS = 86_400_000
/** `check` found the batch already in the log: answer with `duplicate`'s offsets, append nothing. */
export const DUPLICATE_BATCH = -1
export const SNAPSHOT_SUFFIX = '.snapshot'
/** Snapshots kept: the newest two, so a tail cut by recovery below the newest still finds one. */
const SNAPSHOTS_KEPT = 2
const INT32_MAX = 2147483647

/** Version 2 adds each producer's open transaction; version 1 snapshots still load. */
const SNAPSHOT_VERSION = 2
/** version i16 | crc u32 (CRC-32C of what follows) | count i32 | lastAbortMarker i64 (v2+) */
const SNAPSHOT_HEADER_BYTES = 18
const SNAPSHOT_HEADER_BYTES_V1 = 10
/** producerId i64 | epoch i16 | lastAppendMs i64 | txnFirstOffset i64 (v2+, -1 when none) | batches i8 */
const ENTRY_BYTES = 27
const ENTRY_BYTES_V1 = 19
/** firstSeq i32 | lastSeq i32 | firstOffset i64 | lastOffset i64 | timestamp i64 */
const BATCH_BYTES = 32

// Slots of one kept batch in ProducerEntry.batches.
const kFirstSeq = 0
const kLastSeq = 1
const kFirstOffset = 2
const kLastOffset = 3
const kTimestamp = 4
const SLOTS = 5

/** The sequence `delta` places after `sequence`, wrapping past INT32_MAX to 0 as Kafka does. */
export function addSequence (sequence: number, delta: number): number {
  return sequence > INT32_MAX - delta ? delta - (INT32_MAX - sequence) - 1 : sequence + delta
}

// Header fields through one DataView per call: the append path allocates nothing per batch here.
function viewOf (buf: Uint8Array): DataView { return new DataView(buf.buffer, buf.byteOffset, buf.byteLength) }
function int64At (dv: DataView, at: number): number { return dv.getInt32(at) * 4294967296 + dv.getUint32(at + 4) }
function sizeAt (dv: DataView, at: number): number { return dv.getInt32(at + kBatchLength) + BATCH_LOG_OVERHEAD }
/** The producer id of a control batch (a transaction marker), or -1. */
function markerIdAt (dv: DataView, at: number): number {
  return (dv.getInt16(at + kAttributes) & ATTR_CONTROL) !== 0 ? int64At(dv, at + kProducerId) : -1
}
/** The producer id of an idempotent data batch, or -1 (no producer id, or a control batch). */
function idempotentIdAt (dv: DataView, at: number): number {
  const producerId = int64At(dv, at + kProducerId)
  return producerId >= 0 && (dv.getInt16(at + kAttributes) & ATTR_CONTROL) === 0 ? producerId : -1
}
function lastSeqAt (dv: DataView, at: number): number {
  return addSequence(dv.getInt32(at + kBaseSequence), dv.getInt32(at + kLastOffsetDelta))
}

function inSequence (lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

export function snapshotFileName (offset: number): string {
  return `${String(offset).padStart(20, '0')}${SNAPSHOT_SUFFIX}`
}

const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/

/** One producer id's state; `batches` is a ring of the last kept batches, oldest at `head`. */
class ProducerEntry {
  epoch: number
  count: number
  head: number
  /** Broker time of the last append (or of the replay that found it). */
  lastAppendMs: number
  /** First offset of the producer's open transaction on this partition, -1 when none. */
  txnFirstOffset: number
  readonly batches: Float64Array

  constructor (epoch: number) {
    this.epoch = epoch
    this.count = 0
    this.head = 0
    this.lastAppendMs = -1
    this.txnFirstOffset = -1
    this.batches = new Float64Array(PRODUCER_BATCHES_KEPT * SLOTS)
  }

  /** Slot base of the i-th kept batch, oldest first. */
  at (i: number): number { return ((this.head + i) % PRODUCER_BATCHES_KEPT) * SLOTS }

  get lastSeq (): number { return this.batches[this.at(this.count - 1) + kLastSeq] }

  add (epoch: number, firstSeq: number, lastSeq: number, firstOffset: number, lastOffset: number, timestamp: number, nowMs: number): void {
    if (epoch !== this.epoch) { this.epoch = epoch; this.count = 0; this.head = 0 }
    let slot: number
    if (this.count < PRODUCER_BATCHES_KEPT) {
      slot = this.at(this.count)
      this.count++
    } else {
      slot = this.head * SLOTS
      this.head = (this.head + 1) % PRODUCER_BATCHES_KEPT
    }
    const b = this.batches
    b[slot + kFirstSeq] = firstSeq
    b[slot + kLastSeq] = lastSeq
    b[slot + kFirstOffset] = firstOffset
    b[slot + kLastOffset] = lastOffset
    b[slot + kTimestamp] = timestamp
    this.lastAppendMs = nowMs
  }

  /** Slot base of the kept batch with exactly these sequences, or -1. */
  find (firstSeq: number, lastSeq: number): number {
    const b = this.batches
    for (let i = 0; i < this.count; i++) {
      const slot = this.at(i)
      if (b[slot + kFirstSeq] === firstSeq && b[slot + kLastSeq] === lastSeq) return slot
    }
    return -1
  }
}

/** What the last DUPLICATE_BATCH answer refers to. */
export interface DuplicateBatch {
  firstOffset: number
  lastOffset: number
  timestamp: number
}

/**
 * Told of each aborted transaction as its marker is applied (append and replay alike), with
 * the last stable offset just after the marker.
 */
export type AbortListener = (producerId: number, firstOffset: number, markerOffset: number, lastStableOffset: number) => void

export class ProducerStateTable {
  readonly #entries = new Map<number, ProducerEntry>()
  /** Producers with an open transaction here → its first offset. */
  readonly #openTxns = new Map<number, number>()
  #onAbort: AbortListener | null = null
  /** Cached min of #openTxns, -1 when none; NaN when it must be recomputed. */
  #firstUnstable = -1
  /** Offset of the newest ABORT marker applied (kept in snapshots), -1 when none. */
  #lastAbortMarker = -1
  /** Offset of the newest snapshot written or loaded, -1 when none. */
  #snapshotOffset = -1
  /** Set by `check` when it answers DUPLICATE_BATCH; reused, never reallocated. */
  readonly duplicate: DuplicateBatch = { firstOffset: -1, lastOffset: -1, timestamp: -1 }

  get size (): number { return this.#entries.size }

  /** The largest producer id in the table, -1 when empty: ids the coordinator must never give again. */
  get largestProducerId (): number {
    let largest = -1
    for (const id of this.#entries.keys()) if (id > largest) largest = id
    return largest
  }

  /** Test and tooling view of one producer: its epoch and last sequence, or null when unknown. */
  describe (producerId: number): { epoch: number, lastSeq: number, batches: number } | null {
    const e = this.#entries.get(producerId)
    return e === undefined ? null : { epoch: e.epoch, lastSeq: e.count > 0 ? e.lastSeq : -1, batches: e.count }
  }

  /** First offset of the producer's open transaction here, -1 when none (or unknown producer). */
  openTransactionOf (producerId: number): number {
    return this.#entries.get(producerId)?.txnFirstOffset ?? -1
  }

  set onAbort (listener: AbortListener | null) { this.#onAbort = listener }

  /** The first offset of the oldest open transaction, -1 when none is open: the LSO's bound. */
  get firstUnstableOffset (): number {
    if (!Number.isNaN(this.#firstUnstable)) return this.#firstUnstable
    let first = -1
    for (const offset of this.#openTxns.values()) if (first < 0 || offset < first) first = offset
    this.#firstUnstable = first
    return first
  }

  /** Offset of the newest ABORT marker this table has seen, -1 when none: the TxnIndex must know it too. */
  get lastAbortMarker (): number { return this.#lastAbortMarker }

  /** Open transactions: how many producers have one here. */
  get openTransactions (): number { return this.#openTxns.size }

  /**
   * Whether a marker of `producerEpoch` may be written for `producerId`: Ok, or
   * InvalidProducerEpoch when the producer is known here with a newer epoch (Kafka's checkProducerEpoch).
   */
  checkMarker (producerId: number, producerEpoch: number): number {
    const entry = this.#entries.get(producerId)
    return entry !== undefined && producerEpoch < entry.epoch ? LogStatus.InvalidProducerEpoch : LogStatus.Ok
  }

  // --- append path

  /**
   * Checks every idempotent batch in `records` (whole, already validated batches) against the
   * table and against the batches before it in the same append. Returns LogStatus.Ok,
   * OutOfOrderSequence, InvalidProducerEpoch, or DUPLICATE_BATCH (see `duplicate`). Changes
   * nothing: `commit` applies the batches once they are in the log.
   */
  check (records: Uint8Array): number {
    const dv = viewOf(records)
    const length = records.length
    let position = 0
    while (position < length) {
      const producerId = idempotentIdAt(dv, position)
      if (producerId >= 0) {
        const status = this.#checkBatch(dv, position, producerId)
        if (status !== LogStatus.Ok) return status
      }
      position += sizeAt(dv, position)
    }
    return LogStatus.Ok
  }

  #checkBatch (dv: DataView, position: number, producerId: number): number {
    const epoch = dv.getInt16(position + kProducerEpoch)
    const firstSeq = dv.getInt32(position + kBaseSequence)
    const lastSeq = lastSeqAt(dv, position)
    const entry = this.#entries.get(producerId)
    // An earlier batch of the same producer in this append comes first (rare: Kafka clients
    // send one batch per partition; only library callers may send several).
    let knownEpoch = entry === undefined ? -1 : entry.epoch
    let knownLastSeq = entry === undefined || entry.count === 0 ? -1 : entry.lastSeq
    let known = entry !== undefined
    for (let p = 0; p < position; p += sizeAt(dv, p)) {
      if (idempotentIdAt(dv, p) === producerId) {
        known = true
        knownEpoch = dv.getInt16(p + kProducerEpoch)
        knownLastSeq = lastSeqAt(dv, p)
      }
    }
    if (!known) return LogStatus.Ok
    if (epoch < knownEpoch) return LogStatus.InvalidProducerEpoch
    if (entry !== undefined && epoch === entry.epoch) {
      const slot = entry.find(firstSeq, lastSeq)
      if (slot >= 0) {
        const d = this.duplicate
        d.firstOffset = entry.batches[slot + kFirstOffset]
        d.lastOffset = entry.batches[slot + kLastOffset]
        d.timestamp = entry.batches[slot + kTimestamp]
        return DUPLICATE_BATCH
      }
    }
    if (epoch !== knownEpoch) return firstSeq === 0 ? LogStatus.Ok : LogStatus.OutOfOrderSequence
    // Same epoch without a kept batch (a snapshot of an epoch bump): any sequence goes.
    if (knownLastSeq < 0 && (entry === undefined || entry.count === 0)) return LogStatus.Ok
    return inSequence(knownLastSeq, firstSeq) ? LogStatus.Ok : LogStatus.OutOfOrderSequence
  }

  /** Records the idempotent batches and markers of `records`, whose headers now carry their offsets. */
  commit (records: Uint8Array, nowMs: number): void {
    const dv = viewOf(records)
    const length = records.length
    for (let position = 0; position < length; position += sizeAt(dv, position)) this.#apply(records, dv, position, nowMs)
  }

  /** `buf` holds the batch at `at` whole, or at least its first MARKER_PREFIX_BYTES. */
  #apply (buf: Uint8Array, dv: DataView, at: number, nowMs: number): void {
    const producerId = idempotentIdAt(dv, at)
    if (producerId < 0) {
      const markerId = markerIdAt(dv, at)
      if (markerId >= 0) this.#applyMarker(buf, dv, at, markerId, nowMs)
      return
    }
    const epoch = dv.getInt16(at + kProducerEpoch)
    const delta = dv.getInt32(at + kLastOffsetDelta)
    const firstSeq = dv.getInt32(at + kBaseSequence)
    const firstOffset = int64At(dv, at + kBaseOffset)
    let entry = this.#entries.get(producerId)
    if (entry === undefined) {
      entry = new ProducerEntry(epoch)
      this.#entries.set(producerId, entry)
    } else if (epoch < entry.epoch) {
      return // replaying a fenced producer's batch: it never was the newest
    }
    entry.add(epoch, firstSeq, addSequence(firstSeq, delta), firstOffset, firstOffset + delta, int64At(dv, at + kMaxTimestamp), nowMs)
    if (entry.txnFirstOffset < 0 && (dv.getInt16(at + kAttributes) & ATTR_TRANSACTIONAL) !== 0) {
      entry.txnFirstOffset = firstOffset
      this.#openTxns.set(producerId, firstOffset)
      if (this.#firstUnstable < 0) this.#firstUnstable = firstOffset // later opens start higher
    }
  }

  /** A COMMIT or ABORT marker: ends the producer's open transaction here, if any, and takes its epoch. */
  #applyMarker (buf: Uint8Array, dv: DataView, at: number, producerId: number, nowMs: number): void {
    const type = markerTypeAt(buf, at)
    if (type < 0) return // another control type: nothing to do with transactions
    const epoch = dv.getInt16(at + kProducerEpoch)
    let entry = this.#entries.get(producerId)
    if (entry === undefined) {
      entry = new ProducerEntry(epoch)
      this.#entries.set(producerId, entry)
    } else if (epoch > entry.epoch) {
      // A new epoch starts with sequence 0: the old epoch's batches say nothing about it.
      entry.epoch = epoch
      entry.count = 0
      entry.head = 0
    }
    entry.lastAppendMs = nowMs
    const first = entry.txnFirstOffset
    if (first < 0) return
    entry.txnFirstOffset = -1
    this.#openTxns.delete(producerId)
    this.#firstUnstable = NaN
    if (type !== ControlType.Abort) return
    const marker = int64At(dv, at + kBaseOffset)
    this.#lastAbortMarker = marker
    const open = this.firstUnstableOffset
    if (this.#onAbort !== null) this.#onAbort(producerId, first, marker, open < 0 ? marker + 1 : Math.min(open, marker + 1))
  }

  /** Forgets producers that last appended `expirationMs` or more before `now`. */
  expire (now: number, expirationMs = PRODUCER_ID_EXPIRATION_MS): number {
    let removed = 0
    for (const [id, entry] of this.#entries) {
      // As Kafka: a producer with an open transaction is never forgotten (its LSO bound would go).
      if (entry.txnFirstOffset < 0 && now - entry.lastAppendMs >= expirationMs) { this.#entries.delete(id); removed++ }
    }
    return removed
  }

  // --- snapshots

  /**
   * Writes the table as `<offset>.snapshot` (atomically, fsynced) unless that snapshot exists
   * already, expiring idle producers first, and removes all but the newest SNAPSHOTS_KEPT.
   */
  writeSnapshot (store: LogStore, offset: number, now: number): void {
    if (offset === this.#snapshotOffset && store.exists(snapshotFileName(offset))) return
    this.expire(now)
    store.writeAtomic(snapshotFileName(offset), this.encode())
    this.#snapshotOffset = offset
    const offsets = snapshotOffsets(store)
    for (let i = 0; i < offsets.length - SNAPSHOTS_KEPT; i++) store.remove(snapshotFileName(offsets[i]))
  }

  encode (): Buffer {
    let bytes = SNAPSHOT_HEADER_BYTES
    for (const entry of this.#entries.values()) bytes += ENTRY_BYTES + entry.count * BATCH_BYTES
    const buf = Buffer.alloc(bytes)
    buf.writeInt16BE(SNAPSHOT_VERSION, 0)
    buf.writeInt32BE(this.#entries.size, 6)
    writeInt64(buf, 10, this.#lastAbortMarker)
    let at = SNAPSHOT_HEADER_BYTES
    for (const [id, entry] of this.#entries) {
      writeInt64(buf, at, id)
      buf.writeInt16BE(entry.epoch, at + 8)
      writeInt64(buf, at + 10, entry.lastAppendMs)
      writeInt64(buf, at + 18, entry.txnFirstOffset)
      buf.writeInt8(entry.count, at + 26)
      at += ENTRY_BYTES
      const b = entry.batches
      for (let i = 0; i < entry.count; i++) {
        const slot = entry.at(i)
        buf.writeInt32BE(b[slot + kFirstSeq], at)
        buf.writeInt32BE(b[slot + kLastSeq], at + 4)
        writeInt64(buf, at + 8, b[slot + kFirstOffset])
        writeInt64(buf, at + 16, b[slot + kLastOffset])
        writeInt64(buf, at + 24, b[slot + kTimestamp])
        at += BATCH_BYTES
      }
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)), 2)
    return buf
  }

  /** The table a snapshot holds, or null when the bytes are not a whole, valid snapshot. */
  static decode (buf: Buffer): ProducerStateTable | null {
    if (buf.length < SNAPSHOT_HEADER_BYTES_V1) return null
    const version = buf.readInt16BE(0)
    if (version !== 1 && buf.length < SNAPSHOT_HEADER_BYTES) return null
    if (version !== SNAPSHOT_VERSION && version !== 1) return null
    if (crc32c(buf.subarray(6)) !== buf.readUInt32BE(2)) return null
    const entryBytes = version === 1 ? ENTRY_BYTES_V1 : ENTRY_BYTES
    const table = new ProducerStateTable()
    const count = buf.readInt32BE(6)
    if (version !== 1) table.#lastAbortMarker = readInt64(buf, 10)
    let at = version === 1 ? SNAPSHOT_HEADER_BYTES_V1 : SNAPSHOT_HEADER_BYTES
    for (let n = 0; n < count; n++) {
      if (at + entryBytes > buf.length) return null
      const id = readInt64(buf, at)
      const entry = new ProducerEntry(buf.readInt16BE(at + 8))
      const lastAppendMs = readInt64(buf, at + 10)
      const txnFirstOffset = version === 1 ? -1 : readInt64(buf, at + 18)
      const batches = buf.readInt8(at + entryBytes - 1)
      at += entryBytes
      if (batches < 0 || batches > PRODUCER_BATCHES_KEPT || at + batches * BATCH_BYTES > buf.length) return null
      for (let i = 0; i < batches; i++) {
        entry.add(entry.epoch, buf.readInt32BE(at), buf.readInt32BE(at + 4), readInt64(buf, at + 8), readInt64(buf, at + 16), readInt64(buf, at + 24), lastAppendMs)
        at += BATCH_BYTES
      }
      entry.lastAppendMs = lastAppendMs
      entry.txnFirstOffset = txnFirstOffset
      if (txnFirstOffset >= 0) { table.#openTxns.set(id, txnFirstOffset); table.#firstUnstable = NaN }
      table.#entries.set(id, entry)
    }
    return at === buf.length ? table : null
  }

  /**
   * Rebuilds the table of a log: removes snapshots beyond `logEndOffset` (a tail recovery cut),
   * loads the newest readable one, then replays the batch headers of `segments` from its
   * offset (or from the first segment without one) up to the end. With `ignoreSnapshots` it
   * replays the whole log (a rebuild of the aborted-transaction index). `onAbort` hears each
   * aborted transaction the replay completes.
   */
  static load (store: LogStore, segments: readonly Segment[], logEndOffset: number, nowMs: number, onAbort: AbortListener | null = null, ignoreSnapshots = false): ProducerStateTable {
    let table: ProducerStateTable | null = null
    let from = -1
    const offsets = ignoreSnapshots ? [] : snapshotOffsets(store)
    for (let i = offsets.length - 1; i >= 0; i--) {
      const offset = offsets[i]
      const name = snapshotFileName(offset)
      if (offset > logEndOffset || table !== null) {
        if (offset > logEndOffset) store.remove(name)
        continue
      }
      const bytes = store.readAll(name)
      table = bytes === null ? null : ProducerStateTable.decode(bytes)
      if (table === null) { store.remove(name); continue }
      table.#snapshotOffset = offset
      from = offset
    }
    table ??= new ProducerStateTable()
    table.#onAbort = onAbort
    if (from < logEndOffset) table.#replay(segments, from, nowMs)
    return table
  }

  #replay (segments: readonly Segment[], from: number, nowMs: number): void {
    // A batch header and, for a marker, the start of its record (its type).
    const header = Buffer.alloc(MARKER_PREFIX_BYTES)
    const dv = viewOf(header)
    for (const segment of segments) {
      if (segment.nextOffset <= from) continue
      let position = 0
      if (segment.baseOffset < from) {
        if (!segment.locate(from)) continue
        position = found.position
      }
      while (position + BATCH_HEADER_BYTES <= segment.size) {
        const n = segment.log.read(header, 0, MARKER_PREFIX_BYTES, position)
        if (n < BATCH_HEADER_BYTES) break
        if (n < MARKER_PREFIX_BYTES) header.fill(0, n)
        const size = batchSizeAt(header, 0)
        if (size < 0) break
        if (baseOffsetOf(header, 0) >= from) this.#apply(header, dv, 0, nowMs)
        position += size
      }
    }
  }
}

/** Offsets of the snapshots in `store`, ascending. */
export function snapshotOffsets (store: LogStore): number[] {
  const offsets: number[] = []
  for (const name of store.list()) {
    const match = SNAPSHOT_NAME.exec(name)
    if (match !== null) offsets.push(Number(match[1]))
  }
  return offsets.sort((a, b) => a - b)
}
