/**
 * Partition routing: sends each partition request to the worker hosting the partition, keeps
 * the dispatcher's view of its offsets fresh from every answer, parks Fetch long-polls and
 * wakes them after appends, and answers the reads it can from that view without a thread hop.
 *
 * Thread: the dispatcher's. `PartitionRouter` is what the Kafka handlers and the library
 * client use for partition I/O; tests give handlers a fake of it.
 */
import { LogStatus } from '../log/errors.js'
import type { Logger } from '../logger.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { kafkaCodeOf } from '../server/status.js'
import type { TxnMarkerRequest, TxnMarkerResult, TxnMarkerWriter } from '../transactions/txn-markers.js'
import { FrameType } from '../partition/frames.js'
import type { PartitionOffsets } from '../partition/partition-spec.js'
import { workerFaultAnswer, type AnswerOffsets, type AppendAnswer, type DeleteRecordsAnswer, type FetchAnswer, type ListOffsetAnswer } from '../partition/frame-codec.js'
import { LongPolls } from './long-polls.js'
import { countIn } from './traffic.js'
import type { PartitionState, TopicTable } from './topic-table.js'
import type { WorkerSupervisor } from './worker-supervisor.js'

/** The bytes of an empty read. */
const NO_BYTES = Buffer.alloc(0)
/** Larger appends are read from the worker as usual: the stored tail is for latency, not throughput. */
export const STORED_TAIL_MAX_BYTES = 64 * 1024

/** Partition I/O as the Kafka handlers and the library client see it. */
export interface PartitionRouter {
  /** Largest record-batch payload one append may carry. */
  readonly maxAppendBytes: number
  append: (p: PartitionState, batches: Uint8Array) => Promise<AppendAnswer>
  /** `isolation` 1 reads committed records only (read_committed). */
  fetch: (p: PartitionState, offset: number, maxBytes: number, isolation?: number) => Promise<FetchAnswer>
  /** `isolation` 1 (read_committed) answers the last stable offset for latest (-1). */
  listOffset: (p: PartitionState, timestamp: number, isolation?: number) => Promise<ListOffsetAnswer>
  deleteRecords: (p: PartitionState, offset: number) => Promise<DeleteRecordsAnswer>
  /** What a long-poll saw before it read: pass it to `waitForData`. */
  appendCounts: (partitions: readonly PartitionState[]) => number[]
  /** Parks a Fetch long-poll (./long-polls.ts). */
  waitForData: (partitions: readonly PartitionState[], maxWaitMs: number, seen?: readonly number[], stop?: AbortSignal) => Promise<void>
}

/** The router over the partition workers. */
export class WorkerRouter implements PartitionRouter, TxnMarkerWriter {
  readonly #workers: WorkerSupervisor
  readonly #topics: TopicTable
  readonly #logger: Logger
  readonly #polls = new LongPolls()

  constructor (workers: WorkerSupervisor, topics: TopicTable, logger: Logger) {
    this.#workers = workers
    this.#topics = topics
    this.#logger = logger
  }

  get maxAppendBytes (): number { return this.#workers.maxAppendBytes }

  async append (p: PartitionState, batches: Uint8Array): Promise<AppendAnswer> {
    // Long-polls are waiting: ask for the batches as stored, to answer them without another read.
    const returnStored = this.#polls.parked(p.id) > 0 && batches.length <= STORED_TAIL_MAX_BYTES
    const answer = p.online ? await this.#workers.linkOf(p).append(p.id, p.leaderEpoch, batches, returnStored) : workerFaultAnswer(FrameType.Append, this.#unavailable(p))
    this.#observe(p, answer)
    if (answer.status === LogStatus.Ok) {
      p.appends++
      countIn(p, batches)
      p.tail = null
      // Only a fresh append carries them (an idempotent duplicate answers with older offsets).
      const stored = answer.storedBytes
      if (stored !== null && answer.logEndOffset === answer.highWatermark) {
        const tail = { baseOffset: answer.baseOffset, endOffset: answer.logEndOffset, bytes: stored }
        p.tail = tail
        // The woken polls read it in this turn of the event loop; after that it is only memory.
        setImmediate(() => { if (p.tail === tail) p.tail = null })
      }
      this.#polls.wake(p.id)
    }
    return answer
  }

  async fetch (p: PartitionState, offset: number, maxBytes: number, isolation = 0): Promise<FetchAnswer> {
    // read_committed may take the view's shortcut only while no transaction holds the LSO back.
    const known = p.online && (isolation === 0 || p.lastStableOffset === p.highWatermark) ? this.#answerFromView(p, offset, maxBytes) : null
    if (known !== null) return known
    const answer = p.online ? await this.#workers.linkOf(p).fetch(p.id, offset, maxBytes, isolation) : workerFaultAnswer(FrameType.Fetch, this.#unavailable(p))
    this.#observe(p, answer)
    return answer
  }

  /**
   * The reads answered without the partition's worker. The high watermark here is the one in
   * the worker's last answer (answers arrive in order, and it only grows), so a consumer that
   * is caught up gets an empty answer at once, and a long-poll woken by an append gets the
   * appended batches it asked for. Anything else goes to the worker.
   */
  #answerFromView (p: PartitionState, offset: number, maxBytes: number): FetchAnswer | null {
    const hw = p.highWatermark
    const tail = p.tail
    const bytes = offset === hw
      ? NO_BYTES
      : tail !== null && offset === tail.baseOffset && tail.endOffset === hw && offset >= p.logStartOffset && tail.bytes.length <= maxBytes ? tail.bytes : null
    if (bytes === null) return null
    return { status: LogStatus.Ok, bytes, abortedTransactions: null, highWatermark: hw, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, lastStableOffset: hw }
  }

