/**
 * The partition workers: spawns one WorkerLink per worker, and when a worker dies takes its
 * partitions offline, starts a new thread in its place and has the owner reopen them. Replicas
 * of replicated partitions are handed to the replication controller instead: it is told of the
 * death first (their leaders fail over at once, not after the restart), and of the restart. A worker
 * whose heartbeat stops (./hung-workers.ts) is fenced first and then replaced the same way; a
 * data dir that fails is taken offline with every replica in it (./offline-data-dirs.ts).
 *
 * Thread: the dispatcher's. Which partitions a worker hosts is read from the topic table.
 */
import { channel } from 'node:diagnostics_channel'
import type { BrokerConfig } from '../config/broker-config.js'
import { MillraceError } from '../errors.js'
import type { StoreFault } from '../log/store.js'
import type { Logger } from '../logger.js'
import type { PartitionState, TopicTable } from './topic-table.js'
import { WorkerLink } from './worker-link.js'
import { HungWorkerWatch } from './hung-workers.js'
import { OfflineDataDirs } from './offline-data-dirs.js'

const faultChannel = channel('millrace:partition:fault')
const restartChannel = channel('millrace:partition:restart')

export interface WorkerSupervisorOptions {
  config: BrokerConfig
  /** The partition subsystem's logger (the workers' own records are relayed to it). */
  logger: Logger
  topics: TopicTable
  /** Recovers and opens `p` (one replica) again on its restarted worker. */
  reopen: (p: PartitionState) => Promise<void>
  /** Worker `index` died: the replicas of replicated partitions on it are lost (called before the restart, so failover does not wait for it). */
  replicasLost: (index: number, cause: Error) => void
  /** Worker `index` runs again: its replicas of replicated partitions are reopened as followers and catch up. */
  replicasBack: (index: number) => Promise<void>
  /** Data dir `dir` failed: the replicas of replicated partitions in it are lost (leaders move). */
  dataDirLost: (dir: string, cause: string) => void
  /** True once the broker closes: a worker that dies then is not restarted. */
  closed: () => boolean
}

export class WorkerSupervisor {
  readonly #options: WorkerSupervisorOptions
  readonly #links: WorkerLink[] = []
  #restarts = 0
  readonly #hungWatch: HungWorkerWatch
  /** Why a worker being replaced was given up on (it hung), for the restart's log line. */
  readonly #givenUp = new WeakMap<WorkerLink, Error>()
  /** Data dirs offline after a storage failure: their replicas stay offline until the broker restarts. */
  readonly offlineDataDirs: OfflineDataDirs

