/**
 * The group coordinator on one thread, its log in memory or in a temp dir, through its domain
 * API (no Kafka request versions): the join/sync protocol, generation fencing, session expiry,
 * static members, commits and their persistence.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../../src/coordinator/group-coordinator.js'
import { CoordinatorLog } from '../../../src/coordinator/coordinator-log.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import type { CommitOffsetsResult, DeleteOffsetsResult, JoinGroup, JoinGroupResult } from '../../../src/coordinator/coordinator-api.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'
import { encodeSubscription } from '../../../src/protocol/consumer-protocol.js'

const CLIENT = { clientId: 'test', clientHost: '/127.0.0.1' }

function open (dataDir: string | null = null, extra: Partial<GroupCoordinatorOptions> = {}): GroupCoordinator {
  const coordinator = GroupCoordinator.load({
    log: CoordinatorLog.open(dataDir),
    initialRebalanceDelayMs: 30,
    minSessionTimeoutMs: 10,
    maxSessionTimeoutMs: 60_000,
    offsetsRetentionMs: 60_000,
    offsetMetadataMaxBytes: 16,
    ...extra
  })
  void coordinator.setTopics({ t: 4 })
  return coordinator
}

function joinRequest (groupId: string, memberId = '', extra: Partial<JoinGroup> = {}): JoinGroup {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(`meta-${memberId}`) }],
    requireKnownMemberId: true,
    client: CLIENT,
    ...extra
  }
}

/** Joins a new member the KIP-394 way: MEMBER_ID_REQUIRED first, then the join proper (not awaited). */
async function joinNew (c: GroupCoordinator, groupId: string, extra: Partial<JoinGroup> = {}): Promise<{ memberId: string, joined: Promise<JoinGroupResult> }> {
  const first = await c.joinGroup(joinRequest(groupId, '', extra))
  assert.is(first.errorCode, KafkaCode.MEMBER_ID_REQUIRED)
  assert.ok(first.memberId.startsWith('test-'))
  return { memberId: first.memberId, joined: c.joinGroup(joinRequest(groupId, first.memberId, extra)) }
}

function sync (c: GroupCoordinator, groupId: string, memberId: string, generationId: number, assignments: Array<[string, string]> = []) {
  return c.syncGroup({ groupId, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: assignments.map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })) })
}

function heartbeat (c: GroupCoordinator, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): Promise<number> {
  return c.heartbeat({ groupId, generationId, memberId, groupInstanceId })
}

function commit (c: GroupCoordinator, groupId: string, memberId: string, generationId: number, partitions: Array<[string, number, number, string?]>): Promise<CommitOffsetsResult> {
  const byTopic = new Map<string, Array<{ partition: number, offset: number, leaderEpoch: number, metadata: string | null }>>()
  for (const [topic, partition, offset, metadata] of partitions) {
    if (!byTopic.has(topic)) byTopic.set(topic, [])
    byTopic.get(topic)!.push({ partition, offset, leaderEpoch: 3, metadata: metadata ?? null })
  }
  return c.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) })
}

