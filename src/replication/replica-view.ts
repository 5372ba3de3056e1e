/**
 * How a partition's replicas look from outside (describeTopic, `millrace topics describe`, the
 * metrics): one shape for every partition, a partition with one replica included.
 */
import type { PartitionState } from '../dispatcher/topic-table.js'

export interface ReplicaView {
  /** Index in the replica set (its directory is `<topic>-<partition>~<replica>`, replica 0 without the suffix). */
  replica: number
  /** The partition worker hosting it. */
  worker: number
  /** The data dir holding it, null in memory. */
  dataDir: string | null
  leader: boolean
  inSync: boolean
  online: boolean
  /** Its log end offset as the dispatcher last saw it. */
  logEndOffset: bigint
}

/** The replicas of `p`, by index. */
export function replicaViews (p: PartitionState): ReplicaView[] {
  const replication = p.replication
  if (replication === null) {
    return [{ replica: p.replica, worker: p.worker, dataDir: p.dataDir, leader: true, inSync: p.online, online: p.online, logEndOffset: BigInt(p.logEndOffset) }]
  }
  const leader = replication.leader
  return replication.replicas.map((r) => ({
    replica: r.index,
    worker: r.worker,
    dataDir: r.dataDir,
    leader: r === leader,
    inSync: r.inSync,
    online: r.online,
    logEndOffset: BigInt(r.logEndOffset)
  }))
}

/** The in-sync replicas' indexes. */
export function inSyncReplicas (p: PartitionState): number[] {
  return p.replication === null ? (p.online ? [p.replica] : []) : p.replication.inSyncReplicas.map((r) => r.index)
}

/** Fewer in-sync replicas than replicas (Kafka's UnderReplicatedPartitions). */
export function underReplicated (p: PartitionState): boolean {
  const replication = p.replication
  if (replication === null) return false
  return replication.inSyncReplicas.length < replication.replicas.length
}
