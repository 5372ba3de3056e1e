/**
 * The dispatcher's view of topics and partitions: names, ids, config overrides, which worker
 * hosts each partition, and the offsets last reported by its actor. Plain data, one thread.
 */
import { randomBytes } from 'node:crypto'
import type { PartitionReplicas } from '../replication/partition-replicas.js'

export interface PartitionState {
  readonly topic: string
  readonly partition: number
  /** Broker-wide numeric id used in ring frames. */
  readonly id: number
  /** The replica the dispatcher hosts (0 until replication lands) and the data dir it lives in; null in memory. */
  readonly replica: number
  readonly dataDir: string | null
  /** The worker hosting it; with several replicas, the leader's (the replication state says which). */
  worker: number
  leaderEpoch: number
  /** The replication state of a partition with more than one replica; null for one replica (today's path, untouched). */
  replication: PartitionReplicas | null
  logStartOffset: number
  highWatermark: number
  logEndOffset: number
  /** The last stable offset the worker last reported: read_committed reads stop here. */
  lastStableOffset: number
  /** False while its worker restarts and recovers it. */
  online: boolean
  /** Counts successful appends: a long-poll compares it to what it saw before reading. */
  appends: number
  /** The last append's batches as stored, while the long-polls it woke read them (./partition-router.ts). */
  tail: StoredTail | null
  /** Traffic since this partition was created or loaded (./traffic.ts), read by the metrics. */
  recordsIn: number
  bytesIn: number
  recordsOut: number
  bytesOut: number
}

/** Batches a fresh append stored, as its worker's answer carried them (offsets, epoch, stamps as in the log). */
export interface StoredTail {
  /** Offset of its first record, and one past its last. */
  readonly baseOffset: number
  readonly endOffset: number
  readonly bytes: Buffer
}

export interface TopicState {
  readonly name: string
  /** 32 hex digits. */
  readonly topicId: string
  overrides: Record<string, string>
  readonly partitions: PartitionState[]
}

export class TopicTable {
  readonly #topics = new Map<string, TopicState>()
  /** By topic id (hex): Fetch v13+ and DeleteTopics name topics by id. */
  readonly #byTopicId = new Map<string, TopicState>()
  readonly #byId = new Map<number, PartitionState>()
  #nextPartitionId = 1

  get size (): number { return this.#topics.size }
  get (name: string): TopicState | undefined { return this.#topics.get(name) }
  byTopicId (topicId: string): TopicState | undefined { return this.#byTopicId.get(topicId) }
  has (name: string): boolean { return this.#topics.has(name) }
  all (): IterableIterator<TopicState> { return this.#topics.values() }
  partitionById (id: number): PartitionState | undefined { return this.#byId.get(id) }
  partitions (): IterableIterator<PartitionState> { return this.#byId.values() }

  static newTopicId (): string {
    return randomBytes(16).toString('hex')
  }

  addTopic (name: string, topicId: string, overrides: Record<string, string>): TopicState {
    const topic: TopicState = { name, topicId, overrides, partitions: [] }
    this.#topics.set(name, topic)
    this.#byTopicId.set(topicId, topic)
    return topic
  }

  addPartition (topic: TopicState, partition: number, worker: number, dataDir: string | null = null): PartitionState {
    const state: PartitionState = {
      topic: topic.name,
      partition,
      id: this.#nextPartitionId++,
      replica: 0,
      dataDir,
      worker,
      leaderEpoch: 0,
      replication: null,
      logStartOffset: 0,
      highWatermark: 0,
      logEndOffset: 0,
      lastStableOffset: 0,
      online: false,
      appends: 0,
      tail: null,
      recordsIn: 0,
      bytesIn: 0,
      recordsOut: 0,
      bytesOut: 0
    }
    topic.partitions[partition] = state
    this.#byId.set(state.id, state)
    return state
  }

  /** Takes partitions `from` and up out of `topic` (a createPartitions that failed); returns them. */
  removePartitionsFrom (topic: TopicState, from: number): PartitionState[] {
    const removed = topic.partitions.splice(from)
    for (const p of removed) if (p !== undefined) this.#byId.delete(p.id)
    return removed
  }

  removeTopic (name: string): void {
    const topic = this.#topics.get(name)
    if (topic === undefined) return
    for (const p of topic.partitions) this.#byId.delete(p.id)
    this.#topics.delete(name)
    this.#byTopicId.delete(topic.topicId)
  }

  /** Picks the worker hosting the fewest partitions, so topics spread evenly. */
  leastLoadedWorker (workers: number): number {
    const counts = new Array<number>(workers).fill(0)
    for (const p of this.#byId.values()) {
      if (p.replication === null) counts[p.worker]++
      else for (const r of p.replication.replicas) if (r.worker < workers) counts[r.worker]++
    }
    let best = 0
    for (let i = 1; i < workers; i++) if (counts[i] < counts[best]) best = i
    return best
  }

  /**
   * Picks the data dir holding the fewest partitions (the first on a tie), so new partitions
   * go round-robin over the dirs and fill a dir added later first; null in memory.
   */
  leastLoadedDataDir (dataDirs: readonly string[]): string | null {
    if (dataDirs.length === 0) return null
    const counts = new Map<string, number>(dataDirs.map((d) => [d, 0]))
    for (const p of this.#byId.values()) if (p.dataDir !== null && counts.has(p.dataDir)) counts.set(p.dataDir, counts.get(p.dataDir)! + 1)
    let best = dataDirs[0]
    for (const d of dataDirs) if (counts.get(d)! < counts.get(best)!) best = d
    return best
  }
}
