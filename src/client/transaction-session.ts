/**
 * TransactionSession: a library-mode producer's side of the transaction protocol, the calls a
 * Kafka client makes to the transaction coordinator: InitProducerId with the transactional id,
 * AddPartitionsToTxn before a partition's first batch, AddOffsetsToTxn and TxnOffsetCommit for
 * sendOffsets, and EndTxn. It calls the coordinator actor directly (no network), with the same
 * codes and the same meaning. Kafka errors become MillraceErrors: fencing (PRODUCER_FENCED,
 * INVALID_PRODUCER_EPOCH) is MR_ERR_PRODUCER_FENCED and leaves the session unusable, as Kafka's
 * producers become; INVALID_TXN_STATE is MR_ERR_INVALID_TXN_STATE.
 *
 * Thread: the host's (library mode).
 */
import { MillraceError } from '../errors.js'
import { KafkaCode, errorName, isRetriable } from '../protocol/error-codes.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import type { CoordinatorLink } from '../dispatcher/coordinator-link.js'

/** The API versions the session speaks: the newest of the classic protocol, so fencing reads PRODUCER_FENCED. */
const INIT_VERSION = 4
const TXN_VERSION = 3
/** How long a retriable answer (CONCURRENT_TRANSACTIONS while an earlier transaction completes) is retried. */
const RETRY_DEADLINE_MS = 30_000
/**
 * Retries start at 1 ms and double up to 20 ms: the markers of the transaction just committed
 * take about a millisecond, and a fixed 20 ms wait before each transaction's first send cost
 * back-to-back transactions most of their throughput.
 */
const FIRST_RETRY_BACKOFF_MS = 1
const MAX_RETRY_BACKOFF_MS = 20

export interface TxnOffset {
  topic: string
  partition: number
  offset: bigint | number
  metadata?: string | null
}

export class TransactionSession {
  readonly transactionalId: string
  readonly #dispatcher: Dispatcher
  readonly #timeoutMs: number
  producerId = -1
  producerEpoch = -1
  #inTransaction = false
  /** topic → partitions already added to the current transaction. */
  readonly #added = new Map<string, Set<number>>()
  readonly #groups = new Set<string>()
  #fenced: MillraceError | null = null

  constructor (dispatcher: Dispatcher, transactionalId: string, timeoutMs: number) {
    this.#dispatcher = dispatcher
    this.transactionalId = transactionalId
    this.#timeoutMs = timeoutMs
  }