  async listOffset (p: PartitionState, timestamp: number, isolation = 0): Promise<ListOffsetAnswer> {
    const answer = p.online ? await this.#workers.linkOf(p).listOffset(p.id, timestamp, isolation) : workerFaultAnswer(FrameType.ListOffset, this.#unavailable(p))
    this.#observe(p, answer)
    return answer
  }

  async deleteRecords (p: PartitionState, offset: number): Promise<DeleteRecordsAnswer> {
    const answer = p.online ? await this.#workers.linkOf(p).deleteRecords(p.id, offset) : workerFaultAnswer(FrameType.DeleteRecords, this.#unavailable(p))
    this.#observe(p, answer)
    return answer
  }

  /**
   * Appends a transaction's COMMIT or ABORT marker to each of its partitions
   * (../transactions/txn-markers.ts), all at once: markers for partitions of one worker go out
   * in one burst of ring frames, each behind the appends already sent to its partition. A
   * partition that moved its last stable offset wakes its read_committed long-polls. Each
   * partition answers for itself; a refusal is logged here and returned as its Kafka code.
   */
  async writeTxnMarkers (request: TxnMarkerRequest): Promise<TxnMarkerResult[]> {
    const commit = request.result === 'commit'
    return await Promise.all(request.partitions.map(async ({ topic, partition }): Promise<TxnMarkerResult> => {
      const p = this.#topics.get(topic)?.partitions[partition]
      if (p === undefined) return { topic, partition, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }
      const answer = p.online
        ? await this.#workers.linkOf(p).txnMarker(p.id, request.producerId, request.producerEpoch, request.coordinatorEpoch, commit)
        : workerFaultAnswer(FrameType.TxnMarker, this.#unavailable(p))
      this.#observe(p, answer)
      if (answer.status === LogStatus.Ok) {
        p.appends++
        p.tail = null
        this.#polls.wake(p.id)
        return { topic, partition, errorCode: KafkaCode.NONE }
      }
      const errorCode = kafkaCodeOf(answer.status)
      this.#logger.warn({ topic, partition, producerId: request.producerId, producerEpoch: request.producerEpoch, result: request.result, status: LogStatus[answer.status], errorCode },
        'a transaction marker was not written')
      return { topic, partition, errorCode }
    }))
  }

  /**
   * The status for a partition that is not online: KAFKA_STORAGE_ERROR while its data dir is
   * offline (until the broker restarts), else WorkerFault (NOT_LEADER_OR_FOLLOWER: its worker
   * restarts, retry).
   */
  #unavailable (p: PartitionState): LogStatus {
    return this.#workers.offlineDataDirs.has(p.dataDir) ? LogStatus.StorageError : LogStatus.WorkerFault
  }

  #observe (p: PartitionState, answer: AnswerOffsets & { status: LogStatus }): void {
    // A storage failure takes the partition's whole data dir offline (JBOD, ./offline-data-dirs.ts).
    if (answer.status === LogStatus.StorageError) this.#workers.storageFailed(p)
    if (answer.highWatermark < 0) return
    p.highWatermark = answer.highWatermark
    p.logStartOffset = answer.logStartOffset
    p.logEndOffset = answer.logEndOffset
    p.lastStableOffset = answer.lastStableOffset
  }

  /** Takes offsets a control call reported (open, describe) as the partition's view. */
  refresh (p: PartitionState, offsets: PartitionOffsets): void {
    p.tail = null
    p.logStartOffset = offsets.logStartOffset
    p.highWatermark = offsets.highWatermark
    p.logEndOffset = offsets.logEndOffset
    p.lastStableOffset = offsets.lastStableOffset
  }

  appendCounts (partitions: readonly PartitionState[]): number[] {
    return partitions.map((p) => p.appends)
  }

  waitForData (partitions: readonly PartitionState[], maxWaitMs: number, seen?: readonly number[], stop?: AbortSignal): Promise<void> {
    return this.#polls.waitForData(partitions, maxWaitMs, seen, stop)
  }

  /** How many long-polls are parked on `p` (tests wait on it too). */
  parkedPolls (p: PartitionState): number { return this.#polls.parked(p.id) }

  /** Ends the long-polls parked on `p` (it went away: they read again and see why). */
  wake (p: PartitionState): void { this.#polls.wake(p.id) }

  /** Ends every long-poll; later ones answer at once. */
  close (): void { this.#polls.close() }
}