async function fetched (c: GroupCoordinator, groupId: string): Promise<Record<string, number>> {
  const res = await c.fetchOffsets({ groups: [{ groupId, topics: null }], requireStable: false })
  const out: Record<string, number> = {}
  for (const t of res.groups[0].topics) for (const p of t.partitions) out[`${t.name}-${p.partition}`] = p.offset
  return out
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Two members through a full rebalance; returns their ids and the generation. */
async function stableGroupOfTwo (c: GroupCoordinator, groupId: string): Promise<{ leader: string, follower: string, generation: number }> {
  const a = await joinNew(c, groupId)
  const b = await joinNew(c, groupId)
  const [ja, jb] = await Promise.all([a.joined, b.joined])
  assert.is(ja.errorCode, 0)
  assert.is(jb.errorCode, 0)
  assert.is(ja.generationId, jb.generationId)
  const leader = ja.leader
  const follower = leader === a.memberId ? b.memberId : a.memberId
  const leaderJoin = leader === a.memberId ? ja : jb
  const followerJoin = leader === a.memberId ? jb : ja
  assert.is(leaderJoin.members.length, 2, 'the leader sees every member')
  assert.is(followerJoin.members.length, 0, 'a follower sees none')
  const followerSync = sync(c, groupId, follower, ja.generationId)
  const leaderSync = await sync(c, groupId, leader, ja.generationId, [[leader, 'L'], [follower, 'F']])
  assert.is(leaderSync.errorCode, 0)
  assert.is(Buffer.from(leaderSync.assignment).toString(), 'L')
  const fs = await followerSync
  assert.is(fs.errorCode, 0)
  assert.is(Buffer.from(fs.assignment).toString(), 'F', 'the follower gets what the leader assigned it')
  return { leader, follower, generation: ja.generationId }
}

const groups = suite('group coordinator')

groups('two members join, one is leader, the leader assigns and both are stable', async () => {
  const c = open()
  const { leader, follower, generation } = await stableGroupOfTwo(c, 'g')
  assert.is(generation, 1)
  assert.is(await heartbeat(c, 'g', leader, generation), 0)
  assert.is(await heartbeat(c, 'g', follower, generation), 0)
  const described = await c.describeGroups(['g', 'nobody'])
  assert.is(described[0].state, 'Stable')
  assert.is(described[0].protocolName, 'range')
  assert.is(described[0].members.length, 2)
  assert.is(described[1].state, 'Dead', 'an unknown group is described as dead, as Kafka does')
  const listed = await c.listGroups({ states: ['stable'], types: null })
  assert.equal(listed.groups.map((g) => g.groupId), ['g'])
  c.close()
})

groups('a member that cannot learn its id first (requireKnownMemberId false) is added at once and may lead', async () => {
  const c = open()
  const j = await c.joinGroup(joinRequest('direct', '', { requireKnownMemberId: false }))
  assert.is(j.errorCode, KafkaCode.NONE)
  assert.ok(j.memberId.startsWith('test-'), 'the coordinator names the member after its client id')
  assert.equal([j.generationId, j.leader, j.protocolName, j.skipAssignment], [1, j.memberId, 'range', false])
  assert.equal(j.members.map((m) => [m.memberId, m.groupInstanceId, Buffer.from(m.metadata).toString()]), [[j.memberId, null, 'meta-']])
  const s = await sync(c, 'direct', j.memberId, j.generationId, [[j.memberId, 'A']])
  assert.equal([s.errorCode, s.protocolType, s.protocolName, Buffer.from(s.assignment).toString()], [0, 'consumer', 'range', 'A'])
  const failed = await c.joinGroup(joinRequest('', 'someone'))
  assert.equal(failed, { errorCode: KafkaCode.INVALID_GROUP_ID, memberId: 'someone', generationId: -1, protocolType: null, protocolName: null, leader: '', members: [], skipAssignment: false })
  c.close()
})

groups('bad joins: empty id, session timeout out of range, unknown member, no common protocol', async () => {
  const c = open()
  assert.is((await c.joinGroup(joinRequest(''))).errorCode, KafkaCode.INVALID_GROUP_ID)
  assert.is((await c.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 5 }))).errorCode, KafkaCode.INVALID_SESSION_TIMEOUT)
  assert.is((await c.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 60_001 }))).errorCode, KafkaCode.INVALID_SESSION_TIMEOUT)
  assert.is((await c.joinGroup(joinRequest('fresh', 'made-up'))).errorCode, KafkaCode.UNKNOWN_MEMBER_ID)
  const { leader, generation } = await stableGroupOfTwo(c, 'g')
  const other = await c.joinGroup(joinRequest('g', '', { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }))
  assert.is(other.errorCode, KafkaCode.INCONSISTENT_GROUP_PROTOCOL)
  const wrongType = await c.joinGroup(joinRequest('g', '', { protocolType: 'connect' }))
  assert.is(wrongType.errorCode, KafkaCode.INCONSISTENT_GROUP_PROTOCOL)
  // None of that disturbed the group.
  assert.is(await heartbeat(c, 'g', leader, generation), 0)
  c.close()
})

