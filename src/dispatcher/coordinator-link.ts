/**
 * CoordinatorLink: the dispatcher's end of the coordinator actor: its thread and its comlink
 * proxy. Started on first use (a broker that never sees a group or an idempotent producer never
 * pays for the thread). If the thread dies, calls in flight fail, and the next call starts a
 * new actor, which rebuilds its state from the coordinator log.
 *
 * Thread: the dispatcher's.
 */
import { MessageChannel, Worker } from 'node:worker_threads'
import { exposeOn, remoteOn, type Remote } from '../control/comlink.js'
import type { GroupCoordinator } from '../coordinator/group-coordinator.js'
import type { CoordinatorSettings } from '../coordinator/coordinator-actor.js'
import type {
  CommitOffsets, CommitOffsetsResult, CoordinatorApi, DeleteOffsets, DeleteOffsetsResult, FetchOffsets, FetchOffsetsResult,
  GroupDetails, Heartbeat, JoinGroup, JoinGroupResult, LeaveGroup, LeaveGroupResult, ListGroups, ListGroupsResult,
  NewProducerId, OffsetsLogLookup, OffsetsLogRead, ProducerIdResult, SyncGroup, SyncGroupResult
} from '../coordinator/coordinator-api.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/apis/init-producer-id.js'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import { threadOptions } from './thread-options.js'
import { relayWorkerLogs, type Logger } from '../logger.js'
import { CallsInFlight } from './calls-in-flight.js'
import type { TransactionCoordinator } from '../transactions/transaction-coordinator.js'
import type { TxnMarkerWriter } from '../transactions/txn-markers.js'
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/apis/add-partitions-to-txn.js'
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/apis/add-offsets-to-txn.js'
import type { EndTxnRequest, EndTxnResponse } from '../protocol/apis/end-txn.js'
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/apis/txn-offset-commit.js'
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../protocol/apis/describe-transactions.js'
import type { ListTransactionsRequest, ListTransactionsResponse } from '../protocol/apis/list-transactions.js'

const WORKER_URL = new URL('../../workers/coordinator.js', import.meta.url)

export type CoordinatorRemote = Remote<GroupCoordinator>
export type TransactionsRemote = Remote<TransactionCoordinator>

export class CoordinatorLink implements CoordinatorApi {
  readonly remote: CoordinatorRemote
  readonly transactions: TransactionsRemote
  readonly exited: Promise<void>
  readonly #worker: Worker
  readonly #calls = new CallsInFlight()
  #alive = true
  #closing = false
  #fault: Error | null = null

