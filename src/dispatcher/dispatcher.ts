/**
 * Dispatcher: routes partition requests to the worker that hosts each partition, holds Fetch
 * long-polls, keeps the topic table, and restarts workers that die.
 *
 * Thread: the broker's main thread (server mode) or the host's thread (library mode). It does
 * no disk I/O: partition files belong to the workers, and start-up discovery, recovery scans
 * and deletions run in the job pool. Its state (topic table, waiters) is touched only here.
 */
import { channel } from 'node:diagnostics_channel'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrokerConfig } from '../config/broker-config.js'
import { MillraceError } from '../errors.js'
import { LogStatus } from '../log/errors.js'
import type { StoreFault } from '../log/store.js'
import { topicNameProblem } from '../config/topic-name.js'
import { topicConfigProblem } from '../config/topic-config.js'
import { replicaDirName, type DiscoveredPartition, type PartitionOffsets, type PartitionSpec, type UnloadablePartition } from '../partition/partition-spec.js'
import { duplicateReplicas } from './discovered-replicas.js'
import { replicationFactorError } from './replication-factor.js'
import { JobPool } from './job-pool.js'
import { logRecoveryFindings } from '../log/recovery-findings.js'
import { TopicTable, type PartitionState, type TopicState } from './topic-table.js'
import { WorkerLink, type PartitionAnswer } from './worker-link.js'
import { releaseEarlyWorkers } from './early-workers.js'
import { appendedTail } from './appended-tail.js'
import { countIn } from './traffic.js'
import { LogCleaner, type Cleanable, type CleanPassReport } from './log-cleaner.js'
import { CoordinatorLink } from './coordinator-link.js'
import { Scrubber, type Scrubbable, type ScrubPassReport } from './scrubber.js'
import { LogRateLimiter, silentLogger, type Logger } from '../logger.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { kafkaCodeOf } from '../server/status.js'
import { OFFSETS_DIR, OFFSETS_TOPIC } from '../coordinator/offsets-topic.js'
import { TXN_LOG_DIR } from '../transactions/txn-log-names.js'
import { TxnProduceGate } from '../transactions/txn-produce-gate.js'
import { LOCK_FILE } from '../data-dir/lock.js'
import type { TxnMarkerRequest, TxnMarkerResult, TxnMarkerWriter } from '../transactions/txn-markers.js'

const faultChannel = channel('millrace:partition:fault')
const restartChannel = channel('millrace:partition:restart')
/** The bytes of an empty read. */
const NO_BYTES = Buffer.alloc(0)

/** At most one log line per offline topic per this interval for refused creates (clients retry Metadata often). */
const OFFLINE_REFUSAL_LOG_INTERVAL_MS = 60_000

