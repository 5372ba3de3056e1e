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
}

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

/** A partition directory found at start that cannot be loaded: it is kept untouched and its topic stays offline. */
export interface UnloadablePartition {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  readonly problem: string
}