  private constructor (settings: CoordinatorSettings, logger: Logger, markers: TxnMarkerWriter) {
    const { port1, port2 } = new MessageChannel()
    const txn = new MessageChannel()
    // The other way round: the coordinator asks the dispatcher to write transaction markers,
    // for EndTxn and for what it starts itself (timeouts, Prepare* completed after a restart).
    const marker = new MessageChannel()
    exposeOn(marker.port1, markers)
    this.#worker = new Worker(WORKER_URL, {
      name: 'millrace-coordinator',
      ...threadOptions(),
      workerData: { ...settings, controlPort: port2, txnPort: txn.port2, markerPort: marker.port2 },
      transferList: [port2, txn.port2, marker.port2]
    })
    this.remote = remoteOn<GroupCoordinator>(port1)
    this.transactions = remoteOn<TransactionCoordinator>(txn.port1)
    relayWorkerLogs(this.#worker, logger)
    this.#worker.on('error', (err) => { this.#fault ??= err })
    this.exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        if (!this.#closing) logger.error({ exitCode: code, err: this.#fault ?? undefined }, 'coordinator thread died; the next group request starts it again')
        this.#alive = false
        port1.close()
        txn.port1.close()
        marker.port1.close()
        this.#calls.failAll(() => this.#deadError())
        resolve()
      })
    })
  }

  static start (settings: CoordinatorSettings, logger: Logger, markers: TxnMarkerWriter): Promise<CoordinatorLink> {
    const link = new CoordinatorLink(settings, logger, markers)
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      link.#worker.once('error', onError)
      link.#worker.once('online', () => { link.#worker.off('error', onError); resolve(link) })
    })
  }

  get alive (): boolean { return this.#alive }

  /** Calls the actor, failing fast if its thread dies meanwhile (comlink alone would hang). */
  async call<T> (fn: (coordinator: CoordinatorRemote) => Promise<T>): Promise<T> {
    if (!this.#alive) throw this.#deadError()
    return await this.#calls.run(fn(this.remote))
  }

  /** As `call`, on the transaction coordinator. */
  async callTransactions<T> (fn: (transactions: TransactionsRemote) => Promise<T>): Promise<T> {
    if (!this.#alive) throw this.#deadError()
    return await this.#calls.run(fn(this.transactions))
  }

  #deadError (): Error {
    return new Error('the coordinator thread is not running', { cause: this.#fault ?? undefined })
  }

  joinGroup (req: JoinGroup): Promise<JoinGroupResult> { return this.call((c) => c.joinGroup(req)) }
  syncGroup (req: SyncGroup): Promise<SyncGroupResult> { return this.call((c) => c.syncGroup(req)) }
  heartbeat (req: Heartbeat): Promise<number> { return this.call((c) => c.heartbeat(req)) }
  leaveGroup (req: LeaveGroup): Promise<LeaveGroupResult> { return this.call((c) => c.leaveGroup(req)) }
  commitOffsets (req: CommitOffsets): Promise<CommitOffsetsResult> { return this.call((c) => c.commitOffsets(req)) }
  fetchOffsets (req: FetchOffsets): Promise<FetchOffsetsResult> { return this.call((c) => c.fetchOffsets(req)) }
  describeGroups (groupIds: string[]): Promise<GroupDetails[]> { return this.call((c) => c.describeGroups(groupIds)) }
  listGroups (req: ListGroups): Promise<ListGroupsResult> { return this.call((c) => c.listGroups(req)) }
  deleteGroups (groupIds: string[]): Promise<Array<{ groupId: string, errorCode: number }>> { return this.call((c) => c.deleteGroups(groupIds)) }
  deleteOffsets (req: DeleteOffsets): Promise<DeleteOffsetsResult> { return this.call((c) => c.deleteOffsets(req)) }
  initProducerId (req: NewProducerId): Promise<ProducerIdResult> { return this.call((c) => c.initProducerId(req)) }
  readOffsetsLog (offset: number, maxBytes: number): Promise<OffsetsLogRead> { return this.call((c) => c.readOffsetsLog(offset, maxBytes)) }
  lookupOffsetsLog (timestamp: number): Promise<OffsetsLogLookup> { return this.call((c) => c.lookupOffsetsLog(timestamp)) }
  async setTopics (topics: Record<string, number>): Promise<void> {
    await Promise.all([this.call((c) => c.setTopics(topics)), this.callTransactions((t) => t.setTopics(topics))])
  }

  // Transactions: InitProducerId with a transactional id goes here too (handlers/init-producer-id.ts).
  initTransactionalProducerId (req: InitProducerIdRequest, version: number): Promise<InitProducerIdResponse> { return this.callTransactions((t) => t.initProducerId(req, version)) }
  addPartitionsToTxn (req: AddPartitionsToTxnRequest, version: number): Promise<AddPartitionsToTxnResponse> { return this.callTransactions((t) => t.addPartitionsToTxn(req, version)) }
  addOffsetsToTxn (req: AddOffsetsToTxnRequest, version: number): Promise<AddOffsetsToTxnResponse> { return this.callTransactions((t) => t.addOffsetsToTxn(req, version)) }
  endTxn (req: EndTxnRequest, version: number): Promise<EndTxnResponse> { return this.callTransactions((t) => t.endTxn(req, version)) }
  txnOffsetCommit (req: TxnOffsetCommitRequest, version: number): Promise<TxnOffsetCommitResponse> { return this.callTransactions((t) => t.txnOffsetCommit(req, version)) }
  describeTransactions (req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> { return this.callTransactions((t) => t.describeTransactions(req)) }
  listTransactions (req: ListTransactionsRequest): Promise<ListTransactionsResponse> { return this.callTransactions((t) => t.listTransactions(req)) }
  verifyTxnPartition (producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> {
    return this.callTransactions((t) => t.verifyPartition(producerId, producerEpoch, topic, partition))
  }
  /** Test hook: runs the transaction timeout check now. */
  abortTimedOutTransactions (): Promise<void> { return this.callTransactions((t) => t.abortTimedOut()) }
  planClean (now: number): Promise<CleanPlan | null> { return this.call((c) => c.planClean(now)) }
  cleanInline (plan: CleanPlan): Promise<CleanResult> { return this.call((c) => c.cleanInline(plan)) }
  commitClean (result: CleanResult): Promise<boolean> { return this.call((c) => c.commitClean(result)) }
  /** Test hook: runs the offsets retention check now. */
  expireOffsets (now?: number): Promise<void> { return this.call((c) => c.expireOffsets(now)) }

  /** Stops the thread at once, without a clean close (tests: a coordinator that dies). */
  async kill (): Promise<void> {
    await this.#worker.terminate()
    await this.exited
  }

  async close (): Promise<void> {
    if (!this.#alive) return
    this.#closing = true
    try {
      await this.call((c) => c.close())
    } finally {
      await this.#worker.terminate()
      await this.exited
    }
  }
}
