/**
 * ReplicaIo bound to the partition workers: each replica of a partition is hosted under the
 * partition's id by its own worker, so a call names the replica's worker and the partition id.
 * Reads and copies go through the workers' rings (ordered with the client requests to that
 * replica); role changes and truncations through their control planes.
 *
 * Thread: the dispatcher's.
 */
import { ISOLATION_REPLICA } from '../partition/frames.js'
import type { HighWatermarkAnswer } from '../partition/frame-codec.js'
import type { WorkerLink } from '../dispatcher/worker-link.js'
import type { Replica, ReplicaIo, ReplicaRead } from './partition-replicas.js'
import type { LogStatus } from '../log/errors.js'

export interface WorkerReplicaIoOptions {
  /** The broker-wide partition id (the key in ring frames, the same on every replica's worker). */
  readonly partitionId: number
  /** The worker link with that index now (a restart replaces it). */
  readonly link: (worker: number) => WorkerLink
  /** The leader's answer to a high watermark frame (its last stable offset moved with it). */
  readonly onHighWatermarkAnswer: (answer: HighWatermarkAnswer) => void
}

export class WorkerReplicaIo implements ReplicaIo {
  readonly #id: number
  readonly #link: (worker: number) => WorkerLink
  readonly #onHighWatermarkAnswer: (answer: HighWatermarkAnswer) => void

  constructor (options: WorkerReplicaIoOptions) {
    this.#id = options.partitionId
    this.#link = options.link
    this.#onHighWatermarkAnswer = options.onHighWatermarkAnswer
  }

  async fetchForFollower (leader: Replica, offset: number, maxBytes: number): Promise<ReplicaRead> {
    const answer = await this.#link(leader.worker).fetch(this.#id, offset, maxBytes, ISOLATION_REPLICA)
    return { status: answer.status, bytes: answer.bytes, logStartOffset: answer.logStartOffset, logEndOffset: answer.logEndOffset }
  }

  async appendAsFollower (follower: Replica, epoch: number, batches: Buffer): Promise<{ status: LogStatus, logEndOffset: number }> {
    const answer = await this.#link(follower.worker).replicaAppend(this.#id, epoch, batches)
    return { status: answer.status, logEndOffset: answer.logEndOffset }
  }

  setHighWatermark (leader: Replica, highWatermark: number): void {
    this.#link(leader.worker).setHighWatermark(this.#id, highWatermark).then(this.#onHighWatermarkAnswer, () => {})
  }

  async becomeLeader (replica: Replica, epoch: number, highWatermark: number): Promise<number> {
    const link = this.#link(replica.worker)
    await link.becomeLeader(this.#id, epoch, highWatermark)
    return await this.#logEndOffset(link)
  }

  async becomeFollower (replica: Replica, epoch: number): Promise<void> {
    await this.#link(replica.worker).becomeFollower(this.#id, epoch)
  }

  async latestEpoch (replica: Replica): Promise<number> {
    return await this.#link(replica.worker).latestEpoch(this.#id)
  }

  async endOffsetForEpoch (replica: Replica, epoch: number): Promise<[number, number]> {
    return await this.#link(replica.worker).endOffsetForEpoch(this.#id, epoch)
  }

  async truncateTo (replica: Replica, offset: number): Promise<number> {
    const link = this.#link(replica.worker)
    await link.truncateTo(this.#id, offset)
    return await this.#logEndOffset(link)
  }

  async truncateFullyAndStartAt (replica: Replica, offset: number): Promise<void> {
    await this.#link(replica.worker).truncateFullyAndStartAt(this.#id, offset)
  }

  async logStartOffset (leader: Replica): Promise<number> {
    const offsets = await this.#link(leader.worker).call((c) => c.describe(this.#id))
    if (offsets === null) throw new Error(`partition ${this.#id} is not hosted by worker ${leader.worker}`)
    return offsets.logStartOffset
  }

  async #logEndOffset (link: WorkerLink): Promise<number> {
    const offsets = await link.call((c) => c.describe(this.#id))
    if (offsets === null) throw new Error(`partition ${this.#id} is not hosted by worker ${link.index}`)
    return offsets.logEndOffset
  }
}
