/**
 * PartitionReplicas: the replication state of one partition with several replicas, and the
 * decisions made on it: which replica leads, in which leader epoch, which followers are in sync,
 * where the high watermark is, when an acks=all append is committed, and how a follower catches
 * up (truncate to the divergence point, then copy from the leader).
 *
 * Thread: the dispatcher's. It does no I/O itself: every read, write and role change goes through
 * `ReplicaIo`, which the routing layer binds to the workers' rings and control planes (and a test
 * binds to plain arrays). A partition with one replica never gets one of these: its worker moves
 * its own high watermark, and nothing here costs it anything.
 */
import { KafkaCode } from '../protocol/error-codes.js'
import { LogStatus } from '../log/errors.js'
import type { Logger } from '../logger.js'

/** One copy of the partition, as the dispatcher last saw it. */
export interface Replica {
  /** Index in the replica set (its directory name says it: ~r). */
  readonly index: number
  /** The partition worker hosting it. */
  worker: number
  readonly dataDir: string | null
  /** Its log end offset as its last answer said. */
  logEndOffset: number
  inSync: boolean
  /** False while its worker restarts or its data dir has failed. */
  online: boolean
  /** When its log end offset last reached the leader's (performance.now()). */
  lastCaughtUpAt: number
}

/** A read of the leader's log for a follower (up to the leader's log end offset). */
export interface ReplicaRead {
  status: LogStatus
  bytes: Buffer | null
  logStartOffset: number
  logEndOffset: number
}

/** What the routing layer does for the replication state: one partition, on the replica named. */
export interface ReplicaIo {
  fetchForFollower (leader: Replica, offset: number, maxBytes: number): Promise<ReplicaRead>
  /** Appends batches as the leader stored them; resolves with the status and the follower's new log end offset. */
  appendAsFollower (follower: Replica, epoch: number, batches: Buffer): Promise<{ status: LogStatus, logEndOffset: number }>
  /** Tells the leader its new high watermark (ordered behind the appends already sent to it). */
  setHighWatermark (leader: Replica, highWatermark: number): void
  /** Makes the replica the leader of `epoch`; resolves with its log end offset. */
  becomeLeader (replica: Replica, epoch: number, highWatermark: number): Promise<number>
  becomeFollower (replica: Replica, epoch: number): Promise<void>
  latestEpoch (replica: Replica): Promise<number>
  /** Kafka's OffsetForLeaderEpoch on one replica: [largest epoch ≤ `epoch`, its end offset], or [-1, -1]. */
  endOffsetForEpoch (replica: Replica, epoch: number): Promise<[number, number]>
  /** Drops records at and after `offset`; resolves with the new log end offset. */
  truncateTo (replica: Replica, offset: number): Promise<number>
  /** Empties the log and starts it at `offset`. */
  truncateFullyAndStartAt (replica: Replica, offset: number): Promise<void>
  /** The leader's log start offset now. */
  logStartOffset (leader: Replica): Promise<number>
}

export interface PartitionReplicasOptions {
  /** `topic-partition`, for log lines. */
  readonly name: string
  readonly replicas: Replica[]
  readonly leader: number
  readonly leaderEpoch: number
  readonly highWatermark: number
  /** The leader's log end offset when this state was built. */
  readonly leaderLogEndOffset: number
  /** The topic's min.insync.replicas now (it can be altered at any time). */
  readonly minInsyncReplicas: () => number
  readonly lagTimeMaxMs: number
  readonly maxFetchBytes: number
  readonly io: ReplicaIo
  readonly logger: Logger
  /** Called when the high watermark grows (wake long-polls, mirror it). */
  readonly onHighWatermark: (highWatermark: number) => void
  /** Called when leadership settles: a new leader serves in `epoch`, or (null) the partition went offline. */
  readonly onLeaderChange?: (leader: Replica | null, epoch: number) => void
  readonly now?: () => number
}

interface CommitWaiter {
  endOffset: number
  resolve: (code: number) => void
}

