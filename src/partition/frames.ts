/**
 * The frames partition actors exchange with the dispatcher over the rings. Fixed-position
 * little-endian fields in the ring's own memory (host-only, never on a wire); record batches
 * follow the header as raw bytes. Offsets and timestamps are f64 (exact below 2^53).
 *
 *  request (dispatcher → worker), REQUEST_HEADER_BYTES = 32, then payload
 *  ┌──────┬───────┬──────────┬───────────┬────────────┬──────────┬──────────┐
 *  │0 type│1 flags│4 requestId│8 partition│12 i32 arg  │16 f64 a  │24 f64 b  │
 *  └──────┴───────┴──────────┴───────────┴────────────┴──────────┴──────────┘
 *    append:         arg = leader epoch (kLeaderEpoch), payload = record batches,
 *                    flags = APPEND_RETURN_STORED: answer with the batches as stored
 *    fetch:          arg = max bytes (kMaxBytes), a = fetch offset (kFetchOffset),
 *                    b = isolation (kIsolation: 0 uncommitted, 1 committed, 2 replica: up to
 *                    the log end offset, for a follower's copy)
 *    list-offset:    a = timestamp (kListTimestamp: -1 latest, -2 earliest, -3 max timestamp),
 *                    b = isolation (kIsolation)
 *    delete-records: a = offset (kDeleteBefore; -1 = high watermark)
 *    txn-marker:     flags = 1 commit / 0 abort, arg = producer epoch (kProducerEpoch),
 *                    a = producer id (kProducerId), b = coordinator epoch (kCoordinatorEpoch)
 *    replica-append: arg = leader epoch (kLeaderEpoch), payload = the leader's batches, offsets
 *                    and epochs kept
 *    high-watermark: a = the new high watermark (kNewHighWatermark; replicated leaders only
 *                    move it when told)
 *
 *  response (worker → dispatcher), RESPONSE_HEADER_BYTES = 64, then payload
 *  ┌──────┬────────┬───────────┬───────────┬────────┬─────────┬───────────┬────────┬─────────┬────────────┐
 *  │0 type│2 status│4 requestId│8 partition│16 f64 a│24 f64 hw│32 f64 start│40 f64 b│48 f64 leo│56 f64 stable│
 *  └──────┴────────┴───────────┴───────────┴────────┴─────────┴───────────┴────────┴─────────┴────────────┘
 *    append:       a = base offset (kRespBaseOffset), b = log append time (kRespLogAppendTime,
 *                  -1 unless LogAppendTime); payload: a refused batch's reason, when the log
 *                  gave one (AppendFault below), or, when the request asked for them
 *                  (APPEND_RETURN_STORED) and the append was fresh, the batches as the log
 *                  stored them (offsets, leader epoch, LogAppendTime and CRC patched)
 *    fetch:        b = aborted transactions n (kRespAbortedCount, read_committed);
 *                  payload = whole batches, then n × (f64 producer id, f64 first offset)
 *    list-offset:  a = offset (kRespFoundOffset), b = timestamp (kRespFoundTimestamp)
 *    delete-records: nothing more (the new log start offset is the header's start)
 *    txn-marker:   a = the marker's offset (kRespMarkerOffset)
 *    replica-append: a = base offset of the copied batches (kRespBaseOffset); the new log end
 *                  offset is the header's leo
 *    high-watermark: nothing more (the header's hw)
 *  start is the log start offset, stable the last stable offset; every response carries hw,
 *  log start, leo and the last stable offset so the dispatcher's view of each partition stays
 *  fresh without extra requests.
 */

export const REQUEST_HEADER_BYTES = 32
export const RESPONSE_HEADER_BYTES = 64
/** One aborted transaction after a read_committed fetch's batches. */
export const ABORTED_ENTRY_BYTES = 16

export const enum FrameType {
  Append = 1,
  Fetch = 2,
  ListOffset = 3,
  DeleteRecords = 4,
  TxnMarker = 5,
  ReplicaAppend = 6,
  HighWatermark = 7,
}

/** Header fields both directions share. */
export const kType = 0
export const kFlags = 1
export const kStatus = 2
export const kRequestId = 4
export const kPartition = 8

// The request header's three value slots, and what each frame type keeps in them.
export const kSlotI32 = 12
export const kSlotF64A = 16
export const kSlotF64B = 24
export const kLeaderEpoch = kSlotI32
export const kMaxBytes = kSlotI32
export const kProducerEpoch = kSlotI32
export const kFetchOffset = kSlotF64A
export const kListTimestamp = kSlotF64A
export const kDeleteBefore = kSlotF64A
export const kProducerId = kSlotF64A
export const kIsolation = kSlotF64B
export const kCoordinatorEpoch = kSlotF64B
export const kNewHighWatermark = kSlotF64A

// Response fields every answer carries: the partition's offsets after the request.
export const kRespHw = 24
export const kRespLogStart = 32
export const kRespLeo = 48
export const kRespStable = 56
// Response fields, named per frame type (several share a position).
export const kRespBaseOffset = 16
export const kRespFoundOffset = 16
export const kRespMarkerOffset = 16
export const kRespLogAppendTime = 40
export const kRespFoundTimestamp = 40
export const kRespAbortedCount = 40

/**
 * append request flag: answer with the stored batches (the dispatcher serves the long-polls
 * the append wakes from them, without another read from the worker).
 */
export const APPEND_RETURN_STORED = 1
/** txn-marker request flag: a COMMIT marker (else ABORT). */
export const MARKER_COMMIT = 1

/** Fetch isolation values (the request's b). */
export const ISOLATION_UNCOMMITTED = 0
export const ISOLATION_COMMITTED = 1
/** A follower's copy: reads up to the leader's log end offset, past its high watermark. */
export const ISOLATION_REPLICA = 2

export const LIST_OFFSET_LATEST = -1
export const LIST_OFFSET_EARLIEST = -2
export const LIST_OFFSET_MAX_TIMESTAMP = -3

/**
 * Why an append was refused, as the payload of its answer (little-endian, host-only):
 *   u32 n | i32 record index × n | UTF-8 message
 * The indexes name the records at fault within the batch (KIP-467 record_errors).
 */
export interface AppendFault {
  recordIndexes: number[]
  message: string
}

export function appendFaultBytes (fault: AppendFault): number {
  return 4 + 4 * fault.recordIndexes.length + Buffer.byteLength(fault.message, 'utf8')
}

export function writeAppendFault (bytes: Uint8Array, at: number, fault: AppendFault): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = fault.recordIndexes.length
  view.setUint32(at, n, true)
  for (let i = 0; i < n; i++) view.setInt32(at + 4 + 4 * i, fault.recordIndexes[i], true)
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(fault.message, at + 4 + 4 * n, 'utf8')
}

export function readAppendFault (bytes: Uint8Array, at: number, length: number): AppendFault {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = view.getUint32(at, true)
  const recordIndexes = new Array<number>(n)
  for (let i = 0; i < n; i++) recordIndexes[i] = view.getInt32(at + 4 + 4 * i, true)
  const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', at + 4 + 4 * n, at + length)
  return { recordIndexes, message }
}
