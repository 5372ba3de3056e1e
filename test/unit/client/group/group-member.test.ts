/**
 * The membership loop against a scripted coordinator on one thread: the order of calls and the
 * reaction to each error code, without a broker.
 */
import { suite } from 'uvu'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import * as assert from 'uvu/assert'
import { GroupMember, type GroupMemberHooks } from '../../../../src/client/group/group-member.js'
import { rangeAssignor } from '../../../../src/client/group/assignors.js'
import { decodeSubscription, type TopicPartitions } from '../../../../src/protocol/consumer-protocol.js'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import type { CommitOffsets, CoordinatorApi, JoinGroup, LeaveGroup, SyncGroup } from '../../../../src/coordinator/coordinator-api.js'

/** A one-member group: MEMBER_ID_REQUIRED first, then this member leads every generation. */
class ScriptedCoordinator {
  calls: string[] = []
  joins: JoinGroup[] = []
  syncs: SyncGroup[] = []
  commits: CommitOffsets[] = []
  leaves: LeaveGroup[] = []
  generation = 0
  nextHeartbeat: number[] = []
  nextJoin: number[] = []
  nextCommit: number[] = []
  committed = new Map<string, number>()

  api (): CoordinatorApi {
    const fail = (): never => { throw new Error('not scripted') }
    return {
      joinGroup: async (req) => {
        this.calls.push(`join:${req.memberId}`)
        this.joins.push(req)
        const scripted = this.nextJoin.shift()
        const base = { generationId: -1, protocolType: 'consumer', protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] }
        if (scripted !== undefined) return { ...base, errorCode: scripted }
        if (req.memberId === '') return { ...base, errorCode: KafkaCode.MEMBER_ID_REQUIRED, memberId: 'member-1' }
        this.generation++
        return { ...base, errorCode: 0, generationId: this.generation, protocolName: req.protocols[0].name, leader: req.memberId, members: [{ memberId: req.memberId, groupInstanceId: req.groupInstanceId, metadata: req.protocols[0].metadata }] }
      },
      syncGroup: async (req) => {
        this.calls.push(`sync:${req.generationId}`)
        this.syncs.push(req)
        const mine = req.assignments.find((a) => a.memberId === req.memberId)
        return { errorCode: 0, protocolType: 'consumer', protocolName: req.protocolName, assignment: mine?.assignment ?? new Uint8Array(0) }
      },
      heartbeat: async (req) => {
        this.calls.push(`heartbeat:${req.generationId}`)
        return this.nextHeartbeat.shift() ?? 0
      },
      leaveGroup: async (req) => {
        this.calls.push('leave')
        this.leaves.push(req)
        return { errorCode: 0, members: [] }
      },
      commitOffsets: async (req) => {
        this.calls.push('commit')
        this.commits.push(req)
        const code = this.nextCommit.shift() ?? 0
        if (code === 0) for (const t of req.topics) for (const p of t.partitions) this.committed.set(`${t.name}-${p.partition}`, p.offset)
        return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code })) })) }
      },
      fetchOffsets: async (req) => ({
        groups: req.groups.map((g) => ({
          groupId: g.groupId,
          errorCode: 0,
          topics: (g.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p, offset: this.committed.get(`${t.name}-${p}`) ?? -1, leaderEpoch: -1, metadata: '', errorCode: 0 })) }))
        }))
      }),
      describeGroups: fail,
      listGroups: fail,
      deleteGroups: fail,
      deleteOffsets: fail,
      readOffsetsLog: fail,
      lookupOffsetsLog: fail,
      initProducerId: fail,
      setTopics: fail
    }
  }
}

interface Ctx { coord: ScriptedCoordinator, events: string[], member: GroupMember }

function start (ctx: Ctx, groupInstanceId: string | null = null): GroupMember {
  ctx.coord = new ScriptedCoordinator()
  ctx.events = []
  const api = ctx.coord.api()
  const hooks: GroupMemberHooks = {
    revoke: async () => { ctx.events.push('revoke') },
    assigned: async (partitions: TopicPartitions[]) => { ctx.events.push(`assigned:${JSON.stringify(partitions)}`) },
    partitionCounts: (topics) => new Map(topics.filter((t) => t !== 'missing').map((t) => [t, 3]))
  }
  ctx.member = new GroupMember(async () => api, {
    groupId: 'g', groupInstanceId, clientId: 'test', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 5, assignors: [rangeAssignor]
  }, hooks)
  return ctx.member
}

