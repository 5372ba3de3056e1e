/**
 * One look at the broker through its admin methods: every topic's partitions (offsets and
 * sizes) and every group's lag. Offsets become numbers here (they fit: the log keeps them as
 * numbers) so the result is plain JSON. Taken at most once a second by the LiveSampler.
 */
import type { Broker } from '../../broker.js'
import type { GroupDescription } from '../../client/group/group-admin.js'
import { MillraceError } from '../../errors.js'
import { KafkaCode } from '../../protocol/error-codes.js'

export interface PartitionSnapshot {
  partition: number
  logStartOffset: number
  highWatermark: number
  /** null while the partition is offline. */
  logEndOffset: number | null
  sizeBytes: number | null
}

export interface TopicSnapshot {
  topic: string
  partitions: PartitionSnapshot[]
  /** Sum of the partitions' sizes (offline ones count 0). */
  sizeBytes: number
  /** Sum of HW − log start: the records a consumer from the earliest offset would read. */
  records: number
  offlinePartitions: number
}

export interface GroupOffsetSnapshot {
  topic: string
  partition: number
  committedOffset: number | null
  highWatermark: number | null
  lag: number | null
}

export interface GroupSnapshot {
  groupId: string
  state: string
  protocolType: string
  members: Array<{ memberId: string, clientId: string, clientHost: string, assignment: Array<{ topic: string, partitions: number[] }> }>
  offsets: GroupOffsetSnapshot[]
  /** Sum of the known lags. */
  lag: number
}

export interface BrokerSnapshot {
  /** ms since the epoch when the snapshot was taken. */
  time: number
  topics: TopicSnapshot[]
  groups: GroupSnapshot[]
  /** What could not be read this time (a topic deleted meanwhile is not an error). */
  problems: string[]
}

export async function takeSnapshot (broker: Broker, now = Date.now): Promise<BrokerSnapshot> {
  const problems: string[] = []
  const [topics, groups] = await Promise.all([topicSnapshots(broker, problems), groupSnapshots(broker, problems)])
  return { time: now(), topics, groups, problems }
}

async function topicSnapshots (broker: Broker, problems: string[]): Promise<TopicSnapshot[]> {
  const described = await Promise.all(broker.listTopics().map(async (name) => {
    try {
      return await broker.describeTopic(name)
    } catch (err) {
      if (err instanceof MillraceError && err.code === 'MR_ERR_UNKNOWN_TOPIC') return null // deleted since listTopics
      problems.push(`topic '${name}': ${(err as Error).message}`)
      return null
    }
  }))
  const out: TopicSnapshot[] = []
  for (const d of described) {
    if (d === null) continue
    let sizeBytes = 0
    let records = 0
    let offlinePartitions = 0
    const partitions = d.partitions.map((p): PartitionSnapshot => {
      const row = {
        partition: p.partition,
        logStartOffset: Number(p.logStartOffset),
        highWatermark: Number(p.highWatermark),
        logEndOffset: p.logEndOffset === null ? null : Number(p.logEndOffset),
        sizeBytes: p.sizeBytes
      }
      sizeBytes += row.sizeBytes ?? 0
      records += Math.max(0, row.highWatermark - row.logStartOffset)
      if (row.logEndOffset === null) offlinePartitions++
      return row
    })
    out.push({ topic: d.topic, partitions, sizeBytes, records, offlinePartitions })
  }
  return out
}

async function groupSnapshots (broker: Broker, problems: string[]): Promise<GroupSnapshot[]> {
  const listed = await broker.listGroups()
  const described = await Promise.all(listed.map(async (g): Promise<GroupSnapshot | null> => {
    try {
      return groupSnapshotOf(await broker.describeGroup(g.groupId))
    } catch (err) {
      // A group that died between the listing and the description is simply gone.
      if (err instanceof MillraceError && err.kafkaCode === KafkaCode.GROUP_ID_NOT_FOUND) return null
      problems.push(`group '${g.groupId}': ${(err as Error).message}`)
      return null
    }
  }))
  return described.filter((g): g is GroupSnapshot => g !== null)
}

export function groupSnapshotOf (d: GroupDescription): GroupSnapshot {
  let lag = 0
  const offsets = d.offsets.map((o): GroupOffsetSnapshot => {
    if (o.lag !== null) lag += Number(o.lag)
    return {
      topic: o.topic,
      partition: o.partition,
      committedOffset: o.committedOffset === null ? null : Number(o.committedOffset),
      highWatermark: o.highWatermark === null ? null : Number(o.highWatermark),
      lag: o.lag === null ? null : Number(o.lag)
    }
  })
  const members = d.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment: m.assignment }))
  return { groupId: d.groupId, state: d.state, protocolType: d.protocolType, members, offsets, lag }
}
