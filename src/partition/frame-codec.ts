/**
 * The dispatcher's end of the frame format (./frames.ts): builds request frames and reads each
 * answer into the named shape of its request type. WorkerLink writes and reads its rings with
 * it; tests use it to drive a PartitionHost over in-process rings.
 *
 * One object per answer (no per-record objects); a fetch's bytes are one copy out of the ring.
 */
import { LogStatus } from '../log/errors.js'
import {
  ABORTED_ENTRY_BYTES, APPEND_RETURN_STORED, type AppendFault, FrameType, kFlags, kPartition, kRequestId, kRespAbortedCount, kRespBaseOffset, kRespFoundOffset, kRespFoundTimestamp, kRespHw, kRespLeo, kRespLogAppendTime,
  kRespLogStart, kRespMarkerOffset, kRespStable, kSlotF64A, kSlotF64B, kSlotI32, kStatus, kType, MARKER_COMMIT, readAppendFault, REQUEST_HEADER_BYTES, RESPONSE_HEADER_BYTES
} from './frames.js'

/** The partition's offsets after the request, as every answer carries them (-1 when the partition is unknown or its worker is gone). */
export interface AnswerOffsets {
  highWatermark: number
  logStartOffset: number
  logEndOffset: number
  /** The partition's last stable offset (the high watermark while no transaction is open). */
  lastStableOffset: number
}

export interface AppendAnswer extends AnswerOffsets {
  status: LogStatus
  /** Offset of the append's first record (an idempotent duplicate's original offset). */
  baseOffset: number
  /** The time the log stamped, or -1 unless the topic uses LogAppendTime. */
  logAppendTime: number
  /** A refused append's reason and the records at fault, when the log gave one. */
  fault: AppendFault | null
  /** The batches as the log stored them, when the request asked (APPEND_RETURN_STORED) and the append was fresh; else null. */
  storedBytes: Buffer | null
}

/** One aborted transaction a read_committed fetch lists (Kafka's FetchResponse AbortedTransaction). */
export interface AbortedTransaction {
  producerId: number
  firstOffset: number
}

export interface FetchAnswer extends AnswerOffsets {
  status: LogStatus
  /** Whole batches from the fetch offset on (empty when refused); null only when the worker never answered. */
  bytes: Buffer | null
  /** A read_committed fetch: the aborted transactions its batches overlap, sorted by first offset; else null. */
  abortedTransactions: AbortedTransaction[] | null
}

export interface ListOffsetAnswer extends AnswerOffsets {
  status: LogStatus
  /** The offset found, -1 for none. */
  offset: number
  /** The found record's timestamp (a timestamp lookup), else -1. */
  timestamp: number
}

/** The new log start offset is `logStartOffset`. */
export interface DeleteRecordsAnswer extends AnswerOffsets {
  status: LogStatus
}

export interface TxnMarkerAnswer extends AnswerOffsets {
  status: LogStatus
  /** The marker's offset. */
  markerOffset: number
}

/** A follower's copy of its leader's batches; the follower's new log end offset is `logEndOffset`. */
export interface ReplicaAppendAnswer extends AnswerOffsets {
  status: LogStatus
  /** Offset of the first copied record, -1 when refused. */
  baseOffset: number
}

/** The leader's high watermark after the frame is `highWatermark`. */
export interface HighWatermarkAnswer extends AnswerOffsets {
  status: LogStatus
}

export type PartitionAnswer = AppendAnswer | FetchAnswer | ListOffsetAnswer | DeleteRecordsAnswer | TxnMarkerAnswer | ReplicaAppendAnswer | HighWatermarkAnswer

/**
 * What a request becomes in its frame's header slots (./frames.ts names each slot per frame
 * type); built only by the named constructors below.
 */
export interface RequestFrame {
  readonly type: FrameType
  readonly flags: number
  readonly partitionId: number
  readonly i32: number
  readonly f64A: number
  readonly f64B: number
  readonly payload: Uint8Array | null
}

/** `returnStored`: the answer carries the batches as stored (APPEND_RETURN_STORED). */
export function appendRequest (partitionId: number, leaderEpoch: number, batches: Uint8Array, returnStored = false): RequestFrame {
  return { type: FrameType.Append, flags: returnStored ? APPEND_RETURN_STORED : 0, partitionId, i32: leaderEpoch, f64A: 0, f64B: 0, payload: batches }
}

