/**
 * Consumer-group administration in library mode (Broker.listGroups/describeGroup/deleteGroup/
 * resetGroupOffsets/deleteGroupOffsets): the coordinator's answers joined with the dispatcher's topic table, so a
 * description carries each partition's high watermark and the group's lag. Runs on the
 * broker's thread; nothing here is on a hot path.
 */
import { MillraceError, invalidOption } from '../../errors.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { LogStatus } from '../../log/errors.js'
import { LIST_OFFSET_EARLIEST, LIST_OFFSET_LATEST } from '../../partition/frames.js'
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from '../../protocol/consumer-protocol.js'
import type { CoordinatorApi } from '../../coordinator/coordinator-api.js'
import type { Dispatcher } from '../../dispatcher/dispatcher.js'
import type { PartitionState } from '../../dispatcher/topic-table.js'
import { statusError } from '../status-error.js'
import { kafkaError } from './group-member.js'


export interface GroupListing {
  groupId: string
  /** 'consumer' for consumer groups; '' for groups that only hold committed offsets. */
  protocolType: string
  /** Kafka's names: 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'. */
  state: string
}

export interface GroupMemberDescription {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  /** Decoded from the consumer protocol; empty for other protocol types. */
  assignment: Array<{ topic: string, partitions: number[] }>
}

export interface GroupPartitionOffset {
  topic: string
  partition: number
  /** The next offset the group reads; null when the partition is assigned but nothing is committed. */
  committedOffset: bigint | null
  /** null when the topic no longer exists. */
  highWatermark: bigint | null
  /** highWatermark − committedOffset; null when either is unknown. */
  lag: bigint | null
  metadata: string | null
}

export interface GroupDescription {
  groupId: string
  state: string
  protocolType: string
  /** The assignor the group chose (Kafka's protocol name); '' while no generation is running. */
  protocol: string
  members: GroupMemberDescription[]
  offsets: GroupPartitionOffset[]
}

export interface ResetOffsetsRequest {
  groupId: string
  topic: string
  /** 'earliest', 'latest' or an offset (clamped to the log's start and high watermark, as Kafka's tool does). */
  to: 'earliest' | 'latest' | bigint | number
  /** Default: every partition of the topic. */
  partitions?: number[]
}

export interface DeleteOffsetsRequest {
  groupId: string
  topic: string
  /** Default: every partition of the topic. */
  partitions?: number[]
}

export interface ResetOffsetsResult {
  topic: string
  partition: number
  previousOffset: bigint | null
  newOffset: bigint
}

/** Groups that hold committed offsets but no live generation, the only ones whose offsets may be reset. */
const INACTIVE_STATES = new Set(['Empty', 'Dead'])

function checkGroupId (groupId: unknown, where: string): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId === '') throw invalidOption(where, 'takes a non-empty group id')
}

export async function listGroups (c: CoordinatorApi): Promise<GroupListing[]> {
  const res = await c.listGroups({ states: null, types: null })
  if (res.errorCode !== KafkaCode.NONE) throw kafkaError('listing groups', res.errorCode)
  return res.groups
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.state }))
    .sort((a, b) => a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0)
}

async function describeRaw (c: CoordinatorApi, groupId: string): Promise<{ state: string, protocolType: string, protocol: string, members: GroupMemberDescription[] }> {
  const described = await c.describeGroups([groupId])
  const g = described.find((x) => x.groupId === groupId) ?? described[0]
  if (g === undefined) throw kafkaError(`describing group '${groupId}'`, KafkaCode.UNKNOWN_SERVER_ERROR)
  if (g.errorCode !== KafkaCode.NONE) throw kafkaError(`describing group '${groupId}'`, g.errorCode)
  const members = g.members.map((m): GroupMemberDescription => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    assignment: g.protocolType === CONSUMER_PROTOCOL_TYPE ? safeAssignment(m.assignment) : []
  }))
  return { state: g.state, protocolType: g.protocolType, protocol: g.protocolName, members }
}

/** A member's assignment bytes are whatever its client sent; bad bytes show as no partitions. */
function safeAssignment (bytes: Uint8Array): Array<{ topic: string, partitions: number[] }> {
  try {
    return decodeAssignment(bytes).assignedPartitions
  } catch {
    return []
  }
}

