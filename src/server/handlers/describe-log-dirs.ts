/**
 * DescribeLogDirs (35): one result per data dir (Kafka's log dir), each listing the replicas it
 * holds with their size on disk and their lag behind the leader. Kafka tools see here what
 * Metadata cannot say on one broker (node 1 is every replica there): where each replica lives and
 * how far behind it is.
 * A dir taken offline after a storage failure answers KAFKA_STORAGE_ERROR, as Kafka does, and
 * (beyond Kafka, which lists nothing there) still lists the replicas it held, with partitionSize
 * -1 and their lag when the dir failed: a tool then sees which partitions lost a copy. A replica
 * whose worker cannot answer (offline, restarting) is listed with partitionSize -1 too. A broker
 * in memory has no dirs and answers none.
 */
import { statfs } from 'node:fs/promises'
import type { DescribeLogDirsPartition, DescribeLogDirsRequest, DescribeLogDirsResponse, DescribeLogDirsResult, DescribeLogDirsTopic } from '../../protocol/apis/describe-log-dirs.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import type { PartitionState, TopicState } from '../../dispatcher/topic-table.js'
import type { PartitionOffsets } from '../../partition/partition-spec.js'
import { replicaViews, type ReplicaView } from '../../replication/replica-view.js'
import type { Logger } from '../../logger.js'
import { LogRateLimiter } from '../../logger.js'
import { CLUSTER_NAME } from '../../security/acl.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestAccess } from '../access.js'
import type { RequestContext } from '../context.js'

/** Space of one data dir's file system; -1 when unknown. */
export interface DiskSpace { totalBytes: number, usableBytes: number }

/** What the handler needs of the broker (a fake in the unit tests). */
export interface LogDirSource {
  readonly logger: Logger
  readonly dataDirs: readonly string[]
  dataDirOffline (dir: string): boolean
  topics (): Iterable<TopicState>
  /** The offsets (and size) of replica `replica` of `p` as its worker reports them; null when it cannot answer. */
  describeReplica (p: PartitionState, replica: ReplicaView): Promise<PartitionOffsets | null>
  diskSpace (dir: string): Promise<DiskSpace>
}

const UNKNOWN_SPACE: DiskSpace = Object.freeze({ totalBytes: -1, usableBytes: -1 })

/** One warning a second per replica whose worker cannot answer, however many tools ask. */
const failureLines = new LogRateLimiter()

export async function handleDescribeLogDirs (ctx: RequestContext, req: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
  const { dispatcher } = ctx
  const source: LogDirSource = {
    logger: dispatcher.logger,
    dataDirs: ctx.config.dataDirs,
    dataDirOffline: (dir) => dispatcher.workers.offlineDataDirs.has(dir),
    topics: () => dispatcher.topics.all(),
    describeReplica: async (p, replica) => {
      const link = dispatcher.workers.link(replica.worker)
      if (link === undefined || !link.alive) return null
      return await link.call((c) => c.describe(p.id))
    },
    diskSpace
  }
  return await describeLogDirs(source, ctx.access, req)
}

export async function describeLogDirs (source: LogDirSource, access: RequestAccess, req: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
  if (!access.allows(CHECKS.describeLogDirs.cluster, CLUSTER_NAME)) {
    return { throttleTimeMs: 0, errorCode: CHECKS.describeLogDirs.cluster.errorCode, results: [] }
  }
  const wanted = wantedPartitions(req)
  // Per dir, per topic, the replicas it holds (every replica of a partition is asked at once).
  const byDir = new Map<string, Map<string, Array<Promise<DescribeLogDirsPartition>>>>()
  for (const dir of source.dataDirs) byDir.set(dir, new Map())
  for (const topic of source.topics()) {
    const partitionsWanted = wanted === null ? null : wanted.get(topic.name)
    if (partitionsWanted === undefined) continue
    for (const p of topic.partitions) {
      if (partitionsWanted !== null && !partitionsWanted.has(p.partition)) continue
      const views = replicaViews(p).filter((r) => r.dataDir !== null && byDir.has(r.dataDir))
      if (views.length === 0) continue
      const described = describeAll(source, p)
      for (const r of views) {
        const topics = byDir.get(r.dataDir!)!
        let list = topics.get(topic.name)
        if (list === undefined) topics.set(topic.name, list = [])
        list.push(described.then((offsets) => replicaEntry(p, r, offsets)))
      }
    }
  }
  const results = await Promise.all(source.dataDirs.map(async (dir): Promise<DescribeLogDirsResult> => {
    const offline = source.dataDirOffline(dir)
    const [space, topics] = await Promise.all([
      offline ? UNKNOWN_SPACE : source.diskSpace(dir),
      Promise.all([...byDir.get(dir)!].map(async ([name, list]): Promise<DescribeLogDirsTopic> => ({ name, partitions: await Promise.all(list) })))
    ])
    return { errorCode: offline ? KafkaCode.KAFKA_STORAGE_ERROR : KafkaCode.NONE, logDir: dir, topics, ...space }
  }))
  return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, results }
}

/** Requested topic → partitions; null = every topic and partition. */
function wantedPartitions (req: DescribeLogDirsRequest): Map<string, Set<number>> | null {
  if (req.topics === null) return null
  const wanted = new Map<string, Set<number>>()
  for (const t of req.topics) {
    let set = wanted.get(t.topic)
    if (set === undefined) wanted.set(t.topic, set = new Set())
    for (const partition of t.partitions) set.add(partition)
  }
  return wanted
}

/** Each replica's offsets by replica index (null where its worker could not answer). */
async function describeAll (source: LogDirSource, p: PartitionState): Promise<Map<number, PartitionOffsets | null>> {
  const views = replicaViews(p)
  const answers = await Promise.all(views.map(async (r) => {
    if (!r.online) return null
    try {
      return await source.describeReplica(p, r)
    } catch (err) {
      const suppressed = failureLines.admit(`${p.topic}-${p.partition}~${r.replica}`)
      if (suppressed !== null) {
        source.logger.warn({ topic: p.topic, partition: p.partition, replica: r.replica, worker: r.worker, err, suppressed },
          'DescribeLogDirs could not reach a replica\'s worker: its size is reported as -1')
      }
      return null
    }
  }))
  return new Map(views.map((r, i) => [r.replica, answers[i]]))
}

function replicaEntry (p: PartitionState, r: ReplicaView, offsets: Map<number, PartitionOffsets | null>): DescribeLogDirsPartition {
  const leader = replicaViews(p).find((v) => v.leader)
  let offsetLag = 0
  if (leader !== undefined && !r.leader) {
    const leaderEnd = offsets.get(leader.replica)?.logEndOffset ?? Number(leader.logEndOffset)
    const ownEnd = offsets.get(r.replica)?.logEndOffset ?? Number(r.logEndOffset)
    offsetLag = Math.max(0, leaderEnd - ownEnd)
  }
  return { partitionIndex: p.partition, partitionSize: offsets.get(r.replica)?.sizeBytes ?? -1, offsetLag, isFutureKey: false }
}

/** The file system's size and the space left for the broker (statfs; -1 where it cannot tell). */
async function diskSpace (dir: string): Promise<DiskSpace> {
  try {
    const s = await statfs(dir)
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize }
  } catch {
    return UNKNOWN_SPACE
  }
}