groups('protocol vote: the one every member supports and most prefer', async () => {
  const c = open()
  const protocols = (names: string[]) => ({ protocols: names.map((name) => ({ name, metadata: Buffer.from(name) })) })
  const a = await joinNew(c, 'vote', protocols(['cooperative-sticky', 'range']))
  const b = await joinNew(c, 'vote', protocols(['range', 'cooperative-sticky', 'roundrobin']))
  const d = await joinNew(c, 'vote', protocols(['range', 'cooperative-sticky']))
  const answers = await Promise.all([a.joined, b.joined, d.joined])
  for (const r of answers) assert.is(r.protocolName, 'range')
  const leader = answers.find((r) => r.members.length > 0)!
  assert.equal(leader.members.map((m) => Buffer.from(m.metadata).toString()), ['range', 'range', 'range'], 'members metadata of the chosen protocol')
  c.close()
})

groups('generation fencing on heartbeat, sync and commit', async () => {
  const c = open()
  const { leader, follower, generation } = await stableGroupOfTwo(c, 'g')
  assert.is(await heartbeat(c, 'g', leader, generation - 1), KafkaCode.ILLEGAL_GENERATION)
  assert.is(await heartbeat(c, 'g', 'stranger', generation), KafkaCode.UNKNOWN_MEMBER_ID)
  assert.is(await heartbeat(c, 'nogroup', leader, generation), KafkaCode.UNKNOWN_MEMBER_ID)
  assert.is((await sync(c, 'g', follower, generation + 1)).errorCode, KafkaCode.ILLEGAL_GENERATION)
  const stale = await commit(c, 'g', leader, generation + 5, [['t', 0, 10]])
  assert.is(stale.topics[0].partitions[0].errorCode, KafkaCode.ILLEGAL_GENERATION)
  const stranger = await commit(c, 'g', 'stranger', generation, [['t', 0, 10]])
  assert.is(stranger.topics[0].partitions[0].errorCode, KafkaCode.UNKNOWN_MEMBER_ID)
  const noGeneration = await commit(c, 'g', '', -1, [['t', 0, 10]])
  assert.is(noGeneration.topics[0].partitions[0].errorCode, KafkaCode.UNKNOWN_MEMBER_ID, 'a standalone commit into an active group is refused')
  assert.equal(await fetched(c, 'g'), {}, 'nothing refused was stored')
  const ok = await commit(c, 'g', leader, generation, [['t', 0, 10], ['t', 1, 20]])
  assert.equal(ok.topics[0].partitions.map((p) => p.errorCode), [0, 0])
  assert.equal(await fetched(c, 'g'), { 't-0': 10, 't-1': 20 })
  c.close()
})

groups('a rejoin starts a rebalance: heartbeats say REBALANCE_IN_PROGRESS, commits of the old generation still count until it completes', async () => {
  const c = open()
  const { leader, follower, generation } = await stableGroupOfTwo(c, 'g')
  const leaderRejoin = c.joinGroup(joinRequest('g', leader))
  assert.is(await heartbeat(c, 'g', follower, generation), KafkaCode.REBALANCE_IN_PROGRESS)
  const during = await commit(c, 'g', follower, generation, [['t', 2, 7]])
  assert.is(during.topics[0].partitions[0].errorCode, 0)
  const followerRejoin = c.joinGroup(joinRequest('g', follower))
  const [l, f] = await Promise.all([leaderRejoin, followerRejoin])
  assert.is(l.generationId, generation + 1)
  assert.is(f.generationId, generation + 1)
  const late = await commit(c, 'g', follower, generation, [['t', 2, 8]])
  assert.is(late.topics[0].partitions[0].errorCode, KafkaCode.REBALANCE_IN_PROGRESS, 'awaiting sync: commits wait for the new assignment')
  c.close()
})

