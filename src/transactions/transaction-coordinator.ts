/**
 * TransactionCoordinator: Kafka's transaction coordinator (KIP-98, KIP-447; not KIP-890's
 * transaction version 2). One state machine per transactional id:
 *
 *   Empty ─AddPartitions/AddOffsets→ Ongoing ─EndTxn→ PrepareCommit ─markers→ CompleteCommit
 *                                     │        └EndTxn→ PrepareAbort ─markers→ CompleteAbort
 *                                     └InitProducerId or timeout→ PrepareEpochFence ─markers→ CompleteAbort
 *   Complete* ─AddPartitions→ Ongoing; Empty/Complete* ─InitProducerId→ Empty (epoch + 1)
 *
 * Every transition is written to the transaction log before it takes effect (and before the
 * client hears of it); the state is rebuilt from the log at start, and a Prepare* found there is
 * completed: markers written again (they are idempotent at the partition), then Complete*.
 * Offsets of TxnOffsetCommit stay in the transaction's record until the commit applies them to
 * the group coordinator (or the abort drops them).
 *
 * Thread: the coordinator actor's, beside the GroupCoordinator. Markers are written by the
 * dispatcher (TxnMarkerWriter, over a comlink port); this class only awaits them. Timeouts run
 * on a monotonic clock (`monotonicNow`), checked every `timeoutCheckIntervalMs`.
 */
import { KafkaCode, errorName, isRetriable } from '../protocol/error-codes.js'
import { LogStatus } from '../log/errors.js'
import { LogRateLimiter, silentLogger, type Logger } from '../logger.js'
import type { CoordinatorLog } from '../coordinator/coordinator-log.js'
import type { TxnCommitCheck } from '../coordinator/coordinator-api.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/apis/init-producer-id.js'
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/apis/add-partitions-to-txn.js'
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/apis/add-offsets-to-txn.js'
import type { EndTxnRequest, EndTxnResponse } from '../protocol/apis/end-txn.js'
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/apis/txn-offset-commit.js'
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../protocol/apis/describe-transactions.js'
import type { ListTransactionsRequest, ListTransactionsResponse } from '../protocol/apis/list-transactions.js'
import type { TxnMarkerWriter, TxnResult } from './txn-markers.js'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import { TxnState, decodeTxnKey, decodeTxnValue, txnKey, txnValue, type StoredTxn, type StoredTxnOffset } from './txn-records.js'

/** Kafka's transaction.max.timeout.ms default. */
export const DEFAULT_TRANSACTION_MAX_TIMEOUT_MS = 900_000
/** How often open transactions are checked against their timeout (Kafka checks every 10 s; tests need less). */
export const TXN_TIMEOUT_CHECK_INTERVAL_MS = 1000
/** Wait before writing markers again after a retriable failure; it doubles up to MARKER_RETRY_MAX_BACKOFF_MS. */
export const MARKER_RETRY_BACKOFF_MS = 100
const MARKER_RETRY_MAX_BACKOFF_MS = 5000
/** How long AddPartitionsToTxn/AddOffsetsToTxn wait for the previous transaction to complete before CONCURRENT_TRANSACTIONS. */
const COMPLETION_WAIT_MS = 50
/** At most one line per transactional id and reason this often while markers keep failing. */
const RETRY_LOG_INTERVAL_MS = 10_000
/** Kafka's epochs are int16; the last one is kept for the fence, as Kafka does (Short.MaxValue - 1). */
const MAX_PRODUCER_EPOCH = 32766
/** Kafka's TRANSACTIONAL_ID_NOT_FOUND (KIP-664), missing from the reference error table. */
const TRANSACTIONAL_ID_NOT_FOUND = 105

/** The group coordinator's side of transactional offsets. */
export interface TxnOffsetsSink {
  /** 0 when the group accepts a transactional commit (from this member, when it names one). */
  txnCommitProblem (commit: TxnCommitCheck): number
  /** Writes committed offsets to the offsets log; false when the log refused (the caller retries). */
  applyTxnOffsets (offsets: readonly StoredTxnOffset[]): boolean
}

