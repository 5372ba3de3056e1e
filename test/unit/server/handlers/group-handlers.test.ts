/**
 * The group, offset and producer-id handlers translating Kafka request versions to the
 * coordinator's domain API and back, against a real GroupCoordinator on this thread (no broker,
 * no sockets): what differs between versions is decided here, not in the coordinator.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { GroupCoordinator } from '../../../../src/coordinator/group-coordinator.js'
import { CoordinatorLog } from '../../../../src/coordinator/coordinator-log.js'
import { ProducerIds } from '../../../../src/coordinator/producer-ids.js'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import { AUTHORIZED_OPERATIONS_OMITTED } from '../../../../src/protocol/acl-operations.js'
import { OPEN_ACCESS } from '../../../../src/server/access.js'
import type { RequestContext } from '../../../../src/server/context.js'
import type { JoinGroupRequest } from '../../../../src/protocol/apis/join-group.js'
import { handleJoinGroup } from '../../../../src/server/handlers/join-group.js'
import { handleSyncGroup } from '../../../../src/server/handlers/sync-group.js'
import { handleHeartbeat } from '../../../../src/server/handlers/heartbeat.js'
import { handleLeaveGroup } from '../../../../src/server/handlers/leave-group.js'
import { handleOffsetCommit } from '../../../../src/server/handlers/offset-commit.js'
import { handleOffsetFetch } from '../../../../src/server/handlers/offset-fetch.js'
import { handleOffsetDelete } from '../../../../src/server/handlers/offset-delete.js'
import { handleDescribeGroups } from '../../../../src/server/handlers/describe-groups.js'
import { handleListGroups } from '../../../../src/server/handlers/list-groups.js'
import { handleDeleteGroups } from '../../../../src/server/handlers/delete-groups.js'
import { handleInitProducerId } from '../../../../src/server/handlers/init-producer-id.js'

interface Ctx { coordinator: GroupCoordinator, reachable: boolean }

/** A request context whose dispatcher hands out `coordinator` (or fails, like a dead coordinator thread). */
function context (ctx: Ctx, apiVersion: number): RequestContext {
  const dispatcher = { coordinator: async () => { if (!ctx.reachable) throw new Error('the coordinator thread is not running'); return ctx.coordinator } }
  return {
    dispatcher,
    apiVersion,
    clientId: 'client',
    remoteHost: '127.0.0.1',
    access: OPEN_ACCESS,
    stopWaiting: new AbortController().signal
  } as unknown as RequestContext
}

function joinRequest (groupId: string, memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
    reason: null,
    ...extra
  }
}

const handlers = suite<Ctx>('group handlers across versions')

handlers.before.each((ctx) => {
  ctx.reachable = true
  ctx.coordinator = GroupCoordinator.load({
    log: CoordinatorLog.open(null),
    initialRebalanceDelayMs: 0,
    minSessionTimeoutMs: 10,
    maxSessionTimeoutMs: 60_000,
    offsetsRetentionMs: 60_000,
    offsetMetadataMaxBytes: 64,
    producerIds: ProducerIds.open(null)
  })
  void ctx.coordinator.setTopics({ t: 2 })
})
handlers.after.each((ctx) => { ctx.coordinator.close() })

handlers('JoinGroup: v4+ new members learn their id first; v3 members join at once', async (ctx) => {
  const v4 = await handleJoinGroup(context(ctx, 4), joinRequest('g4', ''))
  assert.is(v4.errorCode, KafkaCode.MEMBER_ID_REQUIRED)
  assert.ok(v4.memberId.startsWith('client-'), 'the id is made from the client id')
  const v3 = await handleJoinGroup(context(ctx, 3), joinRequest('g3', ''))
  assert.is(v3.errorCode, KafkaCode.NONE)
  assert.is(v3.generationId, 1)
  assert.is(v3.leader, v3.memberId)
  assert.is(v3.protocolName, 'range')
  assert.equal(v3.members.map((m) => [m.memberId, Buffer.isBuffer(m.metadata), m.metadata.toString()]), [[v3.memberId, true, 'sub']], 'metadata as Buffers the codec writes')
})

handlers('JoinGroup errors: v7+ answer a null protocol name, older versions an empty one', async (ctx) => {
  const old = await handleJoinGroup(context(ctx, 6), joinRequest('', ''))
  assert.is(old.errorCode, KafkaCode.INVALID_GROUP_ID)
  assert.is(old.protocolName, '')
  const recent = await handleJoinGroup(context(ctx, 7), joinRequest('', ''))
  assert.is(recent.errorCode, KafkaCode.INVALID_GROUP_ID)
  assert.is(recent.protocolName, null)
  ctx.reachable = false
  const unreachable = await handleJoinGroup(context(ctx, 5), joinRequest('g', 'm'))
  assert.equal([unreachable.errorCode, unreachable.memberId, unreachable.protocolName], [KafkaCode.COORDINATOR_NOT_AVAILABLE, 'm', ''])
})