groups('a member that stops heartbeating is removed; the rest rebalance without it', async () => {
  const c = open()
  const a = await joinNew(c, 'g', { sessionTimeoutMs: 150 })
  const b = await joinNew(c, 'g', { sessionTimeoutMs: 150 })
  const [ja] = await Promise.all([a.joined, b.joined])
  const leader = ja.leader
  const quiet = leader === a.memberId ? b.memberId : a.memberId
  await Promise.all([sync(c, 'g', leader, ja.generationId, [[leader, 'x']]), sync(c, 'g', quiet, ja.generationId)])
  // Only the leader keeps its session alive.
  let code = 0
  for (let i = 0; i < 8 && code === 0; i++) {
    await sleep(60)
    code = await heartbeat(c, 'g', leader, ja.generationId)
  }
  assert.is(code, KafkaCode.REBALANCE_IN_PROGRESS)
  const rejoined = await c.joinGroup(joinRequest('g', leader, { sessionTimeoutMs: 150 }))
  assert.is(rejoined.errorCode, 0)
  assert.is(rejoined.generationId, ja.generationId + 1)
  assert.equal(rejoined.members.map((m) => m.memberId), [leader])
  assert.is(await heartbeat(c, 'g', quiet, ja.generationId), KafkaCode.UNKNOWN_MEMBER_ID)
  c.close()
})

groups('a leader that never syncs: after the rebalance timeout the group rebalances again', async () => {
  const c = open()
  const timeouts = { rebalanceTimeoutMs: 120 }
  const a = await joinNew(c, 'slow', timeouts)
  const b = await joinNew(c, 'slow', timeouts)
  const [ja, jb] = await Promise.all([a.joined, b.joined])
  const follower = ja.leader === a.memberId ? b.memberId : a.memberId
  const parked = sync(c, 'slow', follower, ja.generationId)
  assert.is((await parked).errorCode, KafkaCode.REBALANCE_IN_PROGRESS, 'the parked follower is told to rejoin')
  assert.is(await heartbeat(c, 'slow', follower, jb.generationId), KafkaCode.REBALANCE_IN_PROGRESS)
  c.close()
})