export interface TransactionCoordinatorOptions {
  log: CoordinatorLog
  producerIds: { nextId (): number }
  groups: TxnOffsetsSink
  maxTimeoutMs?: number
  timeoutCheckIntervalMs?: number
  markerRetryBackoffMs?: number
  /** Wall clock, for the timestamps DescribeTransactions reports. */
  now?: () => number
  /** Monotonic clock for timeouts (performance.now). */
  monotonicNow?: () => number
  logger?: Logger
}

interface Txn extends StoredTxn {
  readonly transactionalId: string
  /** Monotonic ms when an open transaction times out; Infinity when none is open. */
  deadline: number
  /** Set while markers for a Prepare* are being written. */
  completing: Promise<void> | null
}

function failure (errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }
}

/**
 * Kafka answers a fenced producer PRODUCER_FENCED from the versions that know it (KIP-588) and
 * INVALID_PRODUCER_EPOCH before: InitProducerId v4+, the other transactional APIs v2+.
 */
function fencedCode (api: 'init' | 'other', version: number): number {
  const knowsFenced = api === 'init' ? version >= 4 : version >= 2
  return knowsFenced ? KafkaCode.PRODUCER_FENCED : KafkaCode.INVALID_PRODUCER_EPOCH
}

function isPrepare (state: TxnState): boolean {
  return state === TxnState.PrepareCommit || state === TxnState.PrepareAbort || state === TxnState.PrepareEpochFence
}

export class TransactionCoordinator {
  readonly #log: CoordinatorLog
  readonly #options: TransactionCoordinatorOptions
  readonly #now: () => number
  readonly #monotonicNow: () => number
  readonly #logger: Logger
  readonly #maxTimeoutMs: number
  readonly #txns = new Map<string, Txn>()
  readonly #retryLogs = new LogRateLimiter(RETRY_LOG_INTERVAL_MS)
  #topics = new Map<string, number>()
  #writer: TxnMarkerWriter | null = null
  #timeoutTimer: NodeJS.Timeout | null = null
  #closed = false

  private constructor (options: TransactionCoordinatorOptions) {
    this.#options = options
    this.#log = options.log
    this.#now = options.now ?? Date.now
    this.#monotonicNow = options.monotonicNow ?? (() => performance.now())
    this.#logger = options.logger ?? silentLogger
    this.#maxTimeoutMs = options.maxTimeoutMs ?? DEFAULT_TRANSACTION_MAX_TIMEOUT_MS
  }

  /**
   * Rebuilds every transaction from the log and re-arms the timeouts of open ones (with the
   * time left by the wall clock, measured from now on the monotonic one). Prepare* states are
   * completed once a marker writer is set (`setMarkerWriter`).
   */
  static load (options: TransactionCoordinatorOptions): TransactionCoordinator {
    const coordinator = new TransactionCoordinator(options)
    coordinator.#replay()
    const interval = options.timeoutCheckIntervalMs ?? TXN_TIMEOUT_CHECK_INTERVAL_MS
    coordinator.#timeoutTimer = setInterval(() => { coordinator.abortTimedOut() }, interval)
    coordinator.#timeoutTimer.unref()
    return coordinator
  }