handlers('JoinGroup v0 has no rebalance timeout: the session timeout serves for both', async (ctx) => {
  const c = context(ctx, 0)
  const first = await handleJoinGroup(c, joinRequest('v0', '', { sessionTimeoutMs: 80, rebalanceTimeoutMs: undefined }))
  assert.is(first.errorCode, KafkaCode.NONE)
  // A second member makes the leader's rejoin necessary; the leader never rejoins, so the
  // rebalance completes after 80 ms (the session timeout), not after some default.
  const started = Date.now()
  const second = await handleJoinGroup(c, joinRequest('v0', '', { sessionTimeoutMs: 80, rebalanceTimeoutMs: undefined }))
  assert.is(second.errorCode, KafkaCode.NONE)
  const waited = Date.now() - started
  assert.ok(waited >= 70 && waited < 2_000, `the rebalance waited the session timeout (${waited} ms)`)
  assert.is(second.generationId, first.generationId + 1)
  assert.equal(second.members.map((m) => m.memberId), [second.memberId], 'the leader that did not rejoin is out')
})

handlers('a restarted static leader: skip_assignment only from v9', async (ctx) => {
  const instance = { groupInstanceId: 'worker-1' }
  const first = await handleJoinGroup(context(ctx, 9), joinRequest('s', '', instance))
  const synced = await handleSyncGroup(context(ctx, 5), {
    groupId: 's', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'worker-1', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('P0') }]
  })
  assert.equal([synced.errorCode, Buffer.isBuffer(synced.assignment), synced.assignment.toString()], [0, true, 'P0'])
  const v9 = await handleJoinGroup(context(ctx, 9), joinRequest('s', '', instance))
  assert.is(v9.errorCode, 0)
  assert.is(v9.skipAssignment, true)
  const v8 = await handleJoinGroup(context(ctx, 8), joinRequest('s', '', instance))
  assert.is(v8.errorCode, 0)
  assert.is(v8.skipAssignment, false, 'v8 cannot be told to skip: it assigns again')
  assert.is(v8.members.length, 1)
})

handlers('Heartbeat and LeaveGroup: v0-2 leave answers the member\'s own code at the top; v3+ per member', async (ctx) => {
  const joined = await handleJoinGroup(context(ctx, 3), joinRequest('lg', ''))
  assert.is((await handleSyncGroup(context(ctx, 3), { groupId: 'lg', generationId: joined.generationId, memberId: joined.memberId, assignments: [] })).errorCode, 0)
  assert.equal(await handleHeartbeat(context(ctx, 0), { groupId: 'lg', generationId: joined.generationId, memberId: joined.memberId }), { throttleTimeMs: 0, errorCode: 0 })
  assert.is((await handleHeartbeat(context(ctx, 3), { groupId: 'lg', generationId: 99, memberId: joined.memberId, groupInstanceId: null })).errorCode, KafkaCode.ILLEGAL_GENERATION)
  const unknown = await handleLeaveGroup(context(ctx, 1), { groupId: 'lg', memberId: 'ghost', members: [] })
  assert.equal(unknown, { throttleTimeMs: 0, errorCode: KafkaCode.UNKNOWN_MEMBER_ID })
  const batch = await handleLeaveGroup(context(ctx, 3), { groupId: 'lg', memberId: '', members: [{ memberId: 'ghost', groupInstanceId: null }, { memberId: joined.memberId, groupInstanceId: null }] })
  assert.equal(batch, { throttleTimeMs: 0, errorCode: 0, members: [{ memberId: 'ghost', groupInstanceId: null, errorCode: KafkaCode.UNKNOWN_MEMBER_ID }, { memberId: joined.memberId, groupInstanceId: null, errorCode: 0 }] })
  assert.equal(await handleLeaveGroup(context(ctx, 2), { groupId: '', memberId: 'x', members: [] }), { throttleTimeMs: 0, errorCode: KafkaCode.INVALID_GROUP_ID })
})

