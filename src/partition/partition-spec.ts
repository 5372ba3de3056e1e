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

/** What a data-dir scan found on disk for one replica of a partition (see jobs/tasks.ts discover). */
export interface DiscoveredPartition {
  readonly dir: string
  /** The data dir `dir` is in. */
  readonly dataDir: string
  readonly topic: string
  readonly topicId: string
  readonly partition: number
  readonly replica: number
  /** The topic's replication factor as its partition.metadata records it (1 when it does not say). */
  readonly replicas?: number
  readonly overrides: Record<string, string>
}

/** Replica 0's directory name, the one partitions had before replication. */
export function partitionDirName (topic: string, partition: number): string {
  return replicaDirName(topic, partition, 0)
}

/**
 * `<topic>-<partition>` for replica 0 (data dirs written before replication load unchanged),
 * `<topic>-<partition>~<replica>` for the others: '~' cannot appear in a topic name.
 */
export function replicaDirName (topic: string, partition: number, replica: number): string {
  return replica === 0 ? `${topic}-${partition}` : `${topic}-${partition}~${replica}`
}

/** Topics may contain '-' themselves; the partition is the last run of digits. */
const REPLICA_DIR = /^(.+)-(\d+)(?:~([1-9]\d*))?$/

/** The topic, partition and replica a directory name stands for, or null when it names none. */
export function parseReplicaDirName (name: string): { topic: string, partition: number, replica: number } | null {
  const match = REPLICA_DIR.exec(name)
  if (match === null) return null
  return { topic: match[1], partition: Number(match[2]), replica: match[3] === undefined ? 0 : Number(match[3]) }
}

/** A partition directory found at start that cannot be loaded: it is kept untouched and its topic stays offline. */
export interface UnloadablePartition {
  readonly dir: string
  readonly replica?: number
  readonly topic: string
  readonly partition: number
  readonly problem: string
}
