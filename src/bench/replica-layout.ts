/**
 * Where a benchmarked Millrace broker keeps a replicated topic: at least N partition workers and
 * N data dirs, so each of a partition's N replicas has its own thread and its own directory.
 */
import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

export interface ReplicaLayout {
  /** The data dirs the broker gets (one for replication factor 1). */
  dataDirs: string[]
  /** Partition workers; undefined = the broker's default. */
  workers: number | undefined
}

/**
 * The layout for `replicationFactor` under `base` (a temp dir or the --data dir): `base` itself
 * for replication factor 1, otherwise `base/d0` … `base/d<N-1>`, created here.
 */
export function replicaLayout (base: string, replicationFactor: number): ReplicaLayout {
  if (replicationFactor <= 1) return { dataDirs: [base], workers: undefined }
  const dataDirs = Array.from({ length: replicationFactor }, (_, i) => join(base, `d${i}`))
  for (const dir of dataDirs) mkdirSync(dir, { recursive: true })
  // The broker's own default, unless replication needs more.
  return { dataDirs, workers: Math.max(replicationFactor, availableParallelism() - 1) }
}