  constructor (options: WorkerSupervisorOptions) {
    this.#options = options
    this.offlineDataDirs = new OfflineDataDirs(options.logger)
    this.#hungWatch = new HungWorkerWatch({
      workers: () => this.#links,
      hungAfterMs: options.config.replicaLagTimeMaxMs,
      onHung: (worker, silentMs) => { void this.#hung(this.#links[worker.index], silentMs) }
    })
  }

  /** Starts every worker; resolves when all run. */
  async start (): Promise<void> {
    const links = await Promise.all(Array.from({ length: this.#options.config.workers }, (_, index) => this.#spawn(index)))
    this.#links.push(...links)
    this.#hungWatch.start()
  }

  get count (): number { return this.#links.length }

  /** Worker `index` now (a restart replaces it). */
  link (index: number): WorkerLink { return this.#links[index] }

  /** The worker hosting `p` now (a restart replaces it). */
  linkOf (p: PartitionState): WorkerLink { return this.#links[p.worker] }

  /** Largest record-batch payload one append may carry (the ring's frame limit). */
  get maxAppendBytes (): number { return this.#links[0]?.maxRequestPayload ?? 0 }

  /** Partition workers restarted after dying since start. */
  get restarts (): number { return this.#restarts }

  /** Each worker's ring usage now (./worker-link.ts ringUsage). */
  ringUsage (): Array<{ worker: number, requestBytes: number, responseBytes: number, capacityBytes: number }> {
    return this.#links.map((link) => ({ worker: link.index, ...link.ringUsage() }))
  }

  #spawn (index: number): Promise<WorkerLink> {
    const c = this.#options.config
    return WorkerLink.start({
      index,
      ringBytes: c.ringBytes,
      dataDir: c.dataDir,
      topicDefaults: c.topicDefaults,
      retentionCheckIntervalMs: c.retentionCheckIntervalMs,
      logger: this.#options.logger,
      onExit: (link, cause) => { void this.#restart(link, this.#givenUp.get(link) ?? cause) }
    })
  }

  /**
   * A worker's heartbeat stopped for replica.lag.time.max.ms. Fenced first, so that if it resumes
   * it can neither append nor be believed (its requests in flight are answered
   * NOT_LEADER_OR_FOLLOWER now); then terminated, which restarts it as for a dead worker.
   */
  async #hung (link: WorkerLink | undefined, silentMs: number): Promise<void> {
    if (link === undefined || !link.alive || this.#options.closed()) return
    link.abandon()
    const cause = new Error(`partition worker ${link.index} hung: no heartbeat for ${Math.round(silentMs)} ms (replica.lag.time.max.ms ${this.#options.config.replicaLagTimeMaxMs})`)
    this.#givenUp.set(link, cause)
    // Offline (one replica) or failed over (several) from the fence on, not from the exit: nothing may reach the zombie meanwhile.
    const hosted = this.#hosted(link.index)
    const moved = [...hosted.map(partitionName), ...this.#replicasOn(link.index)]
    for (const p of hosted) p.online = false
    this.#options.replicasLost(link.index, cause)
    this.#options.logger.error({ worker: link.index, silentMs: Math.round(silentMs), partitions: moved },
      'partition worker hung: fenced, its requests in flight answered NOT_LEADER_OR_FOLLOWER, its leaderships moved; terminating and restarting it')
    await link.kill()
  }

  /** Partitions of one replica hosted by worker `index`, except those in an offline data dir (they stay offline). */
  #hosted (index: number): PartitionState[] {
    return [...this.#options.topics.partitions()].filter((p) => p.replication === null && p.worker === index && !this.offlineDataDirs.has(p.dataDir))
  }

  /** Online replicas of replicated partitions on worker `index`, by name (for log lines). */
  #replicasOn (index: number): string[] {
    const names: string[] = []
    for (const p of this.#options.topics.partitions()) {
      for (const r of p.replication?.replicas ?? []) if (r.worker === index && r.online) names.push(replicaName(p, r.index))
    }
    return names
  }

  async #restart (dead: WorkerLink, cause: Error): Promise<void> {
    const log = this.#options.logger
    const hosted = this.#hosted(dead.index)
    for (const p of hosted) p.online = false
    // Leaders first: their partitions get a new leader now, not after the restart.
    if (!this.#options.closed()) this.#options.replicasLost(dead.index, cause)
    if (faultChannel.hasSubscribers) faultChannel.publish({ worker: dead.index, cause, partitions: hosted.length })
    if (this.#options.closed()) return
    log.error({ worker: dead.index, err: cause, partitions: hosted.length }, 'partition worker died; restarting it and recovering its partitions')
    this.#restarts++
    try {
      const link = await this.#spawn(dead.index)
      if (this.#options.closed()) { await link.close(); return }
      this.#links[dead.index] = link
      await Promise.all([...hosted.map(this.#options.reopen), this.#options.replicasBack(dead.index)])
      if (restartChannel.hasSubscribers) restartChannel.publish({ worker: dead.index, partitions: hosted.length })
      log.info({ worker: dead.index, partitions: hosted.length }, 'partition worker restarted; its partitions are online again')
    } catch (err) {
      if (faultChannel.hasSubscribers) faultChannel.publish({ worker: dead.index, cause: err, partitions: hosted.length })
      log.error({ worker: dead.index, err, partitions: hosted.length }, 'partition worker restart failed; its partitions stay offline')
    }
  }

  /**
   * Takes data dir `dir` offline (JBOD: a storage failure on one replica fails its whole dir):
   * every replica in it goes offline at once (requests on them get KAFKA_STORAGE_ERROR), then
   * every worker is told to write nothing there. Logged once per dir; later calls do nothing.
   */
  async failDataDir (dir: string, cause: string): Promise<void> {
    if (this.offlineDataDirs.has(dir)) return
    const names: string[] = []
    for (const p of this.#options.topics.partitions()) {
      if (p.replication === null) {
        if (p.dataDir !== dir) continue
        p.online = false
        names.push(partitionName(p))
      } else {
        for (const r of p.replication.replicas) if (r.dataDir === dir) names.push(replicaName(p, r.index))
      }
    }
    this.offlineDataDirs.add(dir, cause, names)
    this.#options.dataDirLost(dir, cause)
    await Promise.allSettled(this.#links.filter((link) => link.alive).map(async (link) => await link.failDataDir(dir)))
  }

  /**
   * A worker answered StorageError for replica `where` in `dataDir`: with several data dirs the dir
   * fails (JBOD: the others take over). A broker with one data dir keeps it: taking its only dir
   * offline would stop every partition until a restart, so its requests keep answering
   * KAFKA_STORAGE_ERROR (the worker logs each fault) and are served again once the disk recovers
   * (space freed). No-op in memory or when already offline.
   */
  storageFailed (dataDir: string | null, where: string): void {
    if (dataDir === null || this.offlineDataDirs.has(dataDir)) return
    if (this.#options.config.dataDirs.length < 2) return
    void this.failDataDir(dataDir, `storage error on ${where}`)
  }

  /** True while worker `index`'s heartbeat has stopped moving (./hung-workers.ts stalled). */
  stalled (index: number): boolean { return this.#hungWatch.stalled(index) }

  /** Fault: terminates worker `index` as a crash would; resolves once its thread is gone (it restarts). */
  async killWorker (index: number): Promise<void> {
    await this.#links[index].kill()
  }

  /** Fault: blocks worker `index` for `ms`; resolves once it is blocked. */
  async hangWorker (index: number, ms: number): Promise<void> {
    await this.#links[index].hang(ms)
  }

  /** Resolves when every partition is online again (after a worker restart); those in an offline data dir stay offline. */
  async whenOnline (timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while ([...this.#options.topics.partitions()].some((p) => !p.online && !this.offlineDataDirs.has(p.dataDir))) {
      if (Date.now() > deadline) throw new MillraceError('MR_ERR_TIMEOUT', 'partitions did not come back online in time')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /** Test hook: makes the worker hosting `p` fail as a bug would, and resolves when it is gone. */
  async crashWorkerOf (p: PartitionState): Promise<void> {
    const link = this.linkOf(p)
    await link.crash().catch(() => {})
    await link.exited
  }

  /** Test hook: the next matching fs call of in-memory partition `p` fails (see MemoryStore.injectFault). */
  async injectStorageFault (p: PartitionState, fault: StoreFault): Promise<void> {
    await this.linkOf(p).call((c) => c.injectStoreFault(p.id, fault))
  }

  async close (): Promise<void> {
    this.#hungWatch.stop()
    await Promise.allSettled(this.#links.map((link) => link.close()))
  }
}

function partitionName (p: PartitionState): string {
  return replicaName(p, p.replica)
}

/** As its directory is named: `topic-partition` for replica 0, `topic-partition~r` for the others. */
function replicaName (p: PartitionState, replica: number): string {
  return replica === 0 ? `${p.topic}-${p.partition}` : `${p.topic}-${p.partition}~${replica}`
}
