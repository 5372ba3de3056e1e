/**
 * Background jobs, run by the piscina pool (workers/job.ts) so that neither the dispatcher
 * nor the host thread touches the disk. Each job is stateless: any pool thread may take it.
 */
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../log/partition-log.js'
import type { RecoveryReport } from '../log/recovery.js'
import type { CleanPlan } from '../log/compaction.js'
import { runClean } from './clean.js'
import { runScrub } from './scrub.js'
import type { ScrubTask } from '../log/scrub.js'
import { logConfigFromTopicConfig } from '../log/config.js'
import { parseReplicaDirName, type DiscoveredPartition, type UnloadablePartition } from '../partition/partition-spec.js'
import { holdsPartitionData, readPartitionMetadata, readTopicConfig } from '../partition/partition-files.js'
import { OFFSETS_DIR } from '../coordinator/offsets-topic.js'
import { TXN_LOG_DIR } from '../transactions/txn-log-names.js'

export type JobTask =
  | { type: 'discover', dataDirs: readonly string[] }
  | { type: 'recover', dir: string, topicDefaults: Record<string, string>, overrides: Record<string, string> }
  | { type: 'delete-dir', dir: string }
  | { type: 'clean', plan: CleanPlan }
  | { type: 'scrub', task: ScrubTask }

export interface DiscoverResult {
  partitions: DiscoveredPartition[]
  /** Partition directories whose topic cannot be told (partition.metadata missing or damaged). */
  unloadable: UnloadablePartition[]
  pendingDeletes: string[]
}

/** Lists the partition replicas in every data dir (which the broker has already created and locked). */
export function discover (dataDirs: readonly string[]): DiscoverResult {
  const result: DiscoverResult = { partitions: [], unloadable: [], pendingDeletes: [] }
  for (const dataDir of dataDirs) discoverIn(dataDir, result)
  return result
}

function discoverIn (dataDir: string, { partitions, unloadable, pendingDeletes }: DiscoverResult): void {
  for (const name of readdirSync(dataDir)) {
    const dir = join(dataDir, name)
    if (name.endsWith('-delete')) { pendingDeletes.push(dir); continue }
    const parsed = parseReplicaDirName(name)
    // The coordinator's logs have a partition's name but no topic: the coordinator opens them.
    if (parsed === null || name === OFFSETS_DIR || name === TXN_LOG_DIR || !statSync(dir).isDirectory()) continue
    const { topic, partition, replica } = parsed
    const metadata = readPartitionMetadata(dir)
    if (metadata.topicId === null) {
      // Never guessed and never skipped: skipping would let a new topic of this name take the
      // directory over with a new id, behind the records already in it.
      if (holdsPartitionData(dir)) unloadable.push({ dir, topic, partition, replica, problem: metadata.problem })
      continue
    }
    const config = readTopicConfig(dir)
    if (config.overrides === null) {
      // Its records are there but not how to keep them (compaction, retention): offline, not guessed.
      unloadable.push({ dir, topic, partition, replica, problem: config.problem })
      continue
    }
    partitions.push({ dir, dataDir, topic, partition, replica, replicas: metadata.replicas, topicId: metadata.topicId, overrides: config.overrides })
  }
}

/**
 * Opens and closes the partition's log here, off the actors' threads: opening runs recovery
 * when the recovery point is behind the log's end or its tail is not whole (an unclean stop),
 * and only reads the active segment's tail after a clean close, as Kafka skips recovery after
 * a clean shutdown. Returns what recovery found, or null when none was needed.
 */
function recover (dir: string, config: ReturnType<typeof logConfigFromTopicConfig>): RecoveryReport | null {
  const log = PartitionLog.open({ dir, config })
  log.close()
  return log.recovery
}

export default function runJob (task: JobTask): unknown {
  switch (task.type) {
    case 'discover': return discover(task.dataDirs)
    case 'recover': return recover(task.dir, logConfigFromTopicConfig({ ...task.topicDefaults, ...task.overrides }))
    case 'delete-dir': rmSync(task.dir, { recursive: true, force: true }); return null
    case 'clean': return runClean(task.plan)
    case 'scrub': return runScrub(task.task)
  }
}