export class PartitionReplicas {
  readonly name: string
  readonly replicas: readonly Replica[]
  #leader: Replica | null
  #epoch: number
  #highWatermark: number
  /** The leader's log end offset (from its append answers). */
  #leaderEnd: number
  /** Where the current epoch began on the leader: a follower rejoins the ISR only past it. */
  #epochStartOffset: number
  readonly #options: PartitionReplicasOptions
  readonly #now: () => number
  readonly #waiters: CommitWaiter[] = []
  /** The copy loop running for each follower (a token: a loop whose token was replaced stops), and those asked to go round once more. */
  readonly #copying = new Map<Replica, object>()
  readonly #again = new Set<Replica>()
  #electing = false
  /** While offline: the replicas in sync when the last leader was lost; only they may lead again. */
  #lastInSync: ReadonlySet<Replica> = new Set()

  constructor (options: PartitionReplicasOptions) {
    this.#options = options
    this.name = options.name
    this.replicas = options.replicas
    this.#leader = options.replicas[options.leader] ?? null
    this.#epoch = options.leaderEpoch
    this.#highWatermark = options.highWatermark
    this.#leaderEnd = options.leaderLogEndOffset
    this.#epochStartOffset = options.leaderLogEndOffset
    this.#now = options.now ?? (() => performance.now())
    if (this.#leader !== null) this.#leader.logEndOffset = options.leaderLogEndOffset
  }

  /** The leader, or null while an election runs or when no in-sync replica is left (the partition is offline). */
  get leader (): Replica | null { return this.#electing ? null : this.#leader }
  get leaderEpoch (): number { return this.#epoch }
  get highWatermark (): number { return this.#highWatermark }
  get inSyncReplicas (): Replica[] { return this.replicas.filter((r) => r.inSync) }

  /** The check before an acks=all append (Kafka's NOT_ENOUGH_REPLICAS: nothing is appended). */
  acksAllRefusal (): number {
    return this.inSyncReplicas.length < this.#options.minInsyncReplicas() ? KafkaCode.NOT_ENOUGH_REPLICAS : KafkaCode.NONE
  }

  /** The leader appended (a client batch or a marker): its followers copy it. */
  leaderAppended (logEndOffset: number): void {
    if (logEndOffset <= this.#leaderEnd) return
    this.#leaderEnd = logEndOffset
    if (this.#leader !== null) this.#leader.logEndOffset = logEndOffset
    for (const r of this.replicas) if (r !== this.#leader && r.online) void this.#copy(r)
    this.#advanceHighWatermark()
  }

  /**
   * Resolves when the high watermark reaches `endOffset` (an acks=all append is committed): with
   * NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is then smaller than min.insync.replicas,
   * or NOT_LEADER_OR_FOLLOWER when leadership moved first (the client retries; an idempotent retry is
   * deduplicated by the new leader).
   */
  waitForCommit (endOffset: number): Promise<number> {
    if (endOffset <= this.#highWatermark) return Promise.resolve(this.#commitCode())
    return new Promise((resolve) => { this.#waiters.push({ endOffset, resolve }) })
  }

  /** Followers out of the ISR for longer than the lag time leave it (call it on a timer). */
  checkLag (): void {
    const now = this.#now()
    let shrunk = false
    for (const r of this.replicas) {
      if (r === this.#leader || !r.inSync) continue
      if (r.logEndOffset >= this.#leaderEnd) { r.lastCaughtUpAt = now; continue }
      if (now - r.lastCaughtUpAt <= this.#options.lagTimeMaxMs) continue
      r.inSync = false
      shrunk = true
      this.#options.logger.warn({ partition: this.name, replica: r.index, worker: r.worker, logEndOffset: r.logEndOffset, leaderLogEndOffset: this.#leaderEnd, lagMs: Math.round(now - r.lastCaughtUpAt), isr: this.#isrIndexes() },
        'a follower fell behind for longer than replica.lag.time.max.ms and left the in-sync replicas')
    }
    if (shrunk) this.#advanceHighWatermark()
  }

  /**
   * A replica is lost (its worker died or hung, or its data dir failed). A lost leader is replaced
   * by an in-sync follower in a new leader epoch; with none left the partition goes offline
   * (unclean election is off: an out-of-sync replica may lack acknowledged records).
   */
  async replicaLost (lost: Replica, why: string): Promise<void> {
    const wasInSync = lost.inSync
    lost.online = false
    lost.inSync = false
    this.#copying.delete(lost)
    if (lost !== this.#leader) {
      if (wasInSync) {
        this.#options.logger.warn({ partition: this.name, replica: lost.index, worker: lost.worker, why, isr: this.#isrIndexes() }, 'a follower left the in-sync replicas')
        this.#advanceHighWatermark()
      }
      return
    }
    this.#failWaiters(KafkaCode.NOT_LEADER_OR_FOLLOWER)
    const next = this.replicas.find((r) => r !== lost && r.online && r.inSync)
    if (next === undefined) {
      this.#lastInSync = new Set([lost])
      this.#leader = null
      this.#options.onLeaderChange?.(null, this.#epoch)
      this.#options.logger.error({ partition: this.name, lostLeader: lost.index, worker: lost.worker, why, leaderEpoch: this.#epoch },
        'partition offline: its leader was lost and no other in-sync replica is left (unclean leader election is off); it comes back with that replica')
      return
    }
    await this.#elect(next, lost, why)
  }

  /** A lost replica is back (its worker restarted and recovered it): it truncates, catches up and rejoins. */
  async replicaBack (replica: Replica): Promise<void> {
    replica.online = true
    if (this.#leader !== null) { await this.#follow(replica); return }
    if (!this.#lastInSync.has(replica)) {
      this.#options.logger.warn({ partition: this.name, replica: replica.index, worker: replica.worker }, 'replica is back but the partition stays offline: it was not in sync when the last leader was lost')
      return
    }
    // The last in-sync replica is back: it has every committed record, and leads again.
    replica.inSync = true
    this.#lastInSync = new Set()
    await this.#elect(replica, null, 'the last in-sync replica is back')
  }

  /** Starts copying for every follower (after the state is built at start or after topic creation). */
  async startFollowers (): Promise<void> {
    // In-sync replicas already at the leader's end (a restart) commit what they share at once.
    this.#advanceHighWatermark()
    await Promise.all(this.replicas.filter((r) => r !== this.#leader && r.online).map(async (r) => await this.#follow(r)))
  }

  async #elect (next: Replica, lost: Replica | null, why: string): Promise<void> {
    this.#electing = true
    this.#leader = next
    this.#epoch++
    try {
      const end = await this.#options.io.becomeLeader(next, this.#epoch, this.#highWatermark)
      next.logEndOffset = end
      this.#leaderEnd = end
      this.#epochStartOffset = end
      next.lastCaughtUpAt = this.#now()
    } finally {
      this.#electing = false
    }
    this.#options.onLeaderChange?.(next, this.#epoch)
    this.#options.logger.warn({ partition: this.name, leader: next.index, worker: next.worker, lostLeader: lost?.index, why, leaderEpoch: this.#epoch, highWatermark: this.#highWatermark, isr: this.#isrIndexes() },
      'new partition leader elected from the in-sync replicas')
    for (const r of this.replicas) if (r !== next && r.online) void this.#follow(r).catch(() => {})
    this.#advanceHighWatermark()
  }

  /** Makes `replica` a follower of the current leader: role, truncation to the divergence point, copying. */
  async #follow (replica: Replica): Promise<void> {
    const leader = this.#leader
    if (leader === null) return
    const io = this.#options.io
    const epoch = this.#epoch
    // A copy loop from an earlier leadership stops here; a fresh one starts after the truncation.
    this.#copying.delete(replica)
    this.#again.delete(replica)
    await io.becomeFollower(replica, epoch)
    const latest = await io.latestEpoch(replica)
    const [leaderEpoch, leaderEnd] = latest < 0 ? [-1, -1] : await io.endOffsetForEpoch(leader, latest)
    if (epoch !== this.#epoch || leader !== this.#leader) return
    if (leaderEpoch < 0) {
      // Nothing in common with the leader's epochs: start over from the leader's log start.
      if (replica.logEndOffset > 0 || latest >= 0) {
        const start = await io.logStartOffset(leader)
        await io.truncateFullyAndStartAt(replica, start)
        replica.logEndOffset = start
      }
    } else {
      // KIP-279: where the leader's epoch `leaderEpoch` ends, or where ours does if it ends sooner.
      const ownEnd = leaderEpoch === latest ? replica.logEndOffset : (await io.endOffsetForEpoch(replica, leaderEpoch))[1]
      const target = Math.min(leaderEnd, ownEnd < 0 ? leaderEnd : ownEnd)
      if (target < replica.logEndOffset) {
        this.#options.logger.info({ partition: this.name, replica: replica.index, from: replica.logEndOffset, to: target, leaderEpoch: epoch }, 'follower truncated to where it diverged from the leader')
      }
      replica.logEndOffset = await io.truncateTo(replica, target)
    }
    await this.#copy(replica)
  }

  /** Copies from the leader until the follower has everything the leader had when it asked. */
  async #copy (follower: Replica): Promise<void> {
    if (this.#copying.has(follower)) { this.#again.add(follower); return }
    const run = {}
    this.#copying.set(follower, run)
    const running = (): boolean => this.#copying.get(follower) === run
    const io = this.#options.io
    try {
      do {
        this.#again.delete(follower)
        for (;;) {
          const leader = this.#leader
          if (leader === null || this.#electing || !follower.online || !running()) return
          const epoch = this.#epoch
          const target = this.#leaderEnd
          if (follower.logEndOffset >= target) { this.#caughtUp(follower, this.#now()); break }
          const askedAt = this.#now()
          const read = await io.fetchForFollower(leader, follower.logEndOffset, this.#options.maxFetchBytes)
          if (epoch !== this.#epoch || !running()) return
          if (read.status === LogStatus.OffsetOutOfRange && follower.logEndOffset < read.logStartOffset) {
            // The leader deleted what the follower still needs (retention, DeleteRecords): start where the leader starts.
            await io.truncateFullyAndStartAt(follower, read.logStartOffset)
            follower.logEndOffset = read.logStartOffset
            continue
          }
          if (read.status !== LogStatus.Ok || read.bytes === null || read.bytes.length === 0) {
            this.#options.logger.warn({ partition: this.name, replica: follower.index, offset: follower.logEndOffset, status: LogStatus[read.status] }, 'a follower could not read from its leader; it retries on the next append')
            return
          }
          const wrote = await io.appendAsFollower(follower, epoch, read.bytes)
          if (epoch !== this.#epoch || !running()) return
          if (wrote.status !== LogStatus.Ok) {
            this.#options.logger.error({ partition: this.name, replica: follower.index, worker: follower.worker, offset: follower.logEndOffset, status: LogStatus[wrote.status] },
              'a follower refused the leader\'s batches; it stays out of the in-sync replicas')
            if (wrote.status === LogStatus.StorageError) await this.replicaLost(follower, 'storage error')
            return
          }
          follower.logEndOffset = wrote.logEndOffset
          if (follower.logEndOffset >= target) this.#caughtUp(follower, askedAt)
        }
      } while (this.#again.has(follower))
    } finally {
      if (running()) {
        this.#copying.delete(follower)
        this.#again.delete(follower)
      }
    }
  }

  /** The follower has what the leader had at `at`: it counts as caught up then, and may rejoin the ISR. */
  #caughtUp (follower: Replica, at: number): void {
    follower.lastCaughtUpAt = Math.max(follower.lastCaughtUpAt, at)
    if (!follower.inSync && follower.logEndOffset >= this.#highWatermark && follower.logEndOffset >= this.#epochStartOffset) {
      follower.inSync = true
      this.#options.logger.info({ partition: this.name, replica: follower.index, worker: follower.worker, logEndOffset: follower.logEndOffset, isr: this.#isrIndexes() },
        'a follower caught up and joined the in-sync replicas')
    }
    this.#advanceHighWatermark()
  }

  #advanceHighWatermark (): void {
    const leader = this.#leader
    if (leader === null || this.#electing) return
    let hw = this.#leaderEnd
    for (const r of this.replicas) if (r.inSync && r !== leader && r.logEndOffset < hw) hw = r.logEndOffset
    if (hw <= this.#highWatermark) return
    this.#highWatermark = hw
    this.#options.io.setHighWatermark(leader, hw)
    this.#options.onHighWatermark(hw)
    const code = this.#commitCode()
    let done = 0
    while (done < this.#waiters.length && this.#waiters[done].endOffset <= hw) done++
    if (done === 0) return
    for (const w of this.#waiters.splice(0, done)) w.resolve(code)
  }

  #commitCode (): number {
    return this.inSyncReplicas.length < this.#options.minInsyncReplicas() ? KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : KafkaCode.NONE
  }

  #failWaiters (code: number): void {
    for (const w of this.#waiters.splice(0)) w.resolve(code)
  }

  #isrIndexes (): number[] {
    return this.replicas.filter((r) => r.inSync).map((r) => r.index)
  }

  /** Stops copying and answers every waiting append (the partition is deleted or the broker closes). */
  close (): void {
    this.#copying.clear()
    this.#failWaiters(KafkaCode.NOT_LEADER_OR_FOLLOWER)
  }
}