export function fetchRequest (partitionId: number, offset: number, maxBytes: number, isolation: number): RequestFrame {
  return { type: FrameType.Fetch, flags: 0, partitionId, i32: maxBytes, f64A: offset, f64B: isolation, payload: null }
}

export function listOffsetRequest (partitionId: number, timestamp: number, isolation: number): RequestFrame {
  return { type: FrameType.ListOffset, flags: 0, partitionId, i32: 0, f64A: timestamp, f64B: isolation, payload: null }
}

export function deleteRecordsRequest (partitionId: number, offset: number): RequestFrame {
  return { type: FrameType.DeleteRecords, flags: 0, partitionId, i32: 0, f64A: offset, f64B: 0, payload: null }
}

export function txnMarkerRequest (partitionId: number, producerId: number, producerEpoch: number, coordinatorEpoch: number, commit: boolean): RequestFrame {
  return { type: FrameType.TxnMarker, flags: commit ? MARKER_COMMIT : 0, partitionId, i32: producerEpoch, f64A: producerId, f64B: coordinatorEpoch, payload: null }
}

/** Replication: the leader's batches for a follower of `leaderEpoch`, offsets and epochs kept. */
export function replicaAppendRequest (partitionId: number, leaderEpoch: number, batches: Uint8Array): RequestFrame {
  return { type: FrameType.ReplicaAppend, flags: 0, partitionId, i32: leaderEpoch, f64A: 0, f64B: 0, payload: batches }
}

/** Replication: the high watermark over the in-sync replicas, for the leader. */
export function highWatermarkRequest (partitionId: number, highWatermark: number): RequestFrame {
  return { type: FrameType.HighWatermark, flags: 0, partitionId, i32: 0, f64A: highWatermark, f64B: 0, payload: null }
}

/** Bytes the request's frame takes in the ring. */
export function requestFrameBytes (req: RequestFrame): number {
  return REQUEST_HEADER_BYTES + (req.payload === null ? 0 : req.payload.length)
}

/** Writes `req` at `at` of a ring reserved for it (`view` and `bytes` over the same memory). */
export function writeRequest (view: DataView, bytes: Uint8Array, at: number, requestId: number, req: RequestFrame): void {
  view.setUint8(at + kType, req.type)
  view.setUint8(at + kFlags, req.flags)
  view.setUint32(at + kRequestId, requestId, true)
  view.setUint32(at + kPartition, req.partitionId, true)
  view.setInt32(at + kSlotI32, req.i32, true)
  view.setFloat64(at + kSlotF64A, req.f64A, true)
  view.setFloat64(at + kSlotF64B, req.f64B, true)
  if (req.payload !== null) bytes.set(req.payload, at + REQUEST_HEADER_BYTES)
}

/** The request id of the answer at `at`. */
export function answerRequestId (view: DataView, at: number): number {
  return view.getUint32(at + kRequestId, true)
}