groups('leave: the group rebalances; the last member leaving empties it', async () => {
  const c = open()
  const { leader, follower, generation } = await stableGroupOfTwo(c, 'g')
  const left = await c.leaveGroup({ groupId: 'g', members: [{ memberId: follower, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] })
  assert.equal(left.members.map((m) => m.errorCode), [0, KafkaCode.UNKNOWN_MEMBER_ID])
  assert.is(await heartbeat(c, 'g', leader, generation), KafkaCode.REBALANCE_IN_PROGRESS)
  const j = await c.joinGroup(joinRequest('g', leader))
  assert.is(j.generationId, generation + 1)
  const last = await c.leaveGroup({ groupId: 'g', members: [{ memberId: leader, groupInstanceId: null }] })
  assert.equal(last, { errorCode: 0, members: [{ memberId: leader, groupInstanceId: null, errorCode: 0 }] })
  assert.equal(await c.leaveGroup({ groupId: '', members: [{ memberId: leader, groupInstanceId: null }] }), { errorCode: KafkaCode.INVALID_GROUP_ID, members: [] })
  const described = await c.describeGroups(['g'])
  assert.is(described[0].state, 'Empty', 'the last member gone, the group is empty at once')
  assert.is(described[0].members.length, 0)
  c.close()
})

groups('static member: a restarted instance takes its place without a rebalance; the old id is fenced', async () => {
  const c = open()
  const instance = { groupInstanceId: 'worker-1' }
  const first = await c.joinGroup(joinRequest('s', '', instance))
  assert.is(first.errorCode, 0, 'static members skip MEMBER_ID_REQUIRED')
  const s1 = await sync(c, 's', first.memberId, first.generationId, [[first.memberId, 'P0']])
  assert.is(s1.errorCode, 0)
  // The process restarts: it knows its instance id, not its old member id.
  const again = await c.joinGroup(joinRequest('s', '', instance))
  assert.is(again.errorCode, 0)
  assert.is(again.generationId, first.generationId, 'no new generation')
  assert.is.not(again.memberId, first.memberId)
  assert.is(again.skipAssignment, true, 'the leader keeps the assignment it made')
  const s2 = await c.syncGroup({ groupId: 's', generationId: again.generationId, memberId: again.memberId, groupInstanceId: 'worker-1', protocolType: 'consumer', protocolName: 'range', assignments: [] })
  assert.is(Buffer.from(s2.assignment).toString(), 'P0', 'it gets its assignment back')
  assert.is(await heartbeat(c, 's', first.memberId, first.generationId, 'worker-1'), KafkaCode.FENCED_INSTANCE_ID)
  assert.is(await heartbeat(c, 's', again.memberId, again.generationId, 'worker-1'), 0)
  const left = await c.leaveGroup({ groupId: 's', members: [{ memberId: first.memberId, groupInstanceId: 'worker-1' }] })
  assert.is(left.members[0].errorCode, KafkaCode.FENCED_INSTANCE_ID, 'the old incarnation cannot remove the new one')
  c.close()
})

groups('commits: unknown partitions, oversized metadata, standalone groups; errors are per partition', async () => {
  const c = open()
  const res = await commit(c, 'solo', '', -1, [['t', 0, 5, 'ok'], ['t', 4, 5], ['nope', 0, 5], ['t', 1, 6, 'x'.repeat(17)]])
  const codes = res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))
  assert.equal(codes, [0, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, KafkaCode.OFFSET_METADATA_TOO_LARGE, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
  assert.equal(await fetched(c, 'solo'), { 't-0': 5 })
  const asked = await c.fetchOffsets({ groups: [{ groupId: 'solo', topics: [{ name: 't', partitions: [0, 3] }] }], requireStable: false })
  assert.equal(asked.groups[0].topics.map((t) => t.partitions.map((p) => [p.offset, p.metadata])), [[[5, 'ok'], [-1, '']]])
  const listed = await c.listGroups({ states: null, types: null })
  assert.equal(listed.groups.map((g) => [g.groupId, g.protocolType]), [['solo', '']])
  c.close()
})

groups('delete: only empty groups; their offsets go with them', async () => {
  const c = open()
  await commit(c, 'solo', '', -1, [['t', 0, 5]])
  const { leader } = await stableGroupOfTwo(c, 'busy')
  const res = await c.deleteGroups(['solo', 'busy', 'never'])
  assert.equal(res.map((r) => r.errorCode), [0, KafkaCode.NON_EMPTY_GROUP, KafkaCode.GROUP_ID_NOT_FOUND])
  assert.equal(await fetched(c, 'solo'), {})
  assert.ok(leader.length > 0)
  c.close()
})

groups('offsets of deleted topics are removed; empty groups expire after offsets retention', async () => {
  let now = 1_000_000
  const c = open(null, { now: () => now })
  await c.setTopics({ t: 4, u: 1 })
  await commit(c, 'a', '', -1, [['t', 0, 1], ['u', 0, 2]])
  await c.setTopics({ t: 2 })
  assert.equal(await fetched(c, 'a'), { 't-0': 1 })
  now += 59_000
  c.expireOffsets()
  assert.equal(await fetched(c, 'a'), { 't-0': 1 }, 'not yet')
  now += 2_000
  c.expireOffsets()
  assert.equal(await fetched(c, 'a'), {})
  assert.equal((await c.listGroups({ states: null, types: null })).groups, [], 'the group went with its offsets')
  c.close()
})

groups('offsets and membership survive a restart from the coordinator log', async () => {
  const dir = tmpDir()
  try {
    let c = open(dir)
    const { leader, follower, generation } = await stableGroupOfTwo(c, 'g')
    await commit(c, 'g', leader, generation, [['t', 0, 100, 'm0'], ['t', 1, 200]])
    await commit(c, 'g', follower, generation, [['t', 0, 150, 'm1']])
    await commit(c, 'solo', '', -1, [['t', 3, 9]])
    await c.deleteGroups(['solo'])
    c.close()
    c = open(dir)
    assert.equal(await fetched(c, 'g'), { 't-0': 150, 't-1': 200 })
    assert.equal(await fetched(c, 'solo'), {}, 'the deletion is durable too')
    const res = await c.fetchOffsets({ groups: [{ groupId: 'g', topics: [{ name: 't', partitions: [0] }] }], requireStable: false })
    assert.is(res.groups[0].topics[0].partitions[0].metadata, 'm1')
    assert.is(res.groups[0].topics[0].partitions[0].leaderEpoch, 3)
    // Members are back, stable, in the same generation: a client that kept running carries on.
    assert.is(await heartbeat(c, 'g', leader, generation), 0)
    assert.is(await heartbeat(c, 'g', follower, generation), 0)
    const s = await sync(c, 'g', follower, generation)
    assert.is(Buffer.from(s.assignment).toString(), 'F')
    c.close()
  } finally {
    removeDir(dir)
  }
})

groups('InitProducerId without an allocator answers COORDINATOR_NOT_AVAILABLE; closing answers parked joins NOT_COORDINATOR', async () => {
  const c = open()
  const r = await c.initProducerId({ producerId: -1, producerEpoch: -1 })
  assert.is(r.errorCode, KafkaCode.COORDINATOR_NOT_AVAILABLE)
  // A static member's join parks for the initial delay; closing must not leave it hanging.
  const parked = c.joinGroup(joinRequest('g', '', { groupInstanceId: 'x' }))
  c.close()
  assert.is((await parked).errorCode, KafkaCode.NOT_COORDINATOR)
  assert.is(await heartbeat(c, 'g', 'anyone', 1, 'x'), KafkaCode.NOT_COORDINATOR)
})

groups.run()

// ---

const deletion = suite('offset deletion (OffsetDelete)')

/** One member through a full rebalance with `protocols` as its JoinGroup protocols. */
async function stableGroupOfOne (c: GroupCoordinator, groupId: string, extra: Partial<JoinGroup>): Promise<{ memberId: string, generation: number }> {
  const { memberId, joined } = await joinNew(c, groupId, extra)
  const j = await joined
  assert.is(j.errorCode, 0)
  const s = await c.syncGroup({ groupId, generationId: j.generationId, memberId, groupInstanceId: null, protocolType: extra.protocolType ?? 'consumer', protocolName: j.protocolName, assignments: [] })
  assert.is(s.errorCode, 0)
  return { memberId, generation: j.generationId }
}

function deleteOffsets (c: GroupCoordinator, groupId: string, partitions: Array<[string, number]>): Promise<DeleteOffsetsResult> {
  const byTopic = new Map<string, number[]>()
  for (const [topic, partition] of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
  return c.deleteOffsets({ groupId, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) })
}

/** topic-partition → error code, flattened from a result. */
function codes (res: DeleteOffsetsResult): Record<string, number> {
  const out: Record<string, number> = {}
  for (const t of res.topics) for (const p of t.partitions) out[`${t.name}-${p.partition}`] = p.errorCode
  return out
}

deletion('an unknown group answers GROUP_ID_NOT_FOUND at the top, with no topics', async () => {
  const c = open()
  const res = await deleteOffsets(c, 'nobody', [['t', 0]])
  assert.equal(res, { errorCode: KafkaCode.GROUP_ID_NOT_FOUND, topics: [] })
  c.close()
})

deletion('an empty group loses the offsets asked for, durably; unknown partitions are named; the last offset takes the group with it', async () => {
  const dir = tmpDir()
  try {
    let c = open(dir)
    await commit(c, 'solo', '', -1, [['t', 0, 10], ['t', 1, 11], ['t', 2, 12]])
    const res = await deleteOffsets(c, 'solo', [['t', 0], ['t', 3], ['t', 9], ['gone', 0]])
    assert.is(res.errorCode, KafkaCode.NONE)
    assert.equal(codes(res), { 't-0': 0, 't-3': 0, 't-9': KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, 'gone-0': KafkaCode.UNKNOWN_TOPIC_OR_PARTITION })
    assert.equal(await fetched(c, 'solo'), { 't-1': 11, 't-2': 12 })
    c.close()
    c = open(dir)
    assert.equal(await fetched(c, 'solo'), { 't-1': 11, 't-2': 12 }, 'the tombstones survive a restart')
    assert.is(codes(await deleteOffsets(c, 'solo', [['t', 1], ['t', 2]]))['t-1'], KafkaCode.NONE)
    const listed = await c.listGroups({ states: [], types: [] })
    assert.ok(!listed.groups.some((g) => g.groupId === 'solo'), 'an empty group without offsets is gone, as in Kafka')
    assert.is((await deleteOffsets(c, 'solo', [['t', 1]])).errorCode, KafkaCode.GROUP_ID_NOT_FOUND)
    c.close()
  } finally {
    removeDir(dir)
  }
})

deletion('a consumer group with members keeps the offsets of topics it subscribes to and loses the others', async () => {
  const c = open()
  await c.setTopics({ t: 4, u: 2 })
  const protocols = [{ name: 'range', metadata: encodeSubscription({ topics: ['t'] }) }]
  const { memberId, generation } = await stableGroupOfOne(c, 'g', { protocols })
  await commit(c, 'g', memberId, generation, [['t', 0, 5], ['u', 0, 6], ['u', 1, 7]])
  const res = await deleteOffsets(c, 'g', [['t', 0], ['u', 0]])
  assert.is(res.errorCode, KafkaCode.NONE)
  assert.equal(codes(res), { 't-0': KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC, 'u-0': KafkaCode.NONE })
  assert.equal(await fetched(c, 'g'), { 't-0': 5, 'u-1': 7 })
  // The member leaves: the group is empty, and now the subscribed topic's offsets may go.
  await c.leaveGroup({ groupId: 'g', members: [{ memberId, groupInstanceId: null }] })
  assert.equal(codes(await deleteOffsets(c, 'g', [['t', 0]])), { 't-0': KafkaCode.NONE })
  assert.equal(await fetched(c, 'g'), { 'u-1': 7 })
  c.close()
})

deletion('subscriptions that do not parse count as subscribed to everything; other protocol types with members are NON_EMPTY_GROUP', async () => {
  const c = open()
  await c.setTopics({ t: 4, u: 2 })
  const garbled = await stableGroupOfOne(c, 'garbled', { protocols: [{ name: 'range', metadata: Buffer.from('ff', 'hex') }] })
  await commit(c, 'garbled', garbled.memberId, garbled.generation, [['u', 0, 1]])
  assert.equal(codes(await deleteOffsets(c, 'garbled', [['u', 0]])), { 'u-0': KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC })
  const connect = await stableGroupOfOne(c, 'workers', { protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.alloc(0) }] })
  await commit(c, 'workers', connect.memberId, connect.generation, [['u', 0, 1]])
  const res = await deleteOffsets(c, 'workers', [['u', 0]])
  assert.equal(res, { errorCode: KafkaCode.NON_EMPTY_GROUP, topics: [] })
  assert.equal(await fetched(c, 'workers'), { 'u-0': 1 }, 'nothing was deleted')
  c.close()
})

deletion.run()
