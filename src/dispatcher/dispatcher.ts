/**
 * Dispatcher: the broker's partition side, put together from parts with one job each:
 *  - WorkerSupervisor (./worker-supervisor.ts): the partition workers, restarted when they die;
 *  - WorkerRouter (./partition-router.ts): partition requests to their worker, the view of
 *    each partition's offsets, Fetch long-polls (the `PartitionRouter` handlers use);
 *  - TopicAdmin (./topic-admin.ts): topics created, altered, deleted, restored at start;
 *  - CoordinatorHost (./coordinator-host.ts): the coordinator actor's lifecycle;
 *  plus the job pool, the log cleaner and the scrubber that work over them. Callers take the
 *  part they need (`router`, `admin`, `workers`, `coordinators`); the methods below forward to
 *  them for the callers that predate the split.
 *
 * Thread: the broker's main thread (server mode) or the host's thread (library mode). It does
 * no disk I/O: partition files belong to the workers, and start-up discovery, recovery scans
 * and deletions run in the job pool.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrokerConfig } from '../config/broker-config.js'
import { MillraceError } from '../errors.js'
import type { StoreFault } from '../log/store.js'
import type { PartitionOffsets } from '../partition/partition-spec.js'
import type { AppendAnswer, DeleteRecordsAnswer, FetchAnswer, ListOffsetAnswer } from '../partition/frame-codec.js'
import { JobPool } from './job-pool.js'
import { TopicTable, type PartitionState, type TopicState } from './topic-table.js'
import { releaseEarlyWorkers } from './early-workers.js'
import { LogCleaner, type Cleanable, type CleanPassReport } from './log-cleaner.js'
import type { CoordinatorLink } from './coordinator-link.js'
import { CoordinatorHost } from './coordinator-host.js'
import { WorkerRouter, type Acks } from './partition-router.js'
import { ReplicationController } from '../replication/replication-controller.js'
import { TopicAdmin } from './topic-admin.js'
import { WorkerSupervisor } from './worker-supervisor.js'
import { Scrubber, type Scrubbable, type ScrubPassReport } from './scrubber.js'
import { silentLogger, type Logger } from '../logger.js'
import { OFFSETS_DIR } from '../coordinator/offsets-topic.js'
import { TXN_LOG_DIR } from '../transactions/txn-log-names.js'
import { TxnProduceGate } from '../transactions/txn-produce-gate.js'
import { LOCK_FILE } from '../data-dir/lock.js'
import type { TxnMarkerRequest, TxnMarkerResult, TxnMarkerWriter } from '../transactions/txn-markers.js'

export class Dispatcher implements TxnMarkerWriter {
  readonly config: BrokerConfig
  readonly logger: Logger
  readonly topics = new TopicTable()
  readonly workers: WorkerSupervisor
  readonly router: WorkerRouter
  readonly admin: TopicAdmin
  readonly coordinators: CoordinatorHost
  /** Partitions with several replicas: placement, leaders, followers, failover (../replication/replication-controller.ts). */
  readonly replication: ReplicationController
  #jobs: JobPool | null = null
  readonly #cleaner: LogCleaner
  /** Null for a broker in memory or with scrubBytesPerSecond 0. */
  readonly #scrubber: Scrubber | null
  #closed = false
  /** Transactional appends: their partition must be in the producer's transaction (txn-produce-gate.ts). */
  readonly txnProduceGate = new TxnProduceGate(async (producerId, producerEpoch, topic, partition) =>
    await (await this.coordinator()).verifyTxnPartition(producerId, producerEpoch, topic, partition))

  private constructor (config: BrokerConfig, logger: Logger) {
    this.config = config
    this.logger = logger
    const partitionLog = logger.child({ subsystem: 'partition' })
    const closed = (): boolean => this.#closed
    this.workers = new WorkerSupervisor({
      config,
      logger: partitionLog,
      topics: this.topics,
      reopen: (p) => this.admin.reopen(p),
      replicasLost: (index, cause) => this.replication.workerLost(index, cause),
      replicasBack: (index) => this.replication.workerBack(index),
      closed
    })
    this.router = new WorkerRouter(this.workers, this.topics, logger)
    this.replication = new ReplicationController({
      config,
      logger: logger.child({ subsystem: 'replication' }),
      topics: this.topics,
      link: (index) => this.workers.link(index),
      openReplica: (topic, p, opening) => this.admin.openReplica(topic, p, opening),
      committed: (p, hw) => this.router.committed(p, hw),
      leaderOffsets: (p, answer) => this.router.leaderOffsets(p, answer),
      leaderChanged: (p) => this.router.wake(p)
    })
    this.coordinators = new CoordinatorHost({
      config,
      logger: logger.child({ subsystem: 'coordinator' }),
      topics: this.topics,
      largestProducerId: () => this.admin.largestProducerId,
      markers: {
        writeTxnMarkers: async (request) => {
          this.txnProduceGate.forget(request.producerId)
          return await this.router.writeTxnMarkers(request)
        }
      },
      closed
    })
    this.admin = new TopicAdmin({
      config,
      logger,
      partitionLogger: partitionLog,
      topics: this.topics,
      workers: this.workers,
      router: this.router,
      replication: this.replication,
      jobs: () => this.#jobs,
      topicsChanged: () => this.coordinators.topicsChanged(),
      closed
    })
    this.#cleaner = new LogCleaner({
      intervalMs: config.cleanerIntervalMs,
      runJob: (plan) => this.#jobs!.clean(plan),
      partitions: () => this.#compactedPartitions(),
      logger: logger.child({ subsystem: 'cleaner' })
    })
    this.#scrubber = config.dataDirs.length === 0 || config.scrubBytesPerSecond === 0
      ? null
      : new Scrubber({
        intervalMs: config.scrubIntervalMs,
        bytesPerSecond: config.scrubBytesPerSecond,
        runJob: (task) => this.#jobs!.scrub(task),
        partitions: () => this.#scrubbablePartitions(),
        logger: partitionLog.child({ job: 'scrub' })
      })
    this.coordinators.registerLogs(this.#cleaner)
  }

  static async start (config: BrokerConfig, logger: Logger = silentLogger): Promise<Dispatcher> {
    const dispatcher = new Dispatcher(config, logger)
    try {
      await dispatcher.#start()
    } catch (err) {
      await dispatcher.close().catch(() => {})
      throw err
    }
    return dispatcher
  }

  async #start (): Promise<void> {
    const { dataDir, dataDirs } = this.config
    const discovery = dataDir === null
      ? null
      : Promise.all(dataDirs.map(hasEntries)).then(async (found) => {
        // New or empty data dirs have nothing to discover or recover: the pool starts when a job needs it.
        const jobs = await JobPool.create(this.config.jobThreads)
        this.#jobs = jobs
        return found.includes(true) ? await jobs.discover(dataDirs) : { partitions: [], unloadable: [], pendingDeletes: [] }
      })
    const [found] = await Promise.all([discovery, this.workers.start()])
    releaseEarlyWorkers()
    if (found !== null) {
      for (const dir of found.pendingDeletes) void this.#jobs!.deleteDir(dir).catch(() => {})
      await this.admin.restore(found.partitions, found.unloadable)
    }
    this.replication.start()
    this.#cleaner.start()
    this.#scrubber?.start()
    // Groups were used here before: rebuild the coordinator's state now, as Kafka loads its
    // offsets topic at start, rather than on the first group request.
    // Transactions too: a Prepare* is completed and open transactions' timeouts are re-armed.
    if (dataDir !== null && (await hasEntries(join(dataDir, OFFSETS_DIR)) || await hasEntries(join(dataDir, TXN_LOG_DIR)))) void this.coordinator().catch(() => {})
  }

  // --- log cleaner

  /** Test hook: one full cleaner pass now; resolves when it is done. */
  cleanNow (): Promise<CleanPassReport> { return this.#cleaner.cleanNow() }

  // --- scrubber

  /** Test hook: one full scrub pass now; resolves when it is done. Throws when the scrubber is off. */
  async scrubNow (): Promise<ScrubPassReport> {
    if (this.#scrubber === null) throw new MillraceError('MR_ERR_INVALID_OPTION', 'the scrubber is off (a broker in memory, or scrubBytesPerSecond 0)')
    return await this.#scrubber.scrubNow()
  }

  * #scrubbablePartitions (): Iterable<Scrubbable> {
    for (const topic of this.topics.all()) {
      for (const p of topic.partitions) {
        if (p === undefined || !p.online) continue
        yield {
          name: `${topic.name}-${p.partition}`,
          planScrub: () => this.workers.linkOf(p).call((c) => c.planScrub(p.id)),
          markDamaged: (segmentBase, size, position, why) => this.workers.linkOf(p).call((c) => c.markDamaged(p.id, segmentBase, size, position, why))
        }
      }
    }
  }

  * #compactedPartitions (): Iterable<Cleanable> {
    for (const topic of this.topics.all()) {
      const policy = topic.overrides['cleanup.policy'] ?? this.config.topicDefaults['cleanup.policy'] ?? 'delete'
      if (!policy.includes('compact')) continue
      for (const p of topic.partitions) {
        if (p === undefined || !p.online) continue
        yield {
          name: `${topic.name}-${p.partition}`,
          planClean: (now) => this.workers.linkOf(p).call((c) => c.planClean(p.id, now)),
          cleanInline: (plan) => this.workers.linkOf(p).call((c) => c.cleanInline(p.id, plan)),
          commitClean: (result) => this.workers.linkOf(p).call((c) => c.commitClean(p.id, result))
        }
      }
    }
  }

  // --- topics (./topic-admin.ts)

  topic (name: string): TopicState | undefined { return this.topics.get(name) }

  partition (topic: string, partition: number): PartitionState | undefined {
    return this.topics.get(topic)?.partitions[partition]
  }

  offlineTopics (): string[] { return this.admin.offlineTopics() }
  offlineTopicProblems (): Array<{ topic: string, problem: string }> { return this.admin.offlineTopicProblems() }
  offlinePartitionCount (): number { return this.admin.offlinePartitionCount() }
  offlineTopicError (name: string): MillraceError | null { return this.admin.offlineTopicError(name) }
  validateNewTopic (name: string, partitions: number, overrides: Record<string, string>, replicationFactor?: number): void { this.admin.validateNewTopic(name, partitions, overrides, replicationFactor) }
  createTopic (name: string, partitions: number, overrides: Record<string, string> = {}, replicationFactor?: number): Promise<TopicState> { return this.admin.createTopic(name, partitions, overrides, replicationFactor) }
  replicationFactorError (name: string, replicationFactor: number): MillraceError | null { return this.admin.replicationFactorError(name, replicationFactor) }
  createPartitions (name: string, total: number): Promise<void> { return this.admin.createPartitions(name, total) }
  deleteTopic (name: string): Promise<void> { return this.admin.deleteTopic(name) }
  alterTopicConfig (name: string, overrides: Record<string, string>): Promise<void> { return this.admin.alterTopicConfig(name, overrides) }
  describePartition (p: PartitionState): Promise<PartitionOffsets | null> { return this.admin.describePartition(p) }

  // --- workers (./worker-supervisor.ts)

  get workerRestarts (): number { return this.workers.restarts }
  ringUsage (): Array<{ worker: number, requestBytes: number, responseBytes: number, capacityBytes: number }> { return this.workers.ringUsage() }
  crashWorkerOf (p: PartitionState): Promise<void> { return this.workers.crashWorkerOf(p) }
  /** OffsetForLeaderEpoch on the partition's log: [epoch found, its end offset], [-1, -1] when unknown. */
  endOffsetForEpoch (p: PartitionState, epoch: number): Promise<[number, number]> { return this.workers.linkOf(p).endOffsetForEpoch(p.id, epoch) }
  injectStorageFault (p: PartitionState, fault: StoreFault): Promise<void> { return this.workers.injectStorageFault(p, fault) }
  whenOnline (timeoutMs = 10_000): Promise<void> { return this.workers.whenOnline(timeoutMs) }

  // --- coordinator (./coordinator-host.ts)

  get coordinatorRunning (): boolean { return this.coordinators.running }
  coordinator (): Promise<CoordinatorLink> { return this.coordinators.coordinator() }

  // --- data plane (./partition-router.ts)

  get maxAppendBytes (): number { return this.router.maxAppendBytes }
  append (p: PartitionState, batches: Uint8Array, acks: Acks = 1): Promise<AppendAnswer> { return this.router.append(p, batches, acks) }
  fetch (p: PartitionState, offset: number, maxBytes: number, isolation = 0): Promise<FetchAnswer> { return this.router.fetch(p, offset, maxBytes, isolation) }
  listOffset (p: PartitionState, timestamp: number, isolation = 0): Promise<ListOffsetAnswer> { return this.router.listOffset(p, timestamp, isolation) }
  deleteRecords (p: PartitionState, offset: number): Promise<DeleteRecordsAnswer> { return this.router.deleteRecords(p, offset) }
  writeTxnMarkers (request: TxnMarkerRequest): Promise<TxnMarkerResult[]> { return this.router.writeTxnMarkers(request) }
  appendCounts (partitions: readonly PartitionState[]): number[] { return this.router.appendCounts(partitions) }
  waitForData (partitions: readonly PartitionState[], maxWaitMs: number, seen?: readonly number[], stop?: AbortSignal): Promise<void> {
    return this.router.waitForData(partitions, maxWaitMs, seen, stop)
  }

  parkedPolls (p: PartitionState): number { return this.router.parkedPolls(p) }

  // --- lifecycle

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.router.close()
    this.replication.close()
    await this.#cleaner.stop()
    await this.#scrubber?.stop()
    await this.coordinators.close()
    await this.workers.close()
    await this.#jobs?.close()
  }
}

/**
 * Whether `dir` holds anything but the data dir's lock file (an async readdir: the dispatcher's
 * thread never blocks on the disk).
 */
async function hasEntries (dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((name) => name !== LOCK_FILE)
  } catch {
    return false
  }
}
