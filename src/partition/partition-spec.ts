/** What the dispatcher tells a worker about a partition it is to host (control plane, comlink). */
export interface PartitionSpec {
  /** Broker-wide numeric id: the key in ring frames. */
  readonly id: number
  readonly topic: string
  /** 16 bytes as 32 hex digits. */
  readonly topicId: string
  readonly partition: number
  /** Topic-level config overrides (Kafka names); broker defaults fill the rest. */
  readonly overrides: Readonly<Record<string, string>>
  readonly leaderEpoch: number
  // Replication. Left out, they describe today's single copy: replica 0 of 1, a leader, in the
  // worker's own data dir.
  /** This replica's index in [0, replicas); its directory is `replicaDirName(…)`. */
  readonly replica?: number
  /** The topic's replication factor. A leader of more than one replica only moves its high watermark when told. */
  readonly replicas?: number
  /** The data dir holding this replica, or null in memory; the worker's own data dir when left out. */
  readonly dataDir?: string | null
  readonly role?: ReplicaRole
}

export type ReplicaRole = 'leader' | 'follower'

/** A partition's offsets as the actor last knew them. */
export interface PartitionOffsets {
  readonly logStartOffset: number
  readonly highWatermark: number
  readonly logEndOffset: number
  readonly sizeBytes: number
  /** The first offset of the oldest open transaction, or the high watermark (read_committed reads stop here). */
  readonly lastStableOffset: number
}

/** What opening a partition found: its offsets, and what the coordinator must know of its producers. */
export interface OpenedPartition extends PartitionOffsets {
  /** The largest producer id in the partition's producer state, -1 for none (producer-ids.ts). */
  readonly largestProducerId: number
}

/** What a data-dir scan found on disk for one partition (see jobs/discover.ts). */
export interface DiscoveredPartition {
  readonly dir: string
  readonly topic: string
  readonly topicId: string
  readonly partition: number
  readonly overrides: Record<string, string>
}

export function partitionDirName (topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/**
 * Replica 0 keeps the partition's own name (data dirs written before replication load as
 * they are); replica r ≥ 1 lives in `<topic>-<partition>~<r>` (`~` is never in a topic name).
 */
export function replicaDirName (topic: string, partition: number, replica: number): string {
  return replica === 0 ? partitionDirName(topic, partition) : `${partitionDirName(topic, partition)}~${replica}`
}

/** A partition directory found at start that cannot be loaded: it is kept untouched and its topic stays offline. */
export interface UnloadablePartition {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  readonly problem: string
}