  get inTransaction (): boolean { return this.#inTransaction }
  get initialised (): boolean { return this.producerId >= 0 }

  /** InitProducerId: fences older producers of this id; waits while an earlier transaction of it completes. */
  async init (): Promise<void> {
    this.#assertUsable()
    const res = await this.#retrying((c) => c.initTransactionalProducerId({
      transactionalId: this.transactionalId, transactionTimeoutMs: this.#timeoutMs, producerId: -1, producerEpoch: -1
    }, INIT_VERSION), (r) => r.errorCode)
    this.#check(res.errorCode, 'InitProducerId')
    this.producerId = res.producerId
    this.producerEpoch = res.producerEpoch
  }

  begin (): void {
    this.#assertUsable()
    if (this.#inTransaction) throw new MillraceError('MR_ERR_INVALID_TXN_STATE', `transactional id '${this.transactionalId}': a transaction is already open; commit or abort it first`)
    this.#inTransaction = true
    this.#added.clear()
    this.#groups.clear()
  }

  /** Makes sure every partition is in the transaction before a batch goes to it (AddPartitionsToTxn). */
  async addPartitions (partitions: ReadonlyArray<{ topic: string, partition: number }>): Promise<void> {
    this.#assertInTransaction('send')
    const missing = new Map<string, number[]>()
    for (const { topic, partition } of partitions) {
      if (this.#added.get(topic)?.has(partition) === true) continue
      const list = missing.get(topic) ?? []
      if (!list.includes(partition)) list.push(partition)
      missing.set(topic, list)
    }
    if (missing.size === 0) return
    const res = await this.#retrying((c) => c.addPartitionsToTxn({
      v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: this.producerId, v3AndBelowProducerEpoch: this.producerEpoch,
      v3AndBelowTopics: [...missing].map(([name, list]) => ({ name, partitions: list }))
    }, TXN_VERSION), (r) => r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode)).find((code) => code !== KafkaCode.NONE) ?? KafkaCode.NONE)
    for (const t of res.resultsByTopicV3AndBelow) {
      for (const p of t.resultsByPartition) {
        this.#check(p.partitionErrorCode, `AddPartitionsToTxn ${t.name}-${p.partitionIndex}`)
        let set = this.#added.get(t.name)
        if (set === undefined) this.#added.set(t.name, set = new Set())
        set.add(p.partitionIndex)
      }
    }
  }

  /** The consumer group's offsets join the transaction: applied by the commit, dropped by the abort. */
  async sendOffsets (groupId: string, offsets: readonly TxnOffset[]): Promise<void> {
    this.#assertInTransaction('sendOffsets')
    if (!this.#groups.has(groupId)) {
      const added = await this.#retrying((c) => c.addOffsetsToTxn({ transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId }, TXN_VERSION), (r) => r.errorCode)
      this.#check(added.errorCode, 'AddOffsetsToTxn')
      this.#groups.add(groupId)
    }
    const byTopic = new Map<string, Array<{ partitionIndex: number, committedOffset: number, committedLeaderEpoch: number, committedMetadata: string | null }>>()
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? []
      list.push({ partitionIndex: o.partition, committedOffset: Number(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })
      byTopic.set(o.topic, list)
    }
    const res = await this.#retrying((c) => c.txnOffsetCommit({
      transactionalId: this.transactionalId, groupId, producerId: this.producerId, producerEpoch: this.producerEpoch,
      generationId: -1, memberId: '', groupInstanceId: null,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions }))
    }, TXN_VERSION), (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((code) => code !== KafkaCode.NONE) ?? KafkaCode.NONE)
    for (const t of res.topics) for (const p of t.partitions) this.#check(p.errorCode, `TxnOffsetCommit ${t.name}-${p.partitionIndex}`)
  }

  /** EndTxn: resolves once the coordinator has written PrepareCommit/PrepareAbort (the outcome is then decided). */
  async end (commit: boolean): Promise<void> {
    this.#assertInTransaction(commit ? 'commitTransaction' : 'abortTransaction')
    try {
      if (this.#added.size > 0 || this.#groups.size > 0) {
        const res = await this.#retrying((c) => c.endTxn({ transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed: commit }, TXN_VERSION), (r) => r.errorCode)
        this.#check(res.errorCode, 'EndTxn')
      }
    } finally {
      if (this.#fenced === null) this.#inTransaction = false
    }
  }

  #assertUsable (): void {
    if (this.#fenced !== null) throw this.#fenced
  }

  #assertInTransaction (what: string): void {
    this.#assertUsable()
    if (!this.#inTransaction) throw new MillraceError('MR_ERR_INVALID_TXN_STATE', `transactional id '${this.transactionalId}': ${what} needs an open transaction (beginTransaction first)`)
  }

  /** Turns a Kafka error into the MillraceError the user sees. */
  #check (code: number, what: string): void {
    if (code === KafkaCode.NONE) return
    if (code === KafkaCode.PRODUCER_FENCED || code === KafkaCode.INVALID_PRODUCER_EPOCH || code === KafkaCode.INVALID_PRODUCER_ID_MAPPING) {
      this.#fenced = new MillraceError('MR_ERR_PRODUCER_FENCED',
        `transactional id '${this.transactionalId}': ${what}: this producer was fenced (${errorName(code)}); another producer with this id took over or the transaction timed out`,
        { kafkaCode: code })
      throw this.#fenced
    }
    if (code === KafkaCode.INVALID_TXN_STATE) throw new MillraceError('MR_ERR_INVALID_TXN_STATE', `transactional id '${this.transactionalId}': ${what}: INVALID_TXN_STATE`, { kafkaCode: code })
    throw new MillraceError('MR_ERR_KAFKA', `transactional id '${this.transactionalId}': ${what}: ${errorName(code)}`, { kafkaCode: code, retriable: isRetriable(code) })
  }

  /** Calls the coordinator, again while it answers a retriable code or cannot be reached, up to RETRY_DEADLINE_MS. */
  async #retrying<T> (call: (c: CoordinatorLink) => Promise<T>, codeOf: (res: T) => number): Promise<T> {
    const deadline = Date.now() + RETRY_DEADLINE_MS
    let backoffMs = FIRST_RETRY_BACKOFF_MS
    for (;;) {
      let res: T | null = null
      let failure: unknown = null
      try {
        res = await call(await this.#dispatcher.coordinator())
      } catch (err) {
        failure = err
      }
      const code = res === null ? KafkaCode.COORDINATOR_NOT_AVAILABLE : codeOf(res)
      if (res !== null && !isRetriable(code)) return res
      if (Date.now() >= deadline) {
        if (res !== null) return res
        throw new MillraceError('MR_ERR_TIMEOUT', `transactional id '${this.transactionalId}': the transaction coordinator did not answer within ${RETRY_DEADLINE_MS} ms`, { cause: failure, retriable: true })
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs))
      backoffMs = Math.min(backoffMs * 2, MAX_RETRY_BACKOFF_MS)
    }
  }
}
