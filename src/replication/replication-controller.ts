/**
 * The replication controller: places the replicas of partitions with more than one copy, builds
 * each one's PartitionReplicas over the workers (./replica-io.ts), elects leaders at start,
 * tells the replication state when a worker dies and when its replicas are back, and runs the
 * lag check. Partitions with one replica never reach it.
 *
 * Thread: the dispatcher's (leadership is decided where requests are routed, without a thread
 * hop in the failover path).
 */
import type { BrokerConfig } from '../config/broker-config.js'
import { minInsyncReplicas } from '../config/topic-config.js'
import type { OpenedPartition, ReplicaRole } from '../partition/partition-spec.js'
import type { WorkerLink } from '../dispatcher/worker-link.js'
import type { PartitionState, TopicState, TopicTable } from '../dispatcher/topic-table.js'
import type { HighWatermarkAnswer } from '../partition/frame-codec.js'
import type { Logger } from '../logger.js'
import { PartitionReplicas, type Replica } from './partition-replicas.js'
import { WorkerReplicaIo } from './replica-io.js'

/** Most bytes one follower read copies. */
const REPLICA_FETCH_MAX_BYTES = 1024 * 1024
/** The lag check runs at least this often (and twice per lag time when that is shorter). */
const LAG_CHECK_MAX_INTERVAL_MS = 250

export interface ReplicaOpening {
  readonly replica: Replica
  readonly replicas: number
  readonly role: ReplicaRole
  readonly leaderEpoch: number
  /** A new empty replica (creation, or a replica whose directory was lost). */
  readonly create: boolean
}

export interface ReplicationControllerOptions {
  config: BrokerConfig
  logger: Logger
  topics: TopicTable
  link: (worker: number) => WorkerLink
  /** Opens one replica on its worker (recovering it first when it is not new). */
  openReplica: (topic: TopicState, p: PartitionState, opening: ReplicaOpening) => Promise<OpenedPartition>
  /** The high watermark of `p` moved (mirror it, wake long-polls and acks). */
  committed: (p: PartitionState, highWatermark: number) => void
  /** The leader's answer to a high watermark frame (its last stable offset). */
  leaderOffsets: (p: PartitionState, answer: HighWatermarkAnswer) => void
  /** Leadership of `p` moved or the partition went offline (wake its long-polls). */
  leaderChanged: (p: PartitionState) => void
}

/** One replica found on disk at start, with where it lives. */
export interface FoundReplica {
  readonly replica: number
  readonly dataDir: string | null
}

export class ReplicationController {
  readonly #options: ReplicationControllerOptions
  readonly #log: Logger
  #lagTimer: NodeJS.Timeout | null = null

  constructor (options: ReplicationControllerOptions) {
    this.#options = options
    this.#log = options.logger
  }