async function until (what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

const member = suite<Ctx>('group member loop')
member.after.each(async (ctx) => { await ctx.member?.close() })

member('rejoins with the id from MEMBER_ID_REQUIRED, leads, assigns every partition, then heartbeats', async (ctx) => {
  const published: unknown[] = []
  const listener = (message: unknown): void => { published.push(message) }
  subscribe('millrace:group:rebalance', listener)
  const m = start(ctx)
  m.subscribe(['t', 'missing'])
  await m.whenStable()
  unsubscribe('millrace:group:rebalance', listener)
  assert.equal(published, [{ groupId: 'g', memberId: 'member-1', generationId: 1, protocol: 'range', leader: true, assignment: [{ topic: 't', partitions: [0, 1, 2] }] }])
  assert.equal(ctx.coord.calls.slice(0, 3), ['join:', 'join:member-1', 'sync:1'])
  assert.equal(decodeSubscription(ctx.coord.joins[1].protocols[0].metadata).topics, ['t', 'missing'])
  assert.is(ctx.coord.joins[1].protocolType, 'consumer')
  assert.equal(ctx.events, [`assigned:${JSON.stringify([{ topic: 't', partitions: [0, 1, 2] }])}`])
  assert.equal(m.assignment, [{ topic: 't', partitions: [0, 1, 2] }])
  assert.is(m.generationId, 1)
  assert.ok(m.isLeader)
  await until('a heartbeat', () => ctx.coord.calls.includes('heartbeat:1'))
})

member('REBALANCE_IN_PROGRESS on heartbeat: revoke, then join again with the same member id', async (ctx) => {
  const m = start(ctx)
  m.subscribe(['t'])
  await m.whenStable()
  ctx.coord.nextHeartbeat.push(KafkaCode.REBALANCE_IN_PROGRESS)
  await until('generation 2', () => m.generationId === 2 && m.stable)
  assert.equal(ctx.events.map((e) => e.split(':')[0]), ['assigned', 'revoke', 'assigned'])
  assert.is(ctx.coord.joins.at(-1)!.memberId, 'member-1')
})

member('UNKNOWN_MEMBER_ID on heartbeat: join again as a new member', async (ctx) => {
  const m = start(ctx)
  m.subscribe(['t'])
  await m.whenStable()
  const joinsBefore = ctx.coord.joins.length
  ctx.coord.nextHeartbeat.push(KafkaCode.UNKNOWN_MEMBER_ID)
  await until('generation 2', () => m.generationId === 2 && m.stable)
  assert.is(ctx.coord.joins[joinsBefore].memberId, '')
})

member('a coordinator that is loading is retried; a fatal join error rejects whenStable with the Kafka code', async (ctx) => {
  const m = start(ctx)
  ctx.coord.nextJoin.push(KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, KafkaCode.INCONSISTENT_GROUP_PROTOCOL)
  m.subscribe(['t'])
  try {
    await m.whenStable()
    assert.unreachable('should have failed')
  } catch (err) {
    assert.is((err as { code?: string }).code, 'MR_ERR_KAFKA')
    assert.is((err as { kafkaCode?: number }).kafkaCode, KafkaCode.INCONSISTENT_GROUP_PROTOCOL)
    assert.match((err as Error).message, /INCONSISTENT_GROUP_PROTOCOL/)
  }
  assert.is(ctx.coord.joins.length, 2)
})

member('commit sends the generation and member id; ILLEGAL_GENERATION throws and rejoins', async (ctx) => {
  const m = start(ctx)
  m.subscribe(['t'])
  await m.whenStable()
  await m.commit([{ topic: 't', partition: 1, offset: 42, metadata: 'm' }])
  const sent = ctx.coord.commits[0]
  assert.is(sent.generationId, 1)
  assert.is(sent.memberId, 'member-1')
  assert.equal(sent.topics[0].partitions[0].offset, 42)
  assert.equal((await m.committed([{ topic: 't', partitions: [1, 2] }])).get('t\u00001'), { offset: 42, metadata: '' })
  ctx.coord.nextCommit.push(KafkaCode.ILLEGAL_GENERATION)
  try {
    await m.commit([{ topic: 't', partition: 1, offset: 43, metadata: null }])
    assert.unreachable('should have failed')
  } catch (err) {
    assert.is((err as { kafkaCode?: number }).kafkaCode, KafkaCode.ILLEGAL_GENERATION)
  }
  await until('generation 2', () => m.generationId === 2 && m.stable)
})

member('close revokes, then leaves the group; a static member does not leave', async (ctx) => {
  const m = start(ctx)
  m.subscribe(['t'])
  await m.whenStable()
  await m.close()
  assert.equal(ctx.events.map((e) => e.split(':')[0]), ['assigned', 'revoke'])
  assert.equal(ctx.coord.leaves.map((l) => l.members.map((x) => x.memberId)), [['member-1']])
  const s = start(ctx, 'instance-a')
  s.subscribe(['t'])
  await s.whenStable()
  assert.is(ctx.coord.joins[0].groupInstanceId, 'instance-a')
  await s.close()
  assert.equal(ctx.coord.leaves, [])
  await s.whenStable().then(() => assert.unreachable('closed'), (err: { code?: string }) => assert.is(err.code, 'MR_ERR_CLOSED'))
})

member('a new subscription rebalances; unchanged partition counts do not', async (ctx) => {
  const m = start(ctx)
  m.subscribe(['t', 'missing'])
  await m.whenStable()
  // The scripted counts never include 'missing': nothing changes, no rebalance.
  await until('three heartbeats', () => ctx.coord.calls.filter((c) => c.startsWith('heartbeat')).length >= 3)
  assert.is(m.generationId, 1)
  m.subscribe(['t', 'u'])
  await until('generation 2', () => m.generationId === 2 && m.stable)
  assert.equal(m.assignment, [{ topic: 't', partitions: [0, 1, 2] }, { topic: 'u', partitions: [0, 1, 2] }])
})

member.run()