async function committedOffsets (c: CoordinatorApi, groupId: string, topics: Array<{ name: string, partitions: number[] }> | null): Promise<Map<string, { topic: string, partition: number, offset: number, metadata: string | null }>> {
  const [res] = (await c.fetchOffsets({ groups: [{ groupId, topics }], requireStable: false })).groups
  if (res.errorCode !== KafkaCode.NONE) throw kafkaError(`fetching committed offsets of group '${groupId}'`, res.errorCode)
  const out = new Map<string, { topic: string, partition: number, offset: number, metadata: string | null }>()
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== KafkaCode.NONE || p.offset < 0) continue
      out.set(`${t.name}\0${p.partition}`, { topic: t.name, partition: p.partition, offset: p.offset, metadata: p.metadata })
    }
  }
  return out
}

export async function describeGroup (c: CoordinatorApi, dispatcher: Dispatcher, groupId: string): Promise<GroupDescription> {
  checkGroupId(groupId, 'describeGroup()')
  const [group, committed] = await Promise.all([describeRaw(c, groupId), committedOffsets(c, groupId, null)])
  if (group.state === 'Dead' && committed.size === 0) throw kafkaError(`describing group '${groupId}'`, KafkaCode.GROUP_ID_NOT_FOUND)
  const rows = new Map(committed)
  for (const m of group.members) {
    for (const tp of m.assignment) {
      for (const partition of tp.partitions) {
        const key = `${tp.topic}\0${partition}`
        if (!rows.has(key)) rows.set(key, { topic: tp.topic, partition, offset: -1, metadata: null })
      }
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)
  const offsets = await Promise.all(sorted.map(async (row): Promise<GroupPartitionOffset> => {
    const p = dispatcher.partition(row.topic, row.partition)
    if (p !== undefined) await dispatcher.describePartition(p).catch(() => null)
    const highWatermark = p === undefined ? null : BigInt(p.highWatermark)
    const committedOffset = row.offset >= 0 ? BigInt(row.offset) : null
    const lag = highWatermark === null || committedOffset === null ? null : (highWatermark > committedOffset ? highWatermark - committedOffset : 0n)
    return { topic: row.topic, partition: row.partition, committedOffset, highWatermark, lag, metadata: row.metadata }
  }))
  return { groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members: group.members, offsets }
}

export async function deleteGroup (c: CoordinatorApi, groupId: string): Promise<void> {
  checkGroupId(groupId, 'deleteGroup()')
  const results = await c.deleteGroups([groupId])
  const result = results.find((r) => r.groupId === groupId) ?? results[0]
  const code = result?.errorCode ?? KafkaCode.UNKNOWN_SERVER_ERROR
  if (code !== KafkaCode.NONE) throw kafkaError(`deleting group '${groupId}'`, code)
}

/** The topic's partitions named in `indexes` (all when undefined); throws for any it does not have. */
function partitionsOf (dispatcher: Dispatcher, topic: unknown, indexes: unknown, where: string): { topic: string, partitions: PartitionState[] } {
  const t = typeof topic === 'string' ? dispatcher.topic(topic) : undefined
  if (t === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${String(topic)}'`)
  const wanted = indexes ?? t.partitions.map((p) => p.partition)
  if (!Array.isArray(wanted) || wanted.length === 0) throw invalidOption(`${where} partitions`, 'must be a non-empty array of partition numbers')
  const partitions: PartitionState[] = []
  for (const i of wanted) {
    const p = Number.isInteger(i) ? t.partitions[i] : undefined
    if (p === undefined) throw new MillraceError('MR_ERR_UNKNOWN_PARTITION', `partition ${String(i)} does not exist: topic '${t.name}' has ${t.partitions.length} partitions`)
    partitions.push(p)
  }
  return { topic: t.name, partitions }
}

/**
 * Deletes a group's committed offsets of one topic (OffsetDelete). Kafka's rules: allowed for an
 * empty group, and for a consumer group with members only on topics none of them subscribes to.
 */
export async function deleteGroupOffsets (c: CoordinatorApi, dispatcher: Dispatcher, request: DeleteOffsetsRequest): Promise<void> {
  if (request === null || typeof request !== 'object') throw invalidOption('deleteGroupOffsets()', 'takes { groupId, topic, partitions }')
  const { groupId } = request
  checkGroupId(groupId, 'deleteGroupOffsets()')
  const { topic, partitions } = partitionsOf(dispatcher, request.topic, request.partitions, 'deleteGroupOffsets()')
  const res = await c.deleteOffsets({ groupId, topics: [{ name: topic, partitions: partitions.map((p) => p.partition) }] })
  if (res.errorCode !== KafkaCode.NONE) throw kafkaError(`deleting offsets of group '${groupId}'`, res.errorCode)
  for (const t of res.topics) {
    const refused = t.partitions.filter((p) => p.errorCode !== KafkaCode.NONE)
    if (refused.length > 0) {
      const code = refused[0].errorCode
      const what = code === KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC
        ? `deleting offsets of group '${groupId}' on topic '${t.name}' (a member still subscribes to it)`
        : `deleting the offsets of ${t.name}-${refused.map((p) => p.partition).join(',')} for group '${groupId}'`
      throw kafkaError(what, code)
    }
  }
}

export async function resetGroupOffsets (c: CoordinatorApi, dispatcher: Dispatcher, request: ResetOffsetsRequest): Promise<ResetOffsetsResult[]> {
  if (request === null || typeof request !== 'object') throw invalidOption('resetGroupOffsets()', 'takes { groupId, topic, to, partitions }')
  const { groupId, topic, to } = request
  checkGroupId(groupId, 'resetGroupOffsets()')
  let target: 'earliest' | 'latest' | number
  if (to === 'earliest' || to === 'latest') target = to
  else if ((typeof to === 'bigint' && to >= 0n && to <= BigInt(Number.MAX_SAFE_INTEGER)) || (typeof to === 'number' && Number.isSafeInteger(to) && to >= 0)) target = Number(to)
  else throw invalidOption('resetGroupOffsets() to', "must be 'earliest', 'latest' or a non-negative offset")
  const { partitions } = partitionsOf(dispatcher, topic, request.partitions, 'resetGroupOffsets()')
  const group = await describeRaw(c, groupId)
  if (!INACTIVE_STATES.has(group.state)) {
    throw new MillraceError('MR_ERR_KAFKA', `offsets of group '${groupId}' can only be reset while it has no active members; its state is ${group.state}`, { kafkaCode: KafkaCode.NON_EMPTY_GROUP })
  }
  const previous = await committedOffsets(c, groupId, [{ name: topic, partitions: partitions.map((p) => p.partition) }])
  const results = await Promise.all(partitions.map(async (p): Promise<ResetOffsetsResult> => {
    const newOffset = await targetOffset(dispatcher, p, target)
    const before = previous.get(`${topic}\0${p.partition}`)
    return { topic, partition: p.partition, previousOffset: before === undefined ? null : BigInt(before.offset), newOffset: BigInt(newOffset) }
  }))
  // Generation -1 and no member id: an admin commit, which Kafka accepts only for a group without members.
  const res = await c.commitOffsets({
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: results.map((r) => ({ partition: r.partition, offset: Number(r.newOffset), leaderEpoch: -1, metadata: null })) }]
  })
  for (const rt of res.topics) {
    for (const rp of rt.partitions) {
      if (rp.errorCode !== KafkaCode.NONE) throw kafkaError(`resetting the offset of ${rt.name}-${rp.partition} for group '${groupId}'`, rp.errorCode)
    }
  }
  return results
}

async function targetOffset (dispatcher: Dispatcher, p: PartitionState, target: 'earliest' | 'latest' | number): Promise<number> {
  if (typeof target === 'number') {
    await dispatcher.describePartition(p)
    return Math.min(Math.max(target, p.logStartOffset), p.highWatermark)
  }
  const answer = await dispatcher.listOffset(p, target === 'earliest' ? LIST_OFFSET_EARLIEST : LIST_OFFSET_LATEST)
  if (answer.status !== LogStatus.Ok) throw statusError(answer.status, `list offsets of ${p.topic}-${p.partition}`)
  return answer.offset
}
