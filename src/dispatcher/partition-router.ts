/**
 * Partition routing: sends each partition request to the worker hosting the partition, keeps
 * the dispatcher's view of its offsets fresh from every answer, parks Fetch long-polls and
 * wakes them after appends, and answers the reads it can from that view without a thread hop.
 *
 * Thread: the dispatcher's. `PartitionRouter` is what the Kafka handlers and the library
 * client use for partition I/O; tests give handlers a fake of it.
 */
import { LogStatus } from '../log/errors.js'
import { LogRateLimiter, type Logger } from '../logger.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { kafkaCodeOf } from '../server/status.js'
import type { TxnMarkerRequest, TxnMarkerResult, TxnMarkerWriter } from '../transactions/txn-markers.js'
import { FrameType } from '../partition/frames.js'
import type { PartitionOffsets } from '../partition/partition-spec.js'
import { workerFaultAnswer, type AnswerOffsets, type AppendAnswer, type DeleteRecordsAnswer, type FetchAnswer, type HighWatermarkAnswer, type ListOffsetAnswer, type PartitionAnswer } from '../partition/frame-codec.js'
import type { PartitionReplicas } from '../replication/partition-replicas.js'
import type { WorkerLink } from './worker-link.js'
import { LongPolls } from './long-polls.js'
import { countIn } from './traffic.js'
import type { PartitionState, TopicTable } from './topic-table.js'
import type { WorkerSupervisor } from './worker-supervisor.js'

/** The bytes of an empty read. */
const NO_BYTES = Buffer.alloc(0)
/** Larger appends are read from the worker as usual: the stored tail is for latency, not throughput. */
export const STORED_TAIL_MAX_BYTES = 64 * 1024
/** At most one line per partition this often for requests refused while it has no leader or too few in-sync replicas. */
const REFUSAL_LOG_INTERVAL_MS = 10_000

/** Kafka's acks: 0 (no answer), 1 (the leader's append), -1 (all in-sync replicas). */
export type Acks = 0 | 1 | -1

/** Partition I/O as the Kafka handlers and the library client see it. */
export interface PartitionRouter {
  /** Largest record-batch payload one append may carry. */
  readonly maxAppendBytes: number
  /**
   * `acks` -1 on a partition with several replicas: refused with NotEnoughReplicas before the
   * append when the ISR is below min.insync.replicas, answered once the high watermark passes
   * it (NotEnoughReplicasAfterAppend when the ISR shrank below it first). Default 1.
   */
  append: (p: PartitionState, batches: Uint8Array, acks?: Acks) => Promise<AppendAnswer>
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
  readonly #refusals = new LogRateLimiter(REFUSAL_LOG_INTERVAL_MS)

  constructor (workers: WorkerSupervisor, topics: TopicTable, logger: Logger) {
    this.#workers = workers
    this.#topics = topics
    this.#logger = logger
  }

