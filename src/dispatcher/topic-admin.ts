/**
 * Topic administration: creates, grows, reconfigures, describes and deletes topics, rebuilds
 * the topic table from a data-dir scan at start, and keeps the topics that could not be
 * loaded offline (as Kafka takes a log dir offline rather than guess).
 *
 * Thread: the dispatcher's. Opening and dropping a partition is a control call to its worker;
 * recovery scans and deletions run in the job pool.
 */
import type { BrokerConfig } from '../config/broker-config.js'
import { MillraceError } from '../errors.js'
import { topicNameProblem } from '../config/topic-name.js'
import { topicConfigProblem } from '../config/topic-config.js'
import { join } from 'node:path'
import { replicaDirName, type DiscoveredPartition, type OpenedPartition, type PartitionOffsets, type PartitionSpec, type UnloadablePartition } from '../partition/partition-spec.js'
import type { ReplicaOpening, ReplicationController } from '../replication/replication-controller.js'
import { duplicateReplicas } from './discovered-replicas.js'
import { replicationFactorError } from './replication-factor.js'
import type { JobPool } from './job-pool.js'
import { logRecoveryFindings } from '../log/recovery-findings.js'
import { TopicTable, type PartitionState, type TopicState } from './topic-table.js'
import { LogRateLimiter, type Logger } from '../logger.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { OFFSETS_TOPIC } from '../coordinator/offsets-topic.js'
import type { WorkerSupervisor } from './worker-supervisor.js'
import type { WorkerRouter } from './partition-router.js'

/** At most one log line per offline topic per this interval for refused creates (clients retry Metadata often). */
const OFFLINE_REFUSAL_LOG_INTERVAL_MS = 60_000

/** Most partitions one broker hosts; a guard against a typo creating millions of directories. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000

export interface TopicAdminOptions {
  config: BrokerConfig
  logger: Logger
  /** The partition subsystem's logger (recovery findings). */
  partitionLogger: Logger
  topics: TopicTable
  workers: WorkerSupervisor
  router: WorkerRouter
  /** Partitions with several replicas: placement, leaders, followers. */
  replication: ReplicationController
  /** The job pool, once started (null for a broker in memory). */
  jobs: () => JobPool | null
  /** Called after topics or partition counts changed. */
  topicsChanged: () => void
  /** True once the broker closes. */
  closed: () => boolean
}

export class TopicAdmin {
  readonly #options: TopicAdminOptions
  readonly #topics: TopicTable
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

  constructor (options: TopicAdminOptions) {
    this.#options = options
    this.#topics = options.topics
  }

