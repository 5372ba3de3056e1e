/**
 * Where a topic's replicas live, for `millrace topics describe`: DescribeLogDirs (API 35) on the
 * broker the CLI reached, regrouped per partition. On Millrace, Metadata shows one broker (node 1
 * is every replica), so this is the only place the wire says how many copies a partition has, in
 * which data dir, and how far each is behind. (The in-sync set itself is in
 * `broker.describeTopic` and /metrics: the Kafka wire has no per-replica ISR on one broker.)
 * Against an Apache Kafka cluster it shows the replicas held by the bootstrap broker only.
 */
import { ApiKey } from '../protocol/api-keys.js'
import type { DescribeLogDirsResponse } from '../protocol/apis/describe-log-dirs.js'
import { errorName, KafkaCode } from '../protocol/error-codes.js'
import type { KafkaClient } from './kafka-client.js'

export interface ReplicaPlacement {
  logDir: string
  /** Bytes on disk; -1 when the broker could not ask the replica (offline or restarting). */
  sizeBytes: number
  /** Records behind the leader (0 for the leader). */
  offsetLag: number
  /** The dir's error (KAFKA_STORAGE_ERROR: taken offline), NONE when it is healthy. */
  errorCode: number
}

export type TopicPlacement =
  | { available: true, partitions: Map<number, ReplicaPlacement[]> }
  | { available: false, reason: string }

/** The topic's replicas per partition, or why the broker cannot say (old broker, no Describe on the cluster). */
export async function topicPlacement (client: KafkaClient, topic: string): Promise<TopicPlacement> {
  if (!client.bootstrap.supports(ApiKey.DescribeLogDirs)) return { available: false, reason: 'the broker does not serve DescribeLogDirs' }
  const { response } = await client.bootstrap.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, { topics: null })
  if (response.errorCode !== undefined && response.errorCode !== KafkaCode.NONE) {
    return { available: false, reason: `DescribeLogDirs failed: ${errorName(response.errorCode)}` }
  }
  const partitions = new Map<number, ReplicaPlacement[]>()
  for (const dir of response.results) {
    for (const t of dir.topics) {
      if (t.name !== topic) continue
      for (const p of t.partitions) {
        if (p.isFutureKey) continue
        let list = partitions.get(p.partitionIndex)
        if (list === undefined) partitions.set(p.partitionIndex, list = [])
        list.push({ logDir: dir.logDir, sizeBytes: p.partitionSize, offsetLag: p.offsetLag, errorCode: dir.errorCode })
      }
    }
  }
  return { available: true, partitions }
}

/** A replica that is offline (failed dir, unreachable worker) or behind the leader. */
export function replicaLagging (r: ReplicaPlacement): boolean {
  return r.errorCode !== KafkaCode.NONE || r.sizeBytes < 0 || r.offsetLag > 0
}

/** One line per replica, tab-indented under its partition's line. */
export function replicaLine (r: ReplicaPlacement): string {
  const state = r.errorCode !== KafkaCode.NONE
    ? `\tOffline: ${errorName(r.errorCode)}`
    : r.sizeBytes < 0 ? '\tOffline: not answering' : ''
  return `\t\tLogDir: ${r.logDir}\tSize: ${r.sizeBytes < 0 ? '?' : r.sizeBytes}\tLag: ${r.offsetLag}${state}`
}