/** Reads the answer frame at `at` (`frameLength` bytes, header included) into its request type's shape. */
export function readAnswer (view: DataView, bytes: Uint8Array, at: number, frameLength: number): PartitionAnswer {
  const status: LogStatus = view.getUint16(at + kStatus, true)
  const highWatermark = view.getFloat64(at + kRespHw, true)
  const logStartOffset = view.getFloat64(at + kRespLogStart, true)
  const logEndOffset = view.getFloat64(at + kRespLeo, true)
  const lastStableOffset = view.getFloat64(at + kRespStable, true)
  const payloadAt = at + RESPONSE_HEADER_BYTES
  const length = frameLength - RESPONSE_HEADER_BYTES
  switch (view.getUint8(at + kType)) {
    case FrameType.Append: {
      // An accepted append's payload is its stored batches; a refused one's, its fault.
      const fault = length > 0 && status !== LogStatus.Ok ? readAppendFault(bytes, payloadAt, length) : null
      const storedBytes = length > 0 && status === LogStatus.Ok ? copyOut(bytes, payloadAt, length) : null
      const answer: AppendAnswer = {
        status, baseOffset: view.getFloat64(at + kRespBaseOffset, true), logAppendTime: view.getFloat64(at + kRespLogAppendTime, true), fault, storedBytes,
        highWatermark, logStartOffset, logEndOffset, lastStableOffset
      }
      return answer
    }
    case FrameType.Fetch: {
      const count = view.getFloat64(at + kRespAbortedCount, true)
      const batchBytes = count > 0 ? length - count * ABORTED_ENTRY_BYTES : length
      const answer: FetchAnswer = {
        status, bytes: copyOut(bytes, payloadAt, batchBytes), abortedTransactions: count > 0 ? readAborted(view, payloadAt + batchBytes, count) : null,
        highWatermark, logStartOffset, logEndOffset, lastStableOffset
      }
      return answer
    }
    case FrameType.ListOffset: {
      const answer: ListOffsetAnswer = {
        status, offset: view.getFloat64(at + kRespFoundOffset, true), timestamp: view.getFloat64(at + kRespFoundTimestamp, true),
        highWatermark, logStartOffset, logEndOffset, lastStableOffset
      }
      return answer
    }
    case FrameType.TxnMarker: {
      const answer: TxnMarkerAnswer = { status, markerOffset: view.getFloat64(at + kRespMarkerOffset, true), highWatermark, logStartOffset, logEndOffset, lastStableOffset }
      return answer
    }
    case FrameType.ReplicaAppend: {
      const answer: ReplicaAppendAnswer = { status, baseOffset: view.getFloat64(at + kRespBaseOffset, true), highWatermark, logStartOffset, logEndOffset, lastStableOffset }
      return answer
    }
    default: {
      const answer: DeleteRecordsAnswer = { status, highWatermark, logStartOffset, logEndOffset, lastStableOffset }
      return answer
    }
  }
}

/**
 * The answer to a request its worker never answered (it died, or the partition is offline):
 * WorkerFault, retriable, in the shape of the request's type; or `status` (StorageError for a
 * partition in a failed data dir).
 */
export function workerFaultAnswer (type: FrameType.Append, status?: LogStatus): AppendAnswer
export function workerFaultAnswer (type: FrameType.Fetch, status?: LogStatus): FetchAnswer
export function workerFaultAnswer (type: FrameType.ListOffset, status?: LogStatus): ListOffsetAnswer
export function workerFaultAnswer (type: FrameType.DeleteRecords, status?: LogStatus): DeleteRecordsAnswer
export function workerFaultAnswer (type: FrameType.TxnMarker, status?: LogStatus): TxnMarkerAnswer
export function workerFaultAnswer (type: FrameType.ReplicaAppend, status?: LogStatus): ReplicaAppendAnswer
export function workerFaultAnswer (type: FrameType.HighWatermark, status?: LogStatus): HighWatermarkAnswer
export function workerFaultAnswer (type: FrameType, status?: LogStatus): PartitionAnswer
export function workerFaultAnswer (type: FrameType, status = LogStatus.WorkerFault): PartitionAnswer {
  const unknown = { highWatermark: -1, logStartOffset: -1, logEndOffset: -1, lastStableOffset: -1 }
  switch (type) {
    case FrameType.Append: return { status, baseOffset: -1, logAppendTime: -1, fault: null, storedBytes: null, ...unknown }
    case FrameType.Fetch: return { status, bytes: null, abortedTransactions: null, ...unknown }
    case FrameType.ListOffset: return { status, offset: -1, timestamp: -1, ...unknown }
    case FrameType.TxnMarker: return { status, markerOffset: -1, ...unknown }
    case FrameType.ReplicaAppend: return { status, baseOffset: -1, ...unknown }
    default: return { status, ...unknown }
  }
}

/** The bytes out of the ring into a Buffer of their own (the ring's space is reused once released). */
function copyOut (bytes: Uint8Array, at: number, length: number): Buffer {
  const copy = Buffer.allocUnsafe(length)
  copy.set(bytes.subarray(at, at + length))
  return copy
}

function readAborted (view: DataView, at: number, count: number): AbortedTransaction[] {
  const list = new Array<AbortedTransaction>(count)
  for (let i = 0; i < count; i++, at += ABORTED_ENTRY_BYTES) {
    list[i] = { producerId: view.getFloat64(at, true), firstOffset: view.getFloat64(at + 8, true) }
  }
  return list
}
