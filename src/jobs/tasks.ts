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
import type { DiscoveredPartition, UnloadablePartition } from '../partition/partition-spec.js'
import { holdsPartitionData, readPartitionMetadata, readTopicConfig } from '../partition/partition-files.js'
import { OFFSETS_DIR } from '../coordinator/offsets-topic.js'
import { TXN_LOG_DIR } from '../transactions/txn-log-names.js'

export type JobTask =
  | { type: 'discover', dataDir: string }
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

/** Names a partition directory `<topic>-<partition>`; topics may contain '-' themselves. */
const PARTITION_DIR = /^(.+)-(\d+)$/

/** Lists the partitions in a data dir (which the broker has already created and locked). */
export function discover (dataDir: string): DiscoverResult {
  const partitions: DiscoveredPartition[] = []
  const unloadable: UnloadablePartition[] = []
  const pendingDeletes: string[] = []
  for (const name of readdirSync(dataDir)) {
    const dir = join(dataDir, name)
    if (name.endsWith('-delete')) { pendingDeletes.push(dir); continue }
    const match = PARTITION_DIR.exec(name)
    // The coordinator's logs have a partition's name but no topic: the coordinator opens them.
    if (match === null || name === OFFSETS_DIR || name === TXN_LOG_DIR || !statSync(dir).isDirectory()) continue
    const topic = match[1]
    const partition = Number(match[2])
    const metadata = readPartitionMetadata(dir)
    if (metadata.topicId === null) {
      // Never guessed and never skipped: skipping would let a new topic of this name take the
      // directory over with a new id, behind the records already in it.
      if (holdsPartitionData(dir)) unloadable.push({ dir, topic, partition, problem: metadata.problem })
      continue
    }
    const config = readTopicConfig(dir)
    if (config.overrides === null) {
      // Its records are there but not how to keep them (compaction, retention): offline, not guessed.
      unloadable.push({ dir, topic, partition, problem: config.problem })
      continue
    }
    partitions.push({ dir, topic, partition, topicId: metadata.topicId, overrides: config.overrides })
  }
  return { partitions, unloadable, pendingDeletes }
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
    case 'discover': return discover(task.dataDir)
    case 'recover': return recover(task.dir, logConfigFromTopicConfig({ ...task.topicDefaults, ...task.overrides }))
    case 'delete-dir': rmSync(task.dir, { recursive: true, force: true }); return null
    case 'clean': return runClean(task.plan)
    case 'scrub': return runScrub(task.task)
  }
}