/** Most partitions one broker hosts; a guard against a typo creating millions of directories. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000

interface Waiter {
  resolve: () => void
  timer: NodeJS.Timeout
  ids: readonly number[]
}

export class Dispatcher implements TxnMarkerWriter {
  readonly config: BrokerConfig
  readonly logger: Logger
  readonly #workerLog: Logger
  readonly topics = new TopicTable()
  readonly #links: WorkerLink[] = []
  #jobs: JobPool | null = null
  readonly #waiters = new Map<number, Set<Waiter>>()
  readonly #cleaner: LogCleaner
  /** Null for a broker in memory or with scrubBytesPerSecond 0. */
  readonly #scrubber: Scrubber | null
  #coordinatorLink: CoordinatorLink | null = null
  #coordinatorStarting: Promise<CoordinatorLink> | null = null
  /**
   * The largest producer id the partitions held when opened: the coordinator starts its ids
   * above it if its block file is lost (producer-ids.ts). Every partition is open before the
   * coordinator first starts.
   */
  #largestProducerId = -1
  /**
   * Topics with a partition directory that could not be loaded at start, and why. They stay
   * offline (none of their directories is opened or touched) until an operator repairs or
   * moves the files and restarts, as Kafka takes a log dir offline rather than guess.
   */
  readonly #offlineTopics = new Map<string, string>()
  readonly #offlineRefusals = new LogRateLimiter(OFFLINE_REFUSAL_LOG_INTERVAL_MS)
  /** Auto-creating clients ask again and again: one line per topic a minute. */
  readonly #replicationRefusals = new LogRateLimiter(OFFLINE_REFUSAL_LOG_INTERVAL_MS)
  /** Partition directories of the offline topics (each is an offline partition). */
  #offlineDirs = 0
  #workerRestarts = 0
  #closed = false
  /** Transactional appends: their partition must be in the producer's transaction (txn-produce-gate.ts). */
  readonly txnProduceGate = new TxnProduceGate(async (producerId, producerEpoch, topic, partition) =>
    await (await this.coordinator()).verifyTxnPartition(producerId, producerEpoch, topic, partition))

  private constructor (config: BrokerConfig, logger: Logger) {
    this.config = config
    this.logger = logger
    this.#workerLog = logger.child({ subsystem: 'partition' })
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
        logger: this.#workerLog.child({ job: 'scrub' })
      })
    // The coordinator's offsets log is compacted like a topic, whichever actor holds it now.
    const running = (): CoordinatorLink | null => this.#coordinatorLink?.alive === true ? this.#coordinatorLink : null
    this.#cleaner.register({
      name: OFFSETS_DIR,
      planClean: async (now) => await running()?.planClean(now) ?? null,
      cleanInline: async (plan) => {
        const link = running()
        if (link === null) throw new Error('the coordinator is not running')
        return await link.cleanInline(plan)
      },
      commitClean: async (result) => await running()?.commitClean(result) ?? false
    })
    this.#cleaner.register({
      name: TXN_LOG_DIR,
      planClean: async (now) => await running()?.callTransactions((t) => t.planClean(now)) ?? null,
      cleanInline: async (plan) => {
        const link = running()
        if (link === null) throw new Error('the coordinator is not running')
        return await link.callTransactions((t) => t.cleanInline(plan))
      },
      commitClean: async (result) => await running()?.callTransactions((t) => t.commitClean(result)) ?? false
    })
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
    const links = Promise.all(Array.from({ length: this.config.workers }, (_, index) => this.#spawn(index)))
    const [found] = await Promise.all([discovery, links.then((l) => { this.#links.push(...l) })])
    releaseEarlyWorkers()
    if (found !== null) {
      for (const dir of found.pendingDeletes) void this.#jobs!.deleteDir(dir).catch(() => {})
      await this.#restore(found.partitions, found.unloadable)
    }
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
        const link = (): WorkerLink => this.#links[p.worker]
        yield {
          name: `${topic.name}-${p.partition}`,
          planScrub: () => link().call((c) => c.planScrub(p.id)),
          markDamaged: (segmentBase, size, position, why) => link().call((c) => c.markDamaged(p.id, segmentBase, size, position, why))
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
        const link = (): WorkerLink => this.#links[p.worker]
        yield {
          name: `${topic.name}-${p.partition}`,
          planClean: (now) => link().call((c) => c.planClean(p.id, now)),
          cleanInline: (plan) => link().call((c) => c.cleanInline(p.id, plan)),
          commitClean: (result) => link().call((c) => c.commitClean(p.id, result))
        }
      }
    }
  }

  #spawn (index: number): Promise<WorkerLink> {
    return WorkerLink.start({
      index,
      ringBytes: this.config.ringBytes,
      dataDir: this.config.dataDir,
      topicDefaults: this.config.topicDefaults,
      retentionCheckIntervalMs: this.config.retentionCheckIntervalMs,
      logger: this.#workerLog,
      onExit: (link, cause) => { void this.#restartWorker(link, cause) }
    })
  }

  /**
   * Rebuilds the topic table from what a data-dir scan found, recovering partitions in parallel.
   * A topic with any unloadable directory is left out whole: serving part of it would hide the rest.
   */
  async #restore (found: DiscoveredPartition[], unloadable: UnloadablePartition[]): Promise<void> {
    const refused = [...unloadable, ...topicIdConflicts(found), ...duplicateReplicas(found)]
    for (const u of refused) {
      this.logger.error({ dir: u.dir, topic: u.topic, partition: u.partition, problem: u.problem },
        `partition directory ${u.dir} cannot be loaded: ${u.problem}; topic '${u.topic}' stays offline and its directories are kept as they are`)
      if (!this.#offlineTopics.has(u.topic)) this.#offlineTopics.set(u.topic, `${u.dir}: ${u.problem}`)
    }
    const logged = new Set(refused.map((u) => u.dir))
    const heldBack = found.filter((d) => this.#offlineTopics.has(d.topic) && !logged.has(d.dir))
    for (const d of heldBack) this.logger.warn({ dir: d.dir, topic: d.topic, partition: d.partition }, `partition directory ${d.dir} is not loaded: its topic '${d.topic}' is offline`)
    this.#offlineDirs = logged.size + heldBack.length
    found = found.filter((d) => !this.#offlineTopics.has(d.topic))
    // Until replication lands only replica 0 is served; other copies are kept untouched.
    for (const d of found) if (d.replica !== 0) this.logger.warn({ dir: d.dir, topic: d.topic, partition: d.partition, replica: d.replica }, `replica directory ${d.dir} is not loaded: this broker serves replica 0 only`)
    found = found.filter((d) => d.replica === 0)
    found.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    const opened: Array<Promise<void>> = []
    for (const d of found) {
      let topic = this.topics.get(d.topic)
      if (topic === undefined) topic = this.topics.addTopic(d.topic, d.topicId, d.overrides)
      const p = this.topics.addPartition(topic, d.partition, this.topics.leastLoadedWorker(this.#links.length), d.dataDir)
      opened.push(this.#recoverAndOpen(topic, p))
    }
    await Promise.all(opened)
    for (const topic of this.topics.all()) {
      for (let i = 0; i < topic.partitions.length; i++) {
        if (topic.partitions[i] === undefined) throw new MillraceError('MR_ERR_STORAGE', `topic '${topic.name}' is missing partition ${i} in ${this.config.dataDirs.join(', ')}`)
      }
    }
  }

  async #recoverAndOpen (topic: TopicState, p: PartitionState): Promise<void> {
    if (this.#jobs !== null) {
      const dir = join(p.dataDir ?? this.config.dataDir!, replicaDirName(topic.name, p.partition, p.replica))
      const report = await this.#jobs.recover(dir, { ...this.config.topicDefaults }, topic.overrides)
      if (report !== null) logRecoveryFindings(this.#workerLog, dir, report)
    }
    await this.#open(topic, p, false)
  }

  #spec (topic: TopicState, p: PartitionState): PartitionSpec {
    return { id: p.id, topic: topic.name, topicId: topic.topicId, partition: p.partition, overrides: topic.overrides, leaderEpoch: p.leaderEpoch, replica: p.replica, dataDir: p.dataDir }
  }

  async #open (topic: TopicState, p: PartitionState, create: boolean): Promise<void> {
    const link = this.#links[p.worker]
    const opened = await link.call((c) => c.openPartition(this.#spec(topic, p), create))
    this.#largestProducerId = Math.max(this.#largestProducerId, opened.largestProducerId)
    this.#update(p, opened)
    p.online = true
  }

  #update (p: PartitionState, offsets: PartitionOffsets): void {
    p.tail = null
    p.logStartOffset = offsets.logStartOffset
    p.highWatermark = offsets.highWatermark
    p.logEndOffset = offsets.logEndOffset
    p.lastStableOffset = offsets.lastStableOffset
  }

  async #restartWorker (dead: WorkerLink, cause: Error): Promise<void> {
    const hosted = [...this.topics.partitions()].filter((p) => p.worker === dead.index)
    for (const p of hosted) p.online = false
    if (faultChannel.hasSubscribers) faultChannel.publish({ worker: dead.index, cause, partitions: hosted.length })
    if (this.#closed) return
    this.#workerLog.error({ worker: dead.index, err: cause, partitions: hosted.length }, 'partition worker died; restarting it and recovering its partitions')
    this.#workerRestarts++
    try {
      const link = await this.#spawn(dead.index)
      if (this.#closed) { await link.close(); return }
      this.#links[dead.index] = link
      await Promise.all(hosted.map(async (p) => {
        const topic = this.topics.get(p.topic)
        if (topic === undefined || topic.partitions[p.partition] !== p) return
        p.leaderEpoch++
        await this.#recoverAndOpen(topic, p)
      }))
      if (restartChannel.hasSubscribers) restartChannel.publish({ worker: dead.index, partitions: hosted.length })
      this.#workerLog.info({ worker: dead.index, partitions: hosted.length }, 'partition worker restarted; its partitions are online again')
    } catch (err) {
      if (faultChannel.hasSubscribers) faultChannel.publish({ worker: dead.index, cause: err, partitions: hosted.length })
      this.#workerLog.error({ worker: dead.index, err, partitions: hosted.length }, 'partition worker restart failed; its partitions stay offline')
    }
  }

  // --- topics

  topic (name: string): TopicState | undefined { return this.topics.get(name) }

  partition (topic: string, partition: number): PartitionState | undefined {
    return this.topics.get(topic)?.partitions[partition]
  }

  /** Names of the topics left offline at start (see #offlineTopics). */
  offlineTopics (): string[] { return [...this.#offlineTopics.keys()].sort() }

  /** Each offline topic and the directory problem that keeps it offline. */
  offlineTopicProblems (): Array<{ topic: string, problem: string }> {
    return this.offlineTopics().map((topic) => ({ topic, problem: this.#offlineTopics.get(topic)! }))
  }

  /** Partitions not serving now: those of offline topics and those whose worker is restarting. */
  offlinePartitionCount (): number {
    let count = this.#offlineDirs
    for (const p of this.topics.partitions()) if (!p.online) count++
    return count
  }

  /** Partition workers restarted after dying since start. */
  get workerRestarts (): number { return this.#workerRestarts }

  /** Each worker's ring usage now (./worker-link.ts ringUsage). */
  ringUsage (): Array<{ worker: number, requestBytes: number, responseBytes: number, capacityBytes: number }> {
    return this.#links.map((link) => ({ worker: link.index, ...link.ringUsage() }))
  }

  /**
   * The error for a request that would create, or find, topic `name` while it is offline (a
   * KAFKA_STORAGE_ERROR, logged at most once a minute per topic); null when it is not offline.
   */
  offlineTopicError (name: string): MillraceError | null {
    const problem = this.#offlineTopics.get(name)
    if (problem === undefined) return null
    const message = `topic '${name}' is offline: partition directory ${problem}; it is not created again over that data (repair or move the directory away, then restart)`
    const heldBack = this.#offlineRefusals.admit(name)
    if (heldBack !== null) this.logger.error({ topic: name, refusedSinceLastLine: heldBack }, `refused a request for offline topic '${name}'`)
    return new MillraceError('MR_ERR_STORAGE', message, { kafkaCode: KafkaCode.KAFKA_STORAGE_ERROR })
  }

  /** Checks a create-topic request without creating anything; throws MillraceError. */
  validateNewTopic (name: string, partitions: number, overrides: Record<string, string>, replicationFactor = this.config.defaultReplicationFactor): void {
    const nameProblem = topicNameProblem(name)
    if (nameProblem !== null) throw new MillraceError('MR_ERR_INVALID_OPTION', `topic name ${nameProblem}`)
    const offline = this.offlineTopicError(name)
    if (offline !== null) throw offline
    if (name === OFFSETS_TOPIC) throw new MillraceError('MR_ERR_TOPIC_EXISTS', `topic '${name}' is the coordinator's internal topic`)
    if (this.topics.has(name)) throw new MillraceError('MR_ERR_TOPIC_EXISTS', `topic '${name}' already exists`)
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC) {
      throw new MillraceError('MR_ERR_INVALID_OPTION', `partitions must be an integer from 1 to ${MAX_PARTITIONS_PER_TOPIC}`)
    }
    const refused = this.replicationFactorError(name, replicationFactor)
    if (refused !== null) throw refused
    const configProblem = topicConfigProblem(overrides, this.config.topicDefaults)
    if (configProblem !== null) throw new MillraceError('MR_ERR_INVALID_OPTION', configProblem)
  }

  /**
   * Null when topic `name` may have `replicationFactor` replicas, else the refusal
   * (INVALID_REPLICATION_FACTOR), logged: a client sees only the error code and message.
   */
  replicationFactorError (name: string, replicationFactor: number): MillraceError | null {
    const refused = replicationFactorError(replicationFactor, this.#links.length)
    if (refused === null) return null
    const heldBack = this.#replicationRefusals.admit(name)
    if (heldBack !== null) this.logger.warn({ topic: name, replicationFactor, workers: this.#links.length, refusedSinceLastLine: heldBack }, `refused to create topic '${name}': ${refused.message}`)
    return refused
  }

  async createTopic (name: string, partitions: number, overrides: Record<string, string> = {}, replicationFactor = this.config.defaultReplicationFactor): Promise<TopicState> {
    this.#assertOpen()
    this.validateNewTopic(name, partitions, overrides, replicationFactor)
    const topic = this.topics.addTopic(name, TopicTable.newTopicId(), { ...overrides })
    try {
      await this.#addPartitions(topic, partitions)
    } catch (err) {
      await this.#dropPartitions(topic.partitions).catch(() => {})
      this.topics.removeTopic(name)
      throw new MillraceError('MR_ERR_STORAGE', `could not create topic '${name}': ${(err as Error).message}`, { cause: err, kafkaCode: KafkaCode.KAFKA_STORAGE_ERROR })
    }
    this.#topicsChanged()
    return topic
  }

  async #addPartitions (topic: TopicState, total: number): Promise<void> {
    const added: PartitionState[] = []
    for (let i = topic.partitions.length; i < total; i++) {
      added.push(this.topics.addPartition(topic, i, this.topics.leastLoadedWorker(this.#links.length), this.topics.leastLoadedDataDir(this.config.dataDirs)))
    }
    await Promise.all(added.map((p) => this.#open(topic, p, true)))
  }

  async createPartitions (name: string, total: number): Promise<void> {
    this.#assertOpen()
    const topic = this.#requireTopic(name)
    if (!Number.isInteger(total) || total <= topic.partitions.length || total > MAX_PARTITIONS_PER_TOPIC) {
      throw new MillraceError('MR_ERR_INVALID_OPTION', `topic '${name}' has ${topic.partitions.length} partitions; the new count must be an integer above that and at most ${MAX_PARTITIONS_PER_TOPIC}`)
    }
    const before = topic.partitions.length
    try {
      await this.#addPartitions(topic, total)
    } catch (err) {
      // None of the new partitions stays: those that opened are new and empty, and go.
      await this.#dropPartitions(this.topics.removePartitionsFrom(topic, before)).catch(() => {})
      throw new MillraceError('MR_ERR_STORAGE', `could not add partitions to topic '${name}': ${(err as Error).message}`, { cause: err, kafkaCode: KafkaCode.KAFKA_STORAGE_ERROR })
    }
    this.#topicsChanged()
  }

  async deleteTopic (name: string): Promise<void> {
    this.#assertOpen()
    if (name === OFFSETS_TOPIC) throw new MillraceError('MR_ERR_INVALID_OPTION', `topic '${name}' is the coordinator's internal topic and cannot be deleted`)
    const topic = this.#requireTopic(name)
    this.topics.removeTopic(name)
    this.#topicsChanged()
    await this.#dropPartitions(topic.partitions)
  }

  async #dropPartitions (partitions: readonly PartitionState[]): Promise<void> {
    await Promise.all(partitions.map(async (p) => {
      p.online = false
      this.#wake(p.id)
      const link = this.#links[p.worker]
      if (!link.alive) return
      const doomed = await link.call((c) => c.deletePartition(p.id))
      if (doomed !== null && this.#jobs !== null) await this.#jobs.deleteDir(doomed)
    }))
  }

  async alterTopicConfig (name: string, overrides: Record<string, string>): Promise<void> {
    this.#assertOpen()
    const topic = this.#requireTopic(name)
    const problem = topicConfigProblem(overrides, this.config.topicDefaults)
    if (problem !== null) throw new MillraceError('MR_ERR_INVALID_OPTION', problem)
    topic.overrides = { ...overrides }
    await Promise.all(topic.partitions.map((p) => this.#links[p.worker].call((c) => c.alterConfig(p.id, topic.overrides))))
  }

  async describePartition (p: PartitionState): Promise<PartitionOffsets | null> {
    const link = this.#links[p.worker]
    if (!p.online || !link.alive) return null
    const offsets = await link.call((c) => c.describe(p.id))
    if (offsets !== null) this.#update(p, offsets)
    return offsets
  }

  #requireTopic (name: string): TopicState {
    const topic = this.topics.get(name)
    if (topic === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${name}'`)
    return topic
  }

  #assertOpen (): void {
    if (this.#closed) throw new MillraceError('MR_ERR_CLOSED', 'the broker is closed')
  }

  // --- coordinator

  /**
   * The coordinator actor (groups, committed offsets, producer ids), started on first use and
   * started again if its thread died.
   */
  /** Whether the coordinator actor runs now (the metrics read group lag only then, rather than start it). */
  get coordinatorRunning (): boolean { return this.#coordinatorLink?.alive === true }

  coordinator (): Promise<CoordinatorLink> {
    if (this.#closed) return Promise.reject(new MillraceError('MR_ERR_CLOSED', 'the broker is closed'))
    const link = this.#coordinatorLink
    if (link !== null && link.alive) return Promise.resolve(link)
    this.#coordinatorStarting ??= this.#startCoordinator().finally(() => { this.#coordinatorStarting = null })
    return this.#coordinatorStarting
  }

  async #startCoordinator (): Promise<CoordinatorLink> {
    const c = this.config
    const link = await CoordinatorLink.start({
      dataDir: c.dataDir,
      initialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: c.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: c.groupMaxSessionTimeoutMs,
      offsetsRetentionMs: c.offsetsRetentionMinutes * 60_000,
      offsetMetadataMaxBytes: c.offsetMetadataMaxBytes,
      largestProducerIdInLogs: this.#largestProducerId,
      logOverrides: { 'segment.bytes': String(c.offsetsTopicSegmentBytes) },
      transactionMaxTimeoutMs: c.transactionMaxTimeoutMs
    }, this.logger.child({ subsystem: 'coordinator' }), {
      writeTxnMarkers: async (request) => {
        this.txnProduceGate.forget(request.producerId)
        return await this.writeTxnMarkers(request)
      }
    })
    try {
      await link.setTopics(this.#topicCounts())
    } catch (err) {
      await link.close().catch(() => {})
      throw err
    }
    if (this.#closed) {
      await link.close()
      throw new MillraceError('MR_ERR_CLOSED', 'the broker is closed')
    }
    this.#coordinatorLink = link
    return link
  }

  #topicCounts (): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const t of this.topics.all()) counts[t.name] = t.partitions.length
    return counts
  }

  /** Tells a running coordinator about topic changes (messages to it keep their order). */
  #topicsChanged (): void {
    const link = this.#coordinatorLink
    if (link !== null && link.alive) void link.setTopics(this.#topicCounts()).catch(() => {})
  }

  // --- data plane

  /** Largest record-batch payload one append may carry (the ring's frame limit). */
  get maxAppendBytes (): number { return this.#links[0]?.maxRequestPayload ?? 0 }

  async append (p: PartitionState, batches: Uint8Array): Promise<PartitionAnswer> {
    const epoch = p.leaderEpoch
    const answer = p.online ? await this.#links[p.worker].append(p.id, epoch, batches) : offline()
    const previousEnd = p.highWatermark
    this.#observe(p, answer)
    if (answer.status === LogStatus.Ok) {
      p.appends++
      countIn(p, batches)
      p.tail = null
      // Long-polls are waiting: keep the batches for them. Only a fresh append (an idempotent
      // duplicate answers with older offsets) and only without LogAppendTime (answer.b ≥ 0),
      // whose stamp and CRC the worker rewrites.
      if (this.parkedPolls(p) > 0 && answer.a === previousEnd && answer.b < 0) {
        const tail = appendedTail(batches, answer.a, epoch)
        if (tail !== null && tail.endOffset === answer.highWatermark) {
          p.tail = tail
          // The woken polls read it in this turn of the event loop; after that it is only memory.
          setImmediate(() => { if (p.tail === tail) p.tail = null })
        }
      }
      this.#wake(p.id)
    }
    return answer
  }

  async fetch (p: PartitionState, offset: number, maxBytes: number, isolation = 0): Promise<PartitionAnswer> {
    // read_committed may take the dispatcher's shortcut only while no transaction holds the LSO back.
    const known = p.online && (isolation === 0 || p.lastStableOffset === p.highWatermark) ? this.#answerFromView(p, offset, maxBytes) : null
    if (known !== null) return known
    const answer = p.online ? await this.#links[p.worker].fetch(p.id, offset, maxBytes, isolation) : offline()
    this.#observe(p, answer)
    return answer
  }

  /**
   * The reads the dispatcher answers without the partition's worker. The high watermark here is
   * the one in the worker's last answer (answers arrive in order, and it only grows), so a
   * consumer that is caught up gets an empty answer at once, and a long-poll woken by an
   * append gets the appended batches it asked for. Anything else goes to the worker.
   */
  #answerFromView (p: PartitionState, offset: number, maxBytes: number): PartitionAnswer | null {
    const hw = p.highWatermark
    const tail = p.tail
    const bytes = offset === hw
      ? NO_BYTES
      : tail !== null && offset === tail.baseOffset && tail.endOffset === hw && offset >= p.logStartOffset && tail.bytes.length <= maxBytes ? tail.bytes : null
    if (bytes === null) return null
    return { status: LogStatus.Ok, a: hw, b: -1, highWatermark: hw, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, lastStableOffset: hw, bytes, fault: null, abortedTransactions: null }
  }

  /** `isolation` 1 (read_committed) answers the last stable offset for latest (-1). */
  async listOffset (p: PartitionState, timestamp: number, isolation = 0): Promise<PartitionAnswer> {
    const answer = p.online ? await this.#links[p.worker].listOffset(p.id, timestamp, isolation) : offline()
    this.#observe(p, answer)
    return answer
  }

  async deleteRecords (p: PartitionState, offset: number): Promise<PartitionAnswer> {
    const answer = p.online ? await this.#links[p.worker].deleteRecords(p.id, offset) : offline()
    this.#observe(p, answer)
    return answer
  }

  #observe (p: PartitionState, answer: PartitionAnswer): void {
    if (answer.highWatermark < 0) return
    p.highWatermark = answer.highWatermark
    p.logStartOffset = answer.logStartOffset
    p.logEndOffset = answer.logEndOffset
    p.lastStableOffset = answer.lastStableOffset
  }

  /** What a long-poll saw before it read: pass it to `waitForData`. */
  appendCounts (partitions: readonly PartitionState[]): number[] {
    return partitions.map((p) => p.appends)
  }

  /**
   * Resolves when an append lands on one of `partitions`, or after `maxWaitMs`: the wait of a
   * Fetch long-poll. The caller re-reads afterwards. `seen` (from `appendCounts` before the
   * read) closes the window between the read and this call: an append in it ends the wait at once.
   * `stop` (a connection closing) ends it too; its listener is removed when the wait ends, so a
   * long-lived signal keeps nothing of the waits it saw.
   */
  waitForData (partitions: readonly PartitionState[], maxWaitMs: number, seen?: readonly number[], stop?: AbortSignal): Promise<void> {
    if (maxWaitMs <= 0 || this.#closed || stop?.aborted === true) return Promise.resolve()
    if (seen !== undefined && partitions.some((p, i) => p.appends !== seen[i])) return Promise.resolve()
    return new Promise((resolve) => {
      const ids = partitions.map((p) => p.id)
      const waiter: Waiter = { resolve: () => {}, timer: undefined as unknown as NodeJS.Timeout, ids }
      const done = (): void => {
        clearTimeout(waiter.timer)
        stop?.removeEventListener('abort', done)
        for (const id of ids) {
          const set = this.#waiters.get(id)
          if (set === undefined) continue
          set.delete(waiter)
          if (set.size === 0) this.#waiters.delete(id)
        }
        resolve()
      }
      waiter.resolve = done
      waiter.timer = setTimeout(done, maxWaitMs)
      stop?.addEventListener('abort', done, { once: true })
      for (const id of ids) {
        let set = this.#waiters.get(id)
        if (set === undefined) { set = new Set(); this.#waiters.set(id, set) }
        set.add(waiter)
      }
    })
  }

  /** How many long-polls are parked on `p` (tests wait on it too). */
  parkedPolls (p: PartitionState): number { return this.#waiters.get(p.id)?.size ?? 0 }

  #wake (id: number): void {
    const set = this.#waiters.get(id)
    if (set === undefined || set.size === 0) return
    for (const waiter of [...set]) waiter.resolve()
  }

  // --- lifecycle

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
      const p = this.topics.get(topic)?.partitions[partition]
      if (p === undefined) return { topic, partition, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }
      const answer = p.online
        ? await this.#links[p.worker].txnMarker(p.id, request.producerId, request.producerEpoch, request.coordinatorEpoch, commit)
        : offline()
      this.#observe(p, answer)
      if (answer.status === LogStatus.Ok) {
        p.appends++
        p.tail = null
        this.#wake(p.id)
        return { topic, partition, errorCode: KafkaCode.NONE }
      }
      const errorCode = kafkaCodeOf(answer.status)
      this.logger.warn({ topic, partition, producerId: request.producerId, producerEpoch: request.producerEpoch, result: request.result, status: LogStatus[answer.status], errorCode },
        'a transaction marker was not written')
      return { topic, partition, errorCode }
    }))
  }

  /** Test hook: makes the worker hosting `p` fail as a bug would, and resolves when it is gone. */
  async crashWorkerOf (p: PartitionState): Promise<void> {
    const link = this.#links[p.worker]
    await link.crash().catch(() => {})
    await link.exited
  }

  /** Test hook: the next matching fs call of in-memory partition `p` fails (see MemoryStore.injectFault). */
  async injectStorageFault (p: PartitionState, fault: StoreFault): Promise<void> {
    await this.#links[p.worker].call((c) => c.injectStoreFault(p.id, fault))
  }

  /** Resolves when every partition is online again (after a worker restart). */
  async whenOnline (timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while ([...this.topics.partitions()].some((p) => !p.online)) {
      if (Date.now() > deadline) throw new MillraceError('MR_ERR_TIMEOUT', 'partitions did not come back online in time')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const set of this.#waiters.values()) for (const waiter of [...set]) waiter.resolve()
    await this.#cleaner.stop()
    await this.#scrubber?.stop()
    await this.#coordinatorStarting?.catch(() => {})
    await this.#coordinatorLink?.close().catch(() => {})
    await Promise.allSettled(this.#links.map((link) => link.close()))
    await this.#jobs?.close()
  }
}

/** Directories of one topic name that disagree on its topic id: none of them can be trusted to be that topic. */
function topicIdConflicts (found: DiscoveredPartition[]): UnloadablePartition[] {
  const ids = new Map<string, Set<string>>()
  for (const d of found) ids.set(d.topic, (ids.get(d.topic) ?? new Set()).add(d.topicId))
  return found
    .filter((d) => ids.get(d.topic)!.size > 1)
    .map((d) => ({ dir: d.dir, topic: d.topic, partition: d.partition, problem: `its topic id ${d.topicId} differs from that of another partition of '${d.topic}' (${[...ids.get(d.topic)!].filter((id) => id !== d.topicId).join(', ')})` }))
}

function offline (): PartitionAnswer {
  return { status: LogStatus.WorkerFault, a: -1, b: -1, highWatermark: -1, logStartOffset: -1, logEndOffset: -1, lastStableOffset: -1, bytes: null, fault: null, abortedTransactions: null }
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