handlers('OffsetCommit v0 carries no generation; OffsetFetch answers one group (v0-7) or several (v8+)', async (ctx) => {
  const joined = await handleJoinGroup(context(ctx, 3), joinRequest('oc', ''))
  await handleSyncGroup(context(ctx, 3), { groupId: 'oc', generationId: joined.generationId, memberId: joined.memberId, assignments: [] })
  const partitions = [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: 2, committedMetadata: 'm' }, { partitionIndex: 5, committedOffset: 1, committedMetadata: null }]
  // v0 decodes no generation field: whatever the object holds, the commit is a standalone one.
  const v0 = await handleOffsetCommit(context(ctx, 0), { groupId: 'oc', generationIdOrMemberEpoch: joined.generationId, memberId: '', topics: [{ name: 't', partitions }] })
  assert.equal(v0.topics[0].partitions.map((p) => p.errorCode), [KafkaCode.UNKNOWN_MEMBER_ID, KafkaCode.UNKNOWN_MEMBER_ID], 'a standalone commit into an active group is refused')
  const v1 = await handleOffsetCommit(context(ctx, 1), { groupId: 'oc', generationIdOrMemberEpoch: joined.generationId, memberId: joined.memberId, topics: [{ name: 't', partitions }] })
  assert.equal(v1, { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 5, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }] }] })
  const v5 = await handleOffsetFetch(context(ctx, 5), { groupId: 'oc', topics: [{ name: 't', partitionIndexes: [0, 1] }] })
  assert.equal(v5, {
    throttleTimeMs: 0,
    errorCode: 0,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: 2, metadata: 'm', errorCode: 0 }, { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }]
  })
  const v8 = await handleOffsetFetch(context(ctx, 8), { groups: [{ groupId: 'oc', topics: null }, { groupId: 'none', topics: null }], requireStable: false })
  assert.equal(v8.groups!.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => t.partitions.map((p) => p.committedOffset))]), [['oc', 0, [[7]]], ['none', 0, []]])
  ctx.reachable = false
  assert.equal(await handleOffsetFetch(context(ctx, 8), { groups: [{ groupId: 'oc', topics: null }] }), { throttleTimeMs: 0, groups: [{ groupId: 'oc', errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, topics: [] }] })
  assert.equal(await handleOffsetFetch(context(ctx, 3), { groupId: 'oc', topics: null }), { throttleTimeMs: 0, errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, topics: [] })
})

handlers('OffsetFetch require_stable counts only from v7', async (ctx) => {
  ctx.coordinator.setPendingTxnOffsets({ hasPendingOffset: (groupId, topic, partition) => groupId === 'tx' && topic === 't' && partition === 0 })
  const asked = { groupId: 'tx', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true }
  assert.is((await handleOffsetFetch(context(ctx, 7), asked)).topics![0].partitions[0].errorCode, KafkaCode.UNSTABLE_OFFSET_COMMIT)
  assert.is((await handleOffsetFetch(context(ctx, 6), asked)).topics![0].partitions[0].errorCode, KafkaCode.NONE, 'v6 has no require_stable field')
})

handlers('DescribeGroups: authorized operations only from v3; ListGroups filters; DeleteGroups and OffsetDelete per entry', async (ctx) => {
  await handleOffsetCommit(context(ctx, 2), { groupId: 'solo', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 3, committedMetadata: null }] }] })
  const v2 = await handleDescribeGroups(context(ctx, 2), { groups: ['solo'] })
  assert.equal(v2.groups, [{ errorCode: 0, groupId: 'solo', groupState: 'Empty', protocolType: '', protocolData: '', members: [], authorizedOperations: undefined }])
  const v3 = await handleDescribeGroups(context(ctx, 3), { groups: ['solo'], includeAuthorizedOperations: false })
  assert.is(v3.groups[0].authorizedOperations, AUTHORIZED_OPERATIONS_OMITTED)
  assert.equal((await handleListGroups(context(ctx, 4), { statesFilter: ['EMPTY'] })).groups, [{ groupId: 'solo', protocolType: '', groupState: 'Empty', groupType: 'classic' }])
  assert.equal((await handleListGroups(context(ctx, 4), { statesFilter: ['stable'] })).groups, [])
  const deleted = await handleOffsetDelete(context(ctx, 0), { groupId: 'solo', topics: [{ name: 't', partitions: [{ partitionIndex: 1 }, { partitionIndex: 9 }] }] })
  assert.equal(deleted, { errorCode: 0, throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }, { partitionIndex: 9, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }] }] })
  assert.equal(await handleDeleteGroups(context(ctx, 2), { groupsNames: ['never'] }), { throttleTimeMs: 0, results: [{ groupId: 'never', errorCode: KafkaCode.GROUP_ID_NOT_FOUND }] })
})

handlers('InitProducerId: v3+ may name an id and epoch (both or neither); v0-2 carry neither', async (ctx) => {
  const first = await handleInitProducerId(context(ctx, 2), { transactionalId: null, transactionTimeoutMs: 60_000 })
  assert.equal(first, { throttleTimeMs: 0, errorCode: 0, producerId: 0, producerEpoch: 0 })
  // A v2 request object holding stray id fields: the v2 codec never decodes them, so they are ignored.
  assert.is((await handleInitProducerId(context(ctx, 2), { transactionalId: null, transactionTimeoutMs: 60_000, producerId: 5, producerEpoch: -1 })).errorCode, KafkaCode.NONE)
  assert.is((await handleInitProducerId(context(ctx, 3), { transactionalId: null, transactionTimeoutMs: 60_000, producerId: 5, producerEpoch: -1 })).errorCode, KafkaCode.INVALID_REQUEST)
  const named = await handleInitProducerId(context(ctx, 4), { transactionalId: null, transactionTimeoutMs: 60_000, producerId: 0, producerEpoch: 0 })
  assert.equal([named.errorCode, named.producerEpoch], [0, 0])
  assert.ok(named.producerId > 0, 'a new id')
  ctx.reachable = false
  assert.equal(await handleInitProducerId(context(ctx, 4), { transactionalId: null, transactionTimeoutMs: 60_000 }), { throttleTimeMs: 0, errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 })
})

handlers.run()