  get largestProducerId (): number { return this.#largestProducerId }

  /**
   * Rebuilds the topic table from what a data-dir scan found, recovering partitions in parallel.
   * A topic with any unloadable directory is left out whole: serving part of it would hide the rest.
   */
  async restore (found: DiscoveredPartition[], unloadable: UnloadablePartition[]): Promise<void> {
    const log = this.#options.logger
    const refused = [...unloadable, ...topicIdConflicts(found), ...duplicateReplicas(found)]
    for (const u of refused) {
      log.error({ dir: u.dir, topic: u.topic, partition: u.partition, problem: u.problem },
        `partition directory ${u.dir} cannot be loaded: ${u.problem}; topic '${u.topic}' stays offline and its directories are kept as they are`)
      if (!this.#offlineTopics.has(u.topic)) this.#offlineTopics.set(u.topic, `${u.dir}: ${u.problem}`)
    }
    const logged = new Set(refused.map((u) => u.dir))
    const heldBack = found.filter((d) => this.#offlineTopics.has(d.topic) && !logged.has(d.dir))
    for (const d of heldBack) log.warn({ dir: d.dir, topic: d.topic, partition: d.partition }, `partition directory ${d.dir} is not loaded: its topic '${d.topic}' is offline`)
    this.#offlineDirs = logged.size + heldBack.length
    found = found.filter((d) => !this.#offlineTopics.has(d.topic))
    // The replicas of each partition, found in any of the data dirs.
    const byPartition = new Map<string, DiscoveredPartition[]>()
    for (const d of found) {
      const key = `${d.topic}\0${d.partition}`
      const list = byPartition.get(key)
      if (list === undefined) byPartition.set(key, [d])
      else list.push(d)
    }
    const partitions = [...byPartition.values()].sort((a, b) => a[0].topic.localeCompare(b[0].topic) || a[0].partition - b[0].partition)
    const workers = this.#options.workers.count
    const opened: Array<Promise<void>> = []
    let nextStart = 0
    for (const replicas of partitions) {
      const d = replicas[0]
      let topic = this.#topics.get(d.topic)
      if (topic === undefined) topic = this.#topics.addTopic(d.topic, d.topicId, d.overrides)
      const factor = Math.max(...replicas.map((r) => Math.max(r.replicas ?? 1, r.replica + 1)))
      const first = replicas.find((r) => r.replica === 0) ?? d
      if (factor === 1) {
        const p = this.#topics.addPartition(topic, d.partition, this.#topics.leastLoadedWorker(workers), first.dataDir)
        opened.push(this.#recoverAndOpen(topic, p).then(() => this.#restoreLeaderEpoch(p)))
        continue
      }
      if (factor > workers) {
        // Too few workers for distinct hosts: serving it anyway would let one death take two copies.
        const problem = `it has ${factor} replicas but this broker runs ${workers} partition workers; start it with at least ${factor}`
        log.error({ topic: d.topic, partition: d.partition, replicas: factor, workers }, `topic '${d.topic}' stays offline: ${problem}`)
        if (!this.#offlineTopics.has(d.topic)) this.#offlineTopics.set(d.topic, `${d.dir}: ${problem}`)
        continue
      }
      const start = nextStart
      nextStart = (nextStart + 1) % workers
      const p = this.#topics.addPartition(topic, d.partition, start, first.dataDir)
      opened.push(this.#options.replication.restore(topic, p, replicas.map((r) => ({ replica: r.replica, dataDir: r.dataDir })), factor, start))
    }
    await Promise.all(opened)
    for (const name of this.#offlineTopics.keys()) {
      const topic = this.#topics.get(name)
      if (topic === undefined) continue
      await this.#dropPartitions(topic.partitions.filter((p) => p !== undefined), false)
      this.#topics.removeTopic(name)
    }
    for (const topic of this.#topics.all()) {
      for (let i = 0; i < topic.partitions.length; i++) {
        if (topic.partitions[i] === undefined) throw new MillraceError('MR_ERR_STORAGE', `topic '${topic.name}' is missing partition ${i} in ${this.#options.config.dataDirs.join(', ')}`)
      }
    }
  }

  /** Recovers and opens `p` on its restarted worker, under a new leader epoch; a partition deleted meanwhile is left alone. */
  readonly reopen = async (p: PartitionState): Promise<void> => {
    const topic = this.#topics.get(p.topic)
    if (topic === undefined || topic.partitions[p.partition] !== p) return
    p.leaderEpoch++
    await this.#recoverAndOpen(topic, p)
  }

  /**
   * After a full restart the leader epoch goes on after the log's latest, never back to 0:
   * clients that saw a later epoch (librdkafka 2.1+, Java) refuse an older one forever.
   */
  async #restoreLeaderEpoch (p: PartitionState): Promise<void> {
    const link = this.#options.workers.linkOf(p)
    const latest = await link.latestEpoch(p.id)
    if (latest < p.leaderEpoch) return
    p.leaderEpoch = latest + 1
    await link.call((c) => c.setLeaderEpoch(p.id, p.leaderEpoch))
  }

  /** Opens one replica of a replicated partition on its worker (../replication/replication-controller.ts). */
  readonly openReplica = async (topic: TopicState, p: PartitionState, opening: ReplicaOpening): Promise<OpenedPartition> => {
    const { replica } = opening
    const jobs = this.#options.jobs()
    if (!opening.create && jobs !== null) {
      const dir = join(replica.dataDir ?? this.#options.config.dataDir!, replicaDirName(topic.name, p.partition, replica.index))
      const report = await jobs.recover(dir, { ...this.#options.config.topicDefaults }, topic.overrides)
      if (report !== null) logRecoveryFindings(this.#options.partitionLogger, dir, report)
    }
    const spec: PartitionSpec = { ...this.#spec(topic, p), leaderEpoch: opening.leaderEpoch, replica: replica.index, replicas: opening.replicas, dataDir: replica.dataDir, role: opening.role }
    const opened = await this.#options.workers.link(replica.worker).call((c) => c.openPartition(spec, opening.create))
    this.#largestProducerId = Math.max(this.#largestProducerId, opened.largestProducerId)
    return opened
  }

  async #recoverAndOpen (topic: TopicState, p: PartitionState): Promise<void> {
    const jobs = this.#options.jobs()
    if (jobs !== null) {
      const dir = join(p.dataDir ?? this.#options.config.dataDir!, replicaDirName(topic.name, p.partition, p.replica))
      const report = await jobs.recover(dir, { ...this.#options.config.topicDefaults }, topic.overrides)
      if (report !== null) logRecoveryFindings(this.#options.partitionLogger, dir, report)
    }
    await this.#open(topic, p, false)
  }

  #spec (topic: TopicState, p: PartitionState): PartitionSpec {
    return { id: p.id, topic: topic.name, topicId: topic.topicId, partition: p.partition, overrides: topic.overrides, leaderEpoch: p.leaderEpoch, replica: p.replica, dataDir: p.dataDir }
  }

  async #open (topic: TopicState, p: PartitionState, create: boolean): Promise<void> {
    const link = this.#options.workers.linkOf(p)
    const opened = await link.call((c) => c.openPartition(this.#spec(topic, p), create))
    this.#largestProducerId = Math.max(this.#largestProducerId, opened.largestProducerId)
    this.#options.router.refresh(p, opened)
    p.online = true
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
    for (const p of this.#topics.partitions()) if (!p.online) count++
    return count
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
    if (heldBack !== null) this.#options.logger.error({ topic: name, refusedSinceLastLine: heldBack }, `refused a request for offline topic '${name}'`)
    return new MillraceError('MR_ERR_STORAGE', message, { kafkaCode: KafkaCode.KAFKA_STORAGE_ERROR })
  }

  /** Checks a create-topic request without creating anything; throws MillraceError. */
  validateNewTopic (name: string, partitions: number, overrides: Record<string, string>, replicationFactor = this.#options.config.defaultReplicationFactor): void {
    const nameProblem = topicNameProblem(name)
    if (nameProblem !== null) throw new MillraceError('MR_ERR_INVALID_OPTION', `topic name ${nameProblem}`)
    const offline = this.offlineTopicError(name)
    if (offline !== null) throw offline
    if (name === OFFSETS_TOPIC) throw new MillraceError('MR_ERR_TOPIC_EXISTS', `topic '${name}' is the coordinator's internal topic`)
    if (this.#topics.has(name)) throw new MillraceError('MR_ERR_TOPIC_EXISTS', `topic '${name}' already exists`)
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC) {
      throw new MillraceError('MR_ERR_INVALID_OPTION', `partitions must be an integer from 1 to ${MAX_PARTITIONS_PER_TOPIC}`)
    }
    const refused = this.replicationFactorError(name, replicationFactor)
    if (refused !== null) throw refused
    const configProblem = topicConfigProblem(overrides, this.#options.config.topicDefaults)
    if (configProblem !== null) throw new MillraceError('MR_ERR_INVALID_OPTION', configProblem)
  }

  /**
   * Null when topic `name` may have `replicationFactor` replicas, else the refusal
   * (INVALID_REPLICATION_FACTOR), logged: a client sees only the error code and message.
   */
  replicationFactorError (name: string, replicationFactor: number): MillraceError | null {
    const workers = this.#options.workers.count
    const refused = replicationFactorError(replicationFactor, workers)
    if (refused === null) return null
    const heldBack = this.#replicationRefusals.admit(name)
    if (heldBack !== null) this.#options.logger.warn({ topic: name, replicationFactor, workers, refusedSinceLastLine: heldBack }, `refused to create topic '${name}': ${refused.message}`)
    return refused
  }

  async createTopic (name: string, partitions: number, overrides: Record<string, string> = {}, replicationFactor = this.#options.config.defaultReplicationFactor): Promise<TopicState> {
    this.#assertOpen()
    this.validateNewTopic(name, partitions, overrides, replicationFactor)
    const topic = this.#topics.addTopic(name, TopicTable.newTopicId(), { ...overrides })
    try {
      await this.#addPartitions(topic, partitions, replicationFactor)
    } catch (err) {
      await this.#dropPartitions(topic.partitions).catch(() => {})
      this.#topics.removeTopic(name)
      throw new MillraceError('MR_ERR_STORAGE', `could not create topic '${name}': ${(err as Error).message}`, { cause: err, kafkaCode: KafkaCode.KAFKA_STORAGE_ERROR })
    }
    this.#options.topicsChanged()
    return topic
  }

  async #addPartitions (topic: TopicState, total: number, replicationFactor: number): Promise<void> {
    const added: PartitionState[] = []
    if (replicationFactor > 1) {
      // Leaders (replica 0) go round the workers from the least loaded one; the rest follow them round.
      const workers = this.#options.workers.count
      const start = this.#topics.leastLoadedWorker(workers)
      const creating: Array<Promise<void>> = []
      for (let i = topic.partitions.length; i < total; i++) {
        const at = (start + i) % workers
        const dirs = this.#options.config.dataDirs
        const p = this.#topics.addPartition(topic, i, at, dirs.length === 0 ? null : dirs[at % dirs.length])
        creating.push(this.#options.replication.create(topic, p, replicationFactor, at))
      }
      await Promise.all(creating)
      return
    }
    for (let i = topic.partitions.length; i < total; i++) {
      added.push(this.#topics.addPartition(topic, i, this.#topics.leastLoadedWorker(this.#options.workers.count), this.#topics.leastLoadedDataDir(this.#options.config.dataDirs)))
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
      await this.#addPartitions(topic, total, topic.partitions[0]?.replication?.replicas.length ?? 1)
    } catch (err) {
      // None of the new partitions stays: those that opened are new and empty, and go.
      await this.#dropPartitions(this.#topics.removePartitionsFrom(topic, before)).catch(() => {})
      throw new MillraceError('MR_ERR_STORAGE', `could not add partitions to topic '${name}': ${(err as Error).message}`, { cause: err, kafkaCode: KafkaCode.KAFKA_STORAGE_ERROR })
    }
    this.#options.topicsChanged()
  }

  async deleteTopic (name: string): Promise<void> {
    this.#assertOpen()
    if (name === OFFSETS_TOPIC) throw new MillraceError('MR_ERR_INVALID_OPTION', `topic '${name}' is the coordinator's internal topic and cannot be deleted`)
    const topic = this.#requireTopic(name)
    this.#topics.removeTopic(name)
    this.#options.topicsChanged()
    await this.#dropPartitions(topic.partitions)
  }

  /** Closes every replica of `partitions`; `remove`: and deletes their directories. */
  async #dropPartitions (partitions: readonly PartitionState[], remove = true): Promise<void> {
    await Promise.all(partitions.map(async (p) => {
      p.online = false
      this.#options.router.wake(p)
      p.replication?.close()
      const workers = p.replication === null ? [p.worker] : p.replication.replicas.map((r) => r.worker)
      await Promise.all(workers.map(async (w) => {
        const link = this.#options.workers.link(w)
        if (!link.alive) return
        if (!remove) { await link.call((c) => c.closePartition(p.id)); return }
        const doomed = await link.call((c) => c.deletePartition(p.id))
        const jobs = this.#options.jobs()
        if (doomed !== null && jobs !== null) await jobs.deleteDir(doomed)
      }))
    }))
  }

  async alterTopicConfig (name: string, overrides: Record<string, string>): Promise<void> {
    this.#assertOpen()
    const topic = this.#requireTopic(name)
    const problem = topicConfigProblem(overrides, this.#options.config.topicDefaults)
    if (problem !== null) throw new MillraceError('MR_ERR_INVALID_OPTION', problem)
    topic.overrides = { ...overrides }
    await Promise.all(topic.partitions.flatMap((p) => (p.replication === null ? [p.worker] : p.replication.replicas.filter((r) => r.online).map((r) => r.worker))
      .map((w) => this.#options.workers.link(w).call((c) => c.alterConfig(p.id, topic.overrides)))))
  }

  async describePartition (p: PartitionState): Promise<PartitionOffsets | null> {
    const link = this.#options.workers.linkOf(p)
    if (!p.online || !link.alive || (p.replication !== null && p.replication.leader === null)) return null
    const offsets = await link.call((c) => c.describe(p.id))
    if (offsets !== null) this.#options.router.refresh(p, offsets)
    return offsets
  }

  #requireTopic (name: string): TopicState {
    const topic = this.#topics.get(name)
    if (topic === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${name}'`)
    return topic
  }

  #assertOpen (): void {
    if (this.#options.closed()) throw new MillraceError('MR_ERR_CLOSED', 'the broker is closed')
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