  get maxAppendBytes (): number { return this.#workers.maxAppendBytes }

  async append (p: PartitionState, batches: Uint8Array, acks: Acks = 1): Promise<AppendAnswer> {
    if (p.replication !== null) return await this.#appendReplicated(p, p.replication, batches, acks)
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
    if (p.replication !== null) return await this.#onLeader(p, p.replication, FrameType.Fetch, (link) => link.fetch(p.id, offset, maxBytes, isolation))
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
    if (p.replication !== null) return await this.#onLeader(p, p.replication, FrameType.ListOffset, (link) => link.listOffset(p.id, timestamp, isolation))
    const answer = p.online ? await this.#workers.linkOf(p).listOffset(p.id, timestamp, isolation) : workerFaultAnswer(FrameType.ListOffset, this.#unavailable(p))
    this.#observe(p, answer)
    return answer
  }

  async deleteRecords (p: PartitionState, offset: number): Promise<DeleteRecordsAnswer> {
    if (p.replication !== null) return await this.#onLeader(p, p.replication, FrameType.DeleteRecords, (link) => link.deleteRecords(p.id, offset))
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
      const replication = p.replication
      const answer = replication !== null
        ? await this.#onLeader(p, replication, FrameType.TxnMarker, (link) => link.txnMarker(p.id, request.producerId, request.producerEpoch, request.coordinatorEpoch, commit))
        : p.online
          ? await this.#workers.linkOf(p).txnMarker(p.id, request.producerId, request.producerEpoch, request.coordinatorEpoch, commit)
          : workerFaultAnswer(FrameType.TxnMarker, this.#unavailable(p))
      if (replication === null) this.#observe(p, answer)
      if (replication !== null && answer.status === LogStatus.Ok) {
        // Committed (and visible) when its followers have it: onHighWatermark wakes the polls.
        replication.leaderAppended(answer.logEndOffset)
        return { topic, partition, errorCode: KafkaCode.NONE }
      }
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

  // --- partitions with several replicas (../replication/partition-replicas.ts)

  async #appendReplicated (p: PartitionState, replication: PartitionReplicas, batches: Uint8Array, acks: Acks): Promise<AppendAnswer> {
    if (acks === -1 && replication.leader !== null && replication.acksAllRefusal() !== KafkaCode.NONE) {
      this.#noteRefusal(p, 'acks=all produce refused: fewer in-sync replicas than min.insync.replicas; nothing appended', { isr: replication.inSyncReplicas.map((r) => r.index) })
      return { ...workerFaultAnswer(FrameType.Append), status: LogStatus.NotEnoughReplicas }
    }
    const answer = await this.#onLeader(p, replication, FrameType.Append, (link, epoch) => link.append(p.id, epoch, batches, false))
    if (answer.status !== LogStatus.Ok) return answer
    countIn(p, batches)
    replication.leaderAppended(answer.logEndOffset)
    if (acks !== -1) return answer
    const code = await replication.waitForCommit(answer.logEndOffset)
    if (code === KafkaCode.NONE) return answer
    if (code === KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND) {
      this.#noteRefusal(p, 'acks=all produce appended on the leader but not acknowledged: the in-sync replicas fell below min.insync.replicas', { isr: replication.inSyncReplicas.map((r) => r.index) })
      return { ...answer, status: LogStatus.NotEnoughReplicasAfterAppend }
    }
    return { ...answer, status: LogStatus.NotLeader }
  }

  /**
   * Sends a request to the partition's current leader in its current epoch. No leader (an
   * election runs, or the partition is offline), or an answer from a leader whose epoch moved
   * meanwhile, is NotLeader (NOT_LEADER_OR_FOLLOWER: the client refreshes metadata and retries).
   */
  async #onLeader<A extends PartitionAnswer> (p: PartitionState, replication: PartitionReplicas, type: FrameType, send: (link: WorkerLink, epoch: number) => Promise<A>): Promise<A> {
    const leader = replication.leader
    if (leader === null || !p.online) {
      this.#noteRefusal(p, 'request refused: the partition has no leader now (an election runs, or no in-sync replica is left)', { leaderEpoch: replication.leaderEpoch })
      return { ...workerFaultAnswer(type), status: LogStatus.NotLeader } as A
    }
    const epoch = replication.leaderEpoch
    const answer = await send(this.#workers.link(leader.worker), epoch)
    if (replication.leaderEpoch !== epoch || replication.leader !== leader) {
      this.#noteRefusal(p, 'answer dropped: the partition\'s leader changed while the request was on it', { leaderEpoch: epoch, nowLeaderEpoch: replication.leaderEpoch })
      return { ...workerFaultAnswer(type), status: LogStatus.NotLeader } as A
    }
    this.#observeFromLeader(p, answer)
    return answer
  }

  #noteRefusal (p: PartitionState, message: string, fields: Record<string, unknown>): void {
    const heldBack = this.#refusals.admit(`${p.id}:${message}`)
    if (heldBack !== null) this.#logger.warn({ topic: p.topic, partition: p.partition, ...fields, refusedSinceLastLine: heldBack }, message)
  }

  /** A leader's answer moves the view's log start and end, never its high watermark (the ISR decides that). */
  #observeFromLeader (p: PartitionState, answer: AnswerOffsets): void {
    if (answer.highWatermark < 0) return
    p.logStartOffset = answer.logStartOffset
    p.logEndOffset = answer.logEndOffset
    p.lastStableOffset = Math.min(answer.lastStableOffset, p.highWatermark)
  }

  /** The high watermark over the in-sync replicas moved: consumers may read up to it now. */
  committed (p: PartitionState, highWatermark: number): void {
    p.highWatermark = highWatermark
    p.appends++
    p.tail = null
    this.#polls.wake(p.id)
  }

  /** The leader's answer to its high watermark frame: its last stable offset follows the new high watermark. */
  leaderOffsets (p: PartitionState, answer: HighWatermarkAnswer): void {
    if (answer.status !== LogStatus.Ok || answer.lastStableOffset < 0) return
    const stable = Math.min(answer.lastStableOffset, p.highWatermark)
    if (stable === p.lastStableOffset) return
    p.lastStableOffset = stable
    this.#polls.wake(p.id)
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
    // A replicated leader's own high watermark trails the one the ISR decided (it is told it).
    if (p.replication !== null) return
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