  #replay (): void {
    this.#log.replay((key, value) => {
      const id = decodeTxnKey(key)
      if (id === null) return
      if (value === null) { this.#txns.delete(id); return }
      const stored = decodeTxnValue(value)
      this.#txns.set(id, { ...stored, transactionalId: id, deadline: Infinity, completing: null })
    })
    const wallNow = this.#now()
    const monoNow = this.#monotonicNow()
    for (const txn of this.#txns.values()) {
      if (txn.state === TxnState.Ongoing) txn.deadline = monoNow + Math.max(0, txn.startedAt + txn.timeoutMs - wallNow)
    }
  }

  /** Where markers go; completes every Prepare* found at start (or left by a writer that failed). */
  setMarkerWriter (writer: TxnMarkerWriter): void {
    this.#writer = writer
    for (const txn of this.#txns.values()) {
      if (!isPrepare(txn.state) || txn.completing !== null) continue
      this.#logger.info({ transactionalId: txn.transactionalId, producerId: txn.producerId, state: TxnState[txn.state] }, 'completing a prepared transaction: writing its markers')
      this.#complete(txn)
    }
  }

  async setTopics (topics: Record<string, number>): Promise<void> {
    this.#topics = new Map(Object.entries(topics))
  }

  /** Persists `next` as the state of `txn`, then applies it; false (and a log line) when the log refused. */
  #transition (txn: Txn, next: Partial<StoredTxn>): boolean {
    const stored: StoredTxn = {
      producerId: next.producerId ?? txn.producerId,
      producerEpoch: next.producerEpoch ?? txn.producerEpoch,
      timeoutMs: next.timeoutMs ?? txn.timeoutMs,
      state: next.state ?? txn.state,
      partitions: next.partitions ?? txn.partitions,
      groups: next.groups ?? txn.groups,
      offsets: next.offsets ?? txn.offsets,
      startedAt: next.startedAt ?? txn.startedAt,
      updatedAt: this.#now()
    }
    const status = this.#log.write([[txnKey(txn.transactionalId), txnValue(stored)]], stored.updatedAt)
    if (status !== LogStatus.Ok) {
      this.#logger.error({ transactionalId: txn.transactionalId, from: txn.state, to: stored.state, status: LogStatus[status] },
        'transaction state not written: the transaction log refused the write; the client is told to retry')
      return false
    }
    Object.assign(txn, stored)
    txn.deadline = stored.state === TxnState.Ongoing
      ? (txn.deadline === Infinity ? this.#monotonicNow() + stored.timeoutMs : txn.deadline)
      : Infinity
    return true
  }

  // --- InitProducerId

  async initProducerId (req: InitProducerIdRequest, version: number): Promise<InitProducerIdResponse> {
    const id = req.transactionalId
    if (this.#closed) return failure(KafkaCode.NOT_COORDINATOR)
    if (id === null || id === '') return failure(KafkaCode.INVALID_REQUEST)
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > this.#maxTimeoutMs) {
      this.#logger.info({ transactionalId: id, transactionTimeoutMs: req.transactionTimeoutMs, maxTimeoutMs: this.#maxTimeoutMs }, 'InitProducerId refused: transaction timeout out of range')
      return failure(KafkaCode.INVALID_TRANSACTION_TIMEOUT)
    }
    const expectedId = req.producerId ?? -1
    const expectedEpoch = req.producerEpoch ?? -1
    let txn = this.#txns.get(id)
    if (txn === undefined || txn.state === TxnState.Dead) {
      let producerId: number
      try { producerId = this.#options.producerIds.nextId() } catch { return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE) }
      txn = {
        transactionalId: id, producerId, producerEpoch: 0, timeoutMs: req.transactionTimeoutMs, state: TxnState.Empty,
        partitions: {}, groups: [], offsets: [], startedAt: -1, updatedAt: -1, deadline: Infinity, completing: null
      }
      if (!this.#transition(txn, {})) return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE)
      this.#txns.set(id, txn)
      return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, producerId, producerEpoch: 0 }
    }
    // KIP-360: a producer that names its id and epoch must be the current one.
    if (expectedId !== -1 && (expectedId !== txn.producerId || expectedEpoch !== txn.producerEpoch)) {
      return failure(fencedCode('init', version))
    }
    switch (txn.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
      case TxnState.PrepareEpochFence:
        return failure(KafkaCode.CONCURRENT_TRANSACTIONS)
      case TxnState.Ongoing:
        // Fence the old producer and abort what it left open; the client retries until done.
        if (!this.#fenceAndAbort(txn, 'a new producer initialised with the same transactional id')) return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE)
        return failure(KafkaCode.CONCURRENT_TRANSACTIONS)
      default: {
        let { producerId, producerEpoch } = txn
        if (producerEpoch >= MAX_PRODUCER_EPOCH) {
          try { producerId = this.#options.producerIds.nextId() } catch { return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE) }
          producerEpoch = 0
        } else {
          producerEpoch++
        }
        const ok = this.#transition(txn, { producerId, producerEpoch, timeoutMs: req.transactionTimeoutMs, state: TxnState.Empty, partitions: {}, groups: [], offsets: [], startedAt: -1 })
        if (!ok) return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE)
        return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, producerId, producerEpoch }
      }
    }
  }

  /** Bumps the epoch (so the old producer is fenced at the coordinator and by the markers) and aborts. */
  #fenceAndAbort (txn: Txn, reason: string): boolean {
    // An exhausted epoch aborts with the epoch it has; the next InitProducerId moves to a new id.
    const { producerId } = txn
    const producerEpoch = txn.producerEpoch < MAX_PRODUCER_EPOCH ? txn.producerEpoch + 1 : txn.producerEpoch
    if (!this.#transition(txn, { producerId, producerEpoch, state: TxnState.PrepareEpochFence })) return false
    this.#logger.warn({ transactionalId: txn.transactionalId, producerId, producerEpoch }, `transaction aborted: ${reason}`)
    this.#complete(txn)
    return true
  }

  // --- AddPartitionsToTxn, AddOffsetsToTxn

  /** The error for a request naming `producerId`/`producerEpoch` of `id`, or NONE with the transaction. */
  #checkProducer (id: string, producerId: number, producerEpoch: number, version: number): { code: number, txn?: Txn } {
    if (this.#closed) return { code: KafkaCode.NOT_COORDINATOR }
    if (id === '') return { code: KafkaCode.INVALID_REQUEST }
    const txn = this.#txns.get(id)
    if (txn === undefined || txn.state === TxnState.Dead || txn.producerId !== producerId) return { code: KafkaCode.INVALID_PRODUCER_ID_MAPPING }
    if (producerEpoch !== txn.producerEpoch) return { code: fencedCode('other', version) }
    return { code: KafkaCode.NONE, txn }
  }

  /** Adds partitions and groups to the transaction (Ongoing), persisted; the error code otherwise. */
  #add (txn: Txn, topics: ReadonlyArray<{ name: string, partitions: readonly number[] }>, groupId: string | null): number {
    if (isPrepare(txn.state)) return KafkaCode.CONCURRENT_TRANSACTIONS
    const partitions: Record<string, number[]> = {}
    for (const [topic, list] of Object.entries(txn.partitions)) partitions[topic] = [...list]
    let changed = txn.state !== TxnState.Ongoing
    for (const t of topics) {
      const list = partitions[t.name] ??= []
      for (const p of t.partitions) if (!list.includes(p)) { list.push(p); changed = true }
    }
    const groups = groupId !== null && !txn.groups.includes(groupId) ? [...txn.groups, groupId] : txn.groups
    if (groups !== txn.groups) changed = true
    if (!changed) return KafkaCode.NONE
    const starting = txn.state !== TxnState.Ongoing
    const next: Partial<StoredTxn> = { state: TxnState.Ongoing, partitions, groups }
    if (starting) { next.startedAt = this.#now(); next.offsets = [] }
    return this.#transition(txn, next) ? KafkaCode.NONE : KafkaCode.COORDINATOR_NOT_AVAILABLE
  }

  /**
   * A transaction's first AddPartitionsToTxn or AddOffsetsToTxn usually arrives while the markers
   * of the one before are being written (about a millisecond). Waiting that out here, briefly,
   * spares the client a CONCURRENT_TRANSACTIONS and its retry backoff; past the wait the answer
   * is that code, as Kafka's.
   */
  async #afterCompletion (transactionalId: string): Promise<void> {
    const completing = this.#txns.get(transactionalId)?.completing
    if (completing === undefined || completing === null) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([completing.catch(() => {}), new Promise((resolve) => { timer = setTimeout(resolve, COMPLETION_WAIT_MS) })])
    clearTimeout(timer)
  }

  async addPartitionsToTxn (req: AddPartitionsToTxnRequest, version: number): Promise<AddPartitionsToTxnResponse> {
    await this.#afterCompletion(req.v3AndBelowTransactionalId)
    const topics = req.v3AndBelowTopics
    const answer = (codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: topics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) }))
      }))
    })
    // As Kafka: unknown partitions fail alone, the others are not attempted.
    const unknown = topics.some((t) => t.partitions.some((p) => !this.#partitionKnown(t.name, p)))
    if (unknown) {
      return answer((topic, p) => this.#partitionKnown(topic, p) ? KafkaCode.OPERATION_NOT_ATTEMPTED : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
    }
    const { code, txn } = this.#checkProducer(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, version)
    const errorCode = txn === undefined ? code : this.#add(txn, topics, null)
    return answer(() => errorCode)
  }

  async addOffsetsToTxn (req: AddOffsetsToTxnRequest, version: number): Promise<AddOffsetsToTxnResponse> {
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: KafkaCode.INVALID_GROUP_ID }
    await this.#afterCompletion(req.transactionalId)
    const { code, txn } = this.#checkProducer(req.transactionalId, req.producerId, req.producerEpoch, version)
    return { throttleTimeMs: 0, errorCode: txn === undefined ? code : this.#add(txn, [], req.groupId) }
  }

  #partitionKnown (topic: string, partition: number): boolean {
    const count = this.#topics.get(topic)
    return count !== undefined && partition >= 0 && partition < count
  }

  /**
   * For the produce path: NONE when `topic`-`partition` is in the ongoing transaction of this
   * producer id and epoch; otherwise the error the Produce gets (Kafka's verification answers
   * INVALID_TXN_STATE for a partition outside the transaction, and fences an old epoch).
   */
  async verifyPartition (producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> {
    if (this.#closed) return KafkaCode.NOT_COORDINATOR
    for (const txn of this.#txns.values()) {
      if (txn.producerId !== producerId) continue
      if (producerEpoch !== txn.producerEpoch) return KafkaCode.INVALID_PRODUCER_EPOCH
      if (txn.state !== TxnState.Ongoing) return KafkaCode.INVALID_TXN_STATE
      return txn.partitions[topic]?.includes(partition) === true ? KafkaCode.NONE : KafkaCode.INVALID_TXN_STATE
    }
    return KafkaCode.INVALID_PRODUCER_ID_MAPPING
  }

  // --- EndTxn

  async endTxn (req: EndTxnRequest, version: number): Promise<EndTxnResponse> {
    return { throttleTimeMs: 0, errorCode: this.#end(req, version) }
  }

  #end (req: EndTxnRequest, version: number): number {
    const { code, txn } = this.#checkProducer(req.transactionalId, req.producerId, req.producerEpoch, version)
    if (txn === undefined) return code
    const wanted = req.committed ? TxnState.PrepareCommit : TxnState.PrepareAbort
    switch (txn.state) {
      case TxnState.Ongoing:
        // Answered once Prepare* is written, as Kafka does; markers follow in the background.
        if (!this.#transition(txn, { state: wanted })) return KafkaCode.COORDINATOR_NOT_AVAILABLE
        this.#complete(txn)
        return KafkaCode.NONE
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return txn.state === wanted ? KafkaCode.CONCURRENT_TRANSACTIONS : KafkaCode.INVALID_TXN_STATE
      case TxnState.PrepareEpochFence:
        return fencedCode('other', version)
      case TxnState.CompleteCommit:
        return req.committed ? KafkaCode.NONE : KafkaCode.INVALID_TXN_STATE
      case TxnState.CompleteAbort:
        return req.committed ? KafkaCode.INVALID_TXN_STATE : KafkaCode.NONE
      default:
        return KafkaCode.INVALID_TXN_STATE
    }
  }

  /** Writes the markers of a Prepare* (retrying while it fails), applies or drops offsets, then persists Complete*. */
  #complete (txn: Txn): void {
    if (txn.completing !== null || this.#writer === null) return
    txn.completing = this.#completeNow(txn).finally(() => { txn.completing = null })
  }

  async #completeNow (txn: Txn): Promise<void> {
    const commit = txn.state === TxnState.PrepareCommit
    const result: TxnResult = commit ? 'commit' : 'abort'
    let backoffMs = this.#options.markerRetryBackoffMs ?? MARKER_RETRY_BACKOFF_MS
    const retryLater = async (reason: string, fields: Record<string, unknown>): Promise<void> => {
      const suppressed = this.#retryLogs.admit(`${txn.transactionalId}\0${reason}`)
      if (suppressed !== null) this.#logger.warn({ transactionalId: txn.transactionalId, producerId: txn.producerId, result, suppressed, ...fields }, `${reason}; retrying`)
      await delay(backoffMs)
      backoffMs = Math.min(backoffMs * 2, MARKER_RETRY_MAX_BACKOFF_MS)
    }
    let pending = Object.entries(txn.partitions).flatMap(([topic, list]) => list.map((partition) => ({ topic, partition })))
    while (!this.#closed && isPrepare(txn.state)) {
      if (pending.length > 0) {
        let results
        try {
          results = await this.#writer!.writeTxnMarkers({ producerId: txn.producerId, producerEpoch: txn.producerEpoch, coordinatorEpoch: 0, result, partitions: pending })
        } catch (err) {
          await retryLater(`transaction ${result} markers could not be sent`, { err })
          continue
        }
        const retry: typeof pending = []
        for (const r of results) {
          if (r.errorCode === KafkaCode.NONE) continue
          if (isRetriable(r.errorCode)) { retry.push({ topic: r.topic, partition: r.partition }); continue }
          // As Kafka: a partition that cannot take the marker for good (its topic was deleted) is skipped.
          this.#logger.error({ transactionalId: txn.transactionalId, topic: r.topic, partition: r.partition, error: errorName(r.errorCode) },
            `transaction ${result} marker refused for good; the partition is left out`)
        }
        pending = retry
        if (pending.length > 0) {
          await retryLater(`transaction ${result} markers not yet written to every partition`, { partitions: pending.map((p) => `${p.topic}-${p.partition}`) })
          continue
        }
      }
      if (commit && txn.offsets.length > 0 && !this.#options.groups.applyTxnOffsets(txn.offsets)) {
        await retryLater('transactional offsets not yet applied: the offsets log refused the write', {})
        continue
      }
      const done = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort
      if (this.#transition(txn, { state: done, partitions: {}, groups: [], offsets: [], startedAt: -1 })) return
      await retryLater(`transaction ${result} not yet completed: the transaction log refused the write`, {})
    }
  }

  // --- TxnOffsetCommit

  async txnOffsetCommit (req: TxnOffsetCommitRequest, version: number): Promise<TxnOffsetCommitResponse> {
    const answer = (codeOf: () => number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeOf() })) }))
    })
    const { code, txn } = this.#checkProducer(req.transactionalId, req.producerId, req.producerEpoch, version)
    if (txn === undefined) return answer(() => code)
    if (isPrepare(txn.state)) return answer(() => KafkaCode.CONCURRENT_TRANSACTIONS)
    // The group must be in the transaction (AddOffsetsToTxn first), as Kafka's verification requires.
    if (txn.state !== TxnState.Ongoing || !txn.groups.includes(req.groupId)) return answer(() => KafkaCode.INVALID_TXN_STATE)
    // v3+ (KIP-447) names the member and generation; a generation of -1 names none.
    const member = version >= 3 && (req.generationId ?? -1) >= 0
      ? { generationId: req.generationId ?? -1, memberId: req.memberId ?? '', groupInstanceId: req.groupInstanceId ?? null }
      : null
    const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })))
    const groupProblem = this.#options.groups.txnCommitProblem({ groupId: req.groupId, partitions, member })
    if (groupProblem !== KafkaCode.NONE) return answer(() => groupProblem)
    const offsets = txn.offsets.filter((o) => !(o.groupId === req.groupId && req.topics.some((t) => t.name === o.topic && t.partitions.some((p) => p.partitionIndex === o.partition))))
    for (const t of req.topics) {
      for (const p of t.partitions) {
        offsets.push({ groupId: req.groupId, topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata ?? '' })
      }
    }
    const ok = this.#transition(txn, { offsets })
    return answer(() => ok ? KafkaCode.NONE : KafkaCode.COORDINATOR_NOT_AVAILABLE)
  }

  /** True while an open or preparing transaction holds an offset for this group partition (OffsetFetch require_stable). */
  hasPendingOffset (groupId: string, topic: string, partition: number): boolean {
    for (const txn of this.#txns.values()) {
      if (txn.offsets.some((o) => o.groupId === groupId && o.topic === topic && o.partition === partition)) return true
    }
    return false
  }

  // --- timeouts

  /** Aborts (fencing the producer) every Ongoing transaction past its timeout. */
  abortTimedOut (): void {
    if (this.#closed) return
    const now = this.#monotonicNow()
    for (const txn of this.#txns.values()) {
      if (txn.state === TxnState.Ongoing && txn.deadline <= now) this.#fenceAndAbort(txn, `timed out after ${txn.timeoutMs} ms`)
    }
  }

  // --- administration

  async describeTransactions (req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const txn = this.#txns.get(id)
        if (this.#closed || txn === undefined) {
          return { errorCode: this.#closed ? KafkaCode.NOT_COORDINATOR : TRANSACTIONAL_ID_NOT_FOUND, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topicPartitions: [] }
        }
        return {
          errorCode: KafkaCode.NONE,
          transactionalId: id,
          transactionState: txn.state,
          transactionTimeoutMs: txn.timeoutMs,
          transactionStartTimeMs: txn.startedAt,
          producerId: txn.producerId,
          producerEpoch: txn.producerEpoch,
          topicPartitions: Object.entries(txn.partitions).map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
        }
      })
    }
  }

  async listTransactions (req: ListTransactionsRequest): Promise<ListTransactionsResponse> {
    if (this.#closed) return { throttleTimeMs: 0, errorCode: KafkaCode.NOT_COORDINATOR, transactionStates: [] }
    const states = new Set(req.stateFilters)
    const ids = new Set(req.producerIdFilters)
    const transactionStates = [...this.#txns.values()]
      .filter((t) => t.state !== TxnState.Dead && (states.size === 0 || states.has(t.state)) && (ids.size === 0 || ids.has(t.producerId)))
      .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state }))
    return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, transactionStates }
  }

  // --- the transaction log's compaction, driven by the dispatcher's log cleaner (one record per id survives)

  async planClean (now: number): Promise<CleanPlan | null> { return this.#closed ? null : this.#log.planClean(now) }
  async cleanInline (plan: CleanPlan): Promise<CleanResult> { return this.#log.cleanInline(plan) }
  async commitClean (result: CleanResult): Promise<boolean> { return this.#closed ? false : this.#log.commitClean(result) }

  /** Test hook: resolves once no markers are being written. */
  async whenIdle (): Promise<void> {
    for (;;) {
      const busy = [...this.#txns.values()].map((t) => t.completing).filter((c) => c !== null)
      if (busy.length === 0) return
      await Promise.all(busy)
    }
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timeoutTimer !== null) clearInterval(this.#timeoutTimer)
    this.#log.close()
  }
}

function delay (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