  /** Starts the lag check. */
  start (): void {
    const every = Math.max(1, Math.min(LAG_CHECK_MAX_INTERVAL_MS, Math.floor(this.#options.config.replicaLagTimeMaxMs / 2)))
    this.#lagTimer = setInterval(() => {
      for (const p of this.#options.topics.partitions()) p.replication?.checkLag()
    }, every)
    this.#lagTimer.unref()
  }

  /**
   * Where replica r of a partition goes: worker (start + r) % workers and data dir
   * dataDirs[(start + r) % dataDirs.length], so replicas land on distinct workers, and on
   * distinct dirs when there are at least as many dirs as replicas.
   */
  static place (start: number, replicas: number, workers: number, dataDirs: readonly string[]): Array<{ worker: number, dataDir: string | null }> {
    return Array.from({ length: replicas }, (_, r) => ({
      worker: (start + r) % workers,
      dataDir: dataDirs.length === 0 ? null : dataDirs[(start + r) % dataDirs.length]
    }))
  }

  /** A new partition with `replicas` copies: placed, opened (replica 0 leads in epoch 0), followers started. */
  async create (topic: TopicState, p: PartitionState, replicas: number, start: number): Promise<void> {
    const now = performance.now()
    const placed = ReplicationController.place(start, replicas, this.#options.config.workers, this.#options.config.dataDirs)
    const set: Replica[] = placed.map((at, index) => ({ index, worker: at.worker, dataDir: at.dataDir, logEndOffset: 0, inSync: true, online: true, lastCaughtUpAt: now }))
    const state = this.#attach(topic, p, set, 0, 0, 0)
    const opened = await Promise.all(set.map((replica) =>
      this.#options.openReplica(topic, p, { replica, replicas, role: replica.index === 0 ? 'leader' : 'follower', leaderEpoch: 0, create: true })))
    this.#leads(p, set[0], 0, opened[0])
    await this.#startFollowers(state)
  }

  /**
   * A partition found at start: every replica is opened as a follower; the leader is the one with
   * the largest (latest epoch, log end offset), in the epoch after the largest found; the replicas
   * equal to it form the ISR, the others truncate, catch up and join. A replica whose directory is
   * gone (a lost disk) is created empty and catches up.
   */
  async restore (topic: TopicState, p: PartitionState, found: readonly FoundReplica[], replicas: number, start: number): Promise<void> {
    const now = performance.now()
    const dirs = this.#options.config.dataDirs
    const used = new Set(found.map((f) => f.dataDir))
    const set: Replica[] = []
    const created = new Set<Replica>()
    for (let index = 0; index < replicas; index++) {
      const worker = (start + index) % this.#options.config.workers
      const have = found.find((f) => f.replica === index)
      let dataDir = have?.dataDir ?? null
      if (have === undefined && dirs.length > 0) {
        // A lost replica is recreated in a dir none of its siblings uses, when there is one.
        dataDir = dirs.find((d) => !used.has(d)) ?? dirs[(start + index) % dirs.length]
        used.add(dataDir)
      }
      const replica: Replica = { index, worker, dataDir, logEndOffset: 0, inSync: false, online: true, lastCaughtUpAt: now }
      set.push(replica)
      if (have === undefined) created.add(replica)
    }
    const opened = await Promise.all(set.map((replica) =>
      this.#options.openReplica(topic, p, { replica, replicas, role: 'follower', leaderEpoch: 0, create: created.has(replica) })))
    const latest = await Promise.all(set.map((r) => this.#options.link(r.worker).latestEpoch(p.id)))
    let leader = 0
    for (let i = 0; i < set.length; i++) {
      set[i].logEndOffset = opened[i].logEndOffset
      if (latest[i] > latest[leader] || (latest[i] === latest[leader] && opened[i].logEndOffset > opened[leader].logEndOffset)) leader = i
    }
    const epoch = Math.max(...latest) + 1
    for (let i = 0; i < set.length; i++) set[i].inSync = latest[i] === latest[leader] && opened[i].logEndOffset === opened[leader].logEndOffset
    for (const r of created) this.#log.warn({ partition: `${topic.name}-${p.partition}`, replica: r.index, dataDir: r.dataDir }, 'replica directory missing at start: created empty, it copies from the leader')
    const state = this.#attach(topic, p, set, leader, epoch, opened[leader].logStartOffset, opened[leader].logEndOffset)
    await this.#options.link(set[leader].worker).becomeLeader(p.id, epoch, opened[leader].logStartOffset)
    this.#leads(p, set[leader], epoch, opened[leader])
    this.#log.info({ partition: `${topic.name}-${p.partition}`, leader: leader, worker: set[leader].worker, leaderEpoch: epoch, logEndOffset: opened[leader].logEndOffset, isr: set.filter((r) => r.inSync).map((r) => r.index) },
      'partition leader chosen at start: the replica with the latest epoch and the longest log')
    await this.#startFollowers(state)
  }

  #attach (topic: TopicState, p: PartitionState, replicas: Replica[], leader: number, epoch: number, highWatermark: number, leaderLogEndOffset = 0): PartitionReplicas {
    const state = new PartitionReplicas({
      name: `${topic.name}-${p.partition}`,
      replicas,
      leader,
      leaderEpoch: epoch,
      highWatermark,
      leaderLogEndOffset,
      // Read at each check: AlterConfigs may change it at any time.
      minInsyncReplicas: () => minInsyncReplicas({ ...this.#options.config.topicDefaults, ...topic.overrides }),
      lagTimeMaxMs: this.#options.config.replicaLagTimeMaxMs,
      maxFetchBytes: REPLICA_FETCH_MAX_BYTES,
      io: new WorkerReplicaIo({ partitionId: p.id, link: this.#options.link, onHighWatermarkAnswer: (answer) => this.#options.leaderOffsets(p, answer) }),
      logger: this.#log,
      onHighWatermark: (hw) => this.#options.committed(p, hw),
      onLeaderChange: (next, nextEpoch) => {
        if (next === null) {
          p.online = false
        } else {
          p.worker = next.worker
          p.leaderEpoch = nextEpoch
          p.online = true
        }
        this.#options.leaderChanged(p)
      }
    })
    p.replication = state
    p.worker = replicas[leader].worker
    p.leaderEpoch = epoch
    return state
  }

  #leads (p: PartitionState, leader: Replica, epoch: number, opened: OpenedPartition): void {
    p.worker = leader.worker
    p.leaderEpoch = epoch
    p.logStartOffset = opened.logStartOffset
    p.logEndOffset = opened.logEndOffset
    p.online = true
  }

  async #startFollowers (state: PartitionReplicas): Promise<void> {
    await state.startFollowers().catch((err: unknown) => {
      this.#log.warn({ partition: state.name, err }, 'a follower could not start copying from its leader; it stays out of the in-sync replicas')
    })
  }

  /** Worker `worker` died: each replica on it is lost, leaders first (their partitions fail over now). */
  workerLost (worker: number, cause: Error): void {
    const lost: Array<[PartitionReplicas, Replica]> = []
    for (const p of this.#options.topics.partitions()) {
      const state = p.replication
      if (state === null) continue
      for (const r of state.replicas) if (r.worker === worker && r.online) lost.push([state, r])
    }
    lost.sort(([sa, a], [sb, b]) => Number(b === sb.leader) - Number(a === sa.leader))
    const why = `worker ${worker} died: ${cause.message}`
    for (const [state, r] of lost) {
      void state.replicaLost(r, why).catch((err: unknown) => {
        this.#log.error({ partition: state.name, replica: r.index, err }, 'failover after a lost replica failed; the partition may stay without a leader')
      })
    }
  }

  /** Worker `worker` runs again: each of its lost replicas is recovered, reopened as a follower, and catches up. */
  async workerBack (worker: number): Promise<void> {
    const back: Array<Promise<void>> = []
    for (const topic of this.#options.topics.all()) {
      for (const p of topic.partitions) {
        const state = p?.replication ?? null
        if (state === null) continue
        for (const r of state.replicas) {
          if (r.worker !== worker || r.online) continue
          back.push(this.#reopen(topic, p, state, r))
        }
      }
    }
    await Promise.all(back)
  }

  async #reopen (topic: TopicState, p: PartitionState, state: PartitionReplicas, r: Replica): Promise<void> {
    try {
      const opened = await this.#options.openReplica(topic, p, { replica: r, replicas: state.replicas.length, role: 'follower', leaderEpoch: state.leaderEpoch, create: false })
      if (this.#options.topics.get(topic.name)?.partitions[p.partition] !== p) return
      r.logEndOffset = opened.logEndOffset
      await state.replicaBack(r)
    } catch (err) {
      this.#log.error({ partition: state.name, replica: r.index, worker: r.worker, err }, 'a replica could not be reopened after its worker restarted; it stays offline')
    }
  }

  close (): void {
    if (this.#lagTimer !== null) clearInterval(this.#lagTimer)
    this.#lagTimer = null
    for (const p of this.#options.topics.partitions()) p.replication?.close()
  }
}
