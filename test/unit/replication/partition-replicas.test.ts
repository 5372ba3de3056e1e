import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PartitionReplicas, type Replica, type ReplicaIo, type ReplicaRead } from '../../../src/replication/partition-replicas.js'
import { LogStatus } from '../../../src/log/errors.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import { silentLogger } from '../../../src/logger.js'

/** A replica's log as the fake keeps it: one entry per record, with the leader epoch it was written in. */
interface FakeLog { start: number, epochs: number[], role: 'leader' | 'follower', epoch: number, hw: number }

/** ReplicaIo over arrays, with a clock the test moves and follower writes it can hold back. */
class FakeIo implements ReplicaIo {
  readonly logs: FakeLog[]
  held = new Set<number>()
  /** Followers whose next write is refused once (a batch damaged on its way: a transient refusal). */
  refuseOnce = new Set<number>()
  readonly #heldWrites: Array<() => void> = []
  /** Role changes of these replicas wait for releaseRoles (a slow control plane). */
  heldRoles = new Set<number>()
  /** Copies refused for an epoch the follower was not told of. */
  refusals = 0
  readonly #heldRoleChanges: Array<() => void> = []
  constructor (count: number) {
    this.logs = Array.from({ length: count }, () => ({ start: 0, epochs: [], role: 'follower', epoch: 0, hw: 0 }))
  }

  end (r: number): number { return this.logs[r].start + this.logs[r].epochs.length }
  leaderAppends (r: number, n: number): number {
    const log = this.logs[r]
    for (let i = 0; i < n; i++) log.epochs.push(log.epoch)
    return this.end(r)
  }

  releaseHeld (): void { for (const go of this.#heldWrites.splice(0)) go() }
  releaseRoles (): void { for (const go of this.#heldRoleChanges.splice(0)) go() }
  get rolesWaiting (): number { return this.#heldRoleChanges.length }

  async fetchForFollower (leader: Replica, offset: number): Promise<ReplicaRead> {
    const log = this.logs[leader.index]
    if (offset < log.start || offset > this.end(leader.index)) return { status: LogStatus.OffsetOutOfRange, bytes: null, logStartOffset: log.start, logEndOffset: this.end(leader.index) }
    const records = log.epochs.slice(offset - log.start)
    return { status: LogStatus.Ok, bytes: Buffer.from(JSON.stringify({ offset, records })), logStartOffset: log.start, logEndOffset: this.end(leader.index) }
  }

  async appendAsFollower (follower: Replica, epoch: number, batches: Buffer): Promise<{ status: LogStatus, logEndOffset: number }> {
    if (this.held.has(follower.index)) await new Promise<void>((resolve) => this.#heldWrites.push(resolve))
    if (this.refuseOnce.delete(follower.index)) return { status: LogStatus.CorruptMessage, logEndOffset: this.end(follower.index) }
    const log = this.logs[follower.index]
    const { offset, records } = JSON.parse(batches.toString()) as { offset: number, records: number[] }
    if (epoch < log.epoch || log.role !== 'follower') return { status: LogStatus.BadRequest, logEndOffset: this.end(follower.index) }
    // As a worker does: a copy from an epoch the replica has not been told of yet is refused.
    if (epoch > log.epoch) { this.refusals++; return { status: LogStatus.UnknownLeaderEpoch, logEndOffset: this.end(follower.index) } }
    if (offset !== this.end(follower.index)) return { status: LogStatus.OffsetOutOfRange, logEndOffset: this.end(follower.index) }
    log.epochs.push(...records)
    return { status: LogStatus.Ok, logEndOffset: this.end(follower.index) }
  }

  setHighWatermark (leader: Replica, hw: number): void { this.logs[leader.index].hw = hw }
  async becomeLeader (r: Replica, epoch: number, hw: number): Promise<number> {
    Object.assign(this.logs[r.index], { role: 'leader', epoch, hw })
    return this.end(r.index)
  }

  async becomeFollower (r: Replica, epoch: number): Promise<void> {
    if (this.heldRoles.has(r.index)) await new Promise<void>((resolve) => this.#heldRoleChanges.push(resolve))
    Object.assign(this.logs[r.index], { role: 'follower', epoch })
  }
  async latestEpoch (r: Replica): Promise<number> { return this.logs[r.index].epochs.at(-1) ?? -1 }
  async endOffsetForEpoch (r: Replica, epoch: number): Promise<[number, number]> {
    const log = this.logs[r.index]
    let found = -1
    for (const e of log.epochs) if (e <= epoch && e > found) found = e
    if (found < 0) return [-1, -1]
    const next = log.epochs.findIndex((e) => e > found)
    return [found, next < 0 ? this.end(r.index) : log.start + next]
  }

  async truncateTo (r: Replica, offset: number): Promise<number> {
    const log = this.logs[r.index]
    if (offset < this.end(r.index)) log.epochs.length = Math.max(0, offset - log.start)
    return this.end(r.index)
  }

  async truncateFullyAndStartAt (r: Replica, offset: number): Promise<void> { Object.assign(this.logs[r.index], { start: offset, epochs: [] }) }
  async logStartOffset (leader: Replica): Promise<number> { return this.logs[leader.index].start }
}

interface Setup { io: FakeIo, state: PartitionReplicas, clock: { now: number }, hws: number[], minIsr: { value: number } }

function setup (count = 3, lagTimeMaxMs = 1000): Setup {
  const io = new FakeIo(count)
  const clock = { now: 0 }
  const hws: number[] = []
  const minIsr = { value: 2 }
  io.logs[0].role = 'leader'
  const replicas: Replica[] = Array.from({ length: count }, (_, index) => ({ index, worker: index, dataDir: null, logEndOffset: 0, inSync: true, online: true, lastCaughtUpAt: 0 }))
  const state = new PartitionReplicas({
    name: 't-0', replicas, leader: 0, leaderEpoch: 0, highWatermark: 0, leaderLogEndOffset: 0,
    minInsyncReplicas: () => minIsr.value, lagTimeMaxMs, maxFetchBytes: 1 << 20, io, logger: silentLogger,
    onHighWatermark: (hw) => hws.push(hw), now: () => clock.now
  })
  return { io, state, clock, hws, minIsr }
}

async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve))
  assert.ok(condition(), 'condition not reached')
}

test('an append is committed once every in-sync follower copied it; the leader is told the high watermark', async () => {
  const { io, state, hws } = setup()
  const committed = state.waitForCommit(io.leaderAppends(0, 5))
  state.leaderAppended(5)
  assert.is(await committed, KafkaCode.NONE)
  assert.is(state.highWatermark, 5)
  assert.equal(hws, [5])
  assert.is(io.logs[0].hw, 5)
  assert.equal(io.logs[1].epochs, [0, 0, 0, 0, 0])
  assert.equal(io.logs[2].epochs, [0, 0, 0, 0, 0])
})

test('a follower that stops copying leaves the ISR after the lag time; the high watermark then moves without it', async () => {
  const { io, state, clock } = setup()
  io.held.add(2)
  const committed = state.waitForCommit(io.leaderAppends(0, 3))
  state.leaderAppended(3)
  await until(() => io.end(1) === 3)
  assert.is(state.highWatermark, 0, 'held back by the stuck follower')
  clock.now = 500
  state.checkLag()
  assert.is(state.inSyncReplicas.length, 3, 'still within the lag time')
  clock.now = 1001
  state.checkLag()
  assert.equal(state.inSyncReplicas.map((r) => r.index), [0, 1])
  assert.is(await committed, KafkaCode.NONE)
  assert.is(state.highWatermark, 3)
  io.held.delete(2)
  io.releaseHeld()
  await until(() => state.inSyncReplicas.length === 3)
})

test('acks=all: refused before the append under min ISR, and NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks while it waits', async () => {
  const { io, state, clock } = setup()
  assert.is(state.acksAllRefusal(), KafkaCode.NONE)
  io.held.add(1)
  io.held.add(2)
  const committed = state.waitForCommit(io.leaderAppends(0, 1))
  state.leaderAppended(1)
  clock.now = 2000
  state.checkLag()
  assert.is(await committed, KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
  assert.is(state.acksAllRefusal(), KafkaCode.NOT_ENOUGH_REPLICAS)
})

test('a lost leader is replaced by an in-sync follower in a new epoch; waiting appends are told to retry; a divergent follower truncates', async () => {
  const { io, state } = setup()
  state.leaderAppended(io.leaderAppends(0, 4))
  await until(() => state.highWatermark === 4)
  // The leader appends two more that only follower 2 copies before the leader is lost.
  io.held.add(1)
  const waiting = state.waitForCommit(io.leaderAppends(0, 2))
  state.leaderAppended(6)
  await until(() => io.end(2) === 6)
  await state.replicaLost(state.replicas[0], 'worker died')
  assert.is(await waiting, KafkaCode.NOT_LEADER_OR_FOLLOWER)
  const leader = state.leader!
  assert.is(leader.index, 1)
  assert.is(state.leaderEpoch, 1)
  assert.is(io.logs[1].role, 'leader')
  io.held.delete(1)
  io.releaseHeld()
  // Follower 2 had offsets 4 and 5 from the old leader that the new one never got: they go.
  await until(() => io.logs[2].epoch === 1 && io.end(2) === io.end(1))
  state.leaderAppended(io.leaderAppends(1, 1))
  await until(() => io.end(2) === io.end(1) && state.highWatermark === io.end(1))
  assert.equal(io.logs[2].epochs, io.logs[1].epochs)
  assert.ok(state.highWatermark >= 4, 'the high watermark never moves back')
})

test('appends to a new leader while a follower is still being made its follower are copied after its truncation, not before', async () => {
  const { io, state } = setup()
  state.leaderAppended(io.leaderAppends(0, 3))
  await until(() => state.highWatermark === 3)
  io.heldRoles.add(2)
  await state.replicaLost(state.replicas[0], 'worker died')
  assert.is(state.leader?.index, 1)
  await until(() => io.rolesWaiting === 1)
  // The new leader appends while follower 2 has not taken the new epoch yet.
  const committed = state.waitForCommit(io.leaderAppends(1, 2))
  state.leaderAppended(5)
  // Give a copy started now time to reach the follower, as the ring would.
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
  io.heldRoles.delete(2)
  io.releaseRoles()
  assert.is(await committed, KafkaCode.NONE)
  assert.equal(io.logs[2].epochs, io.logs[1].epochs)
  assert.is(state.replicas[2].logEndOffset, 5)
  assert.ok(state.replicas[2].inSync)
  assert.is(io.refusals, 0, 'nothing was sent to the follower before it took the new epoch')
})

test('a follower whose log ends elsewhere than the leader expected resynchronises instead of holding the high watermark back', async () => {
  const { io, state } = setup()
  state.leaderAppended(io.leaderAppends(0, 2))
  await until(() => state.highWatermark === 2)
  // The dispatcher's view of follower 1 drifts ahead of its log (a crossed copy and truncation).
  state.replicas[1].logEndOffset = 4
  io.logs[0].epochs.push(0, 0, 0)
  const committed = state.waitForCommit(5)
  state.leaderAppended(5)
  assert.is(await committed, KafkaCode.NONE)
  assert.equal(io.logs[1].epochs, io.logs[0].epochs)
})

test('with no in-sync replica left the partition goes offline, and comes back with the last in-sync one', async () => {
  const { io, state, clock, minIsr } = setup()
  minIsr.value = 1
  io.held.add(1)
  io.held.add(2)
  state.leaderAppended(io.leaderAppends(0, 2))
  clock.now = 5000
  state.checkLag()
  assert.equal(state.inSyncReplicas.map((r) => r.index), [0])
  await state.replicaLost(state.replicas[0], 'worker died')
  assert.is(state.leader, null)
  await state.replicaBack(state.replicas[1])
  assert.is(state.leader, null, 'an out-of-sync replica does not lead (unclean election is off)')
  await state.replicaBack(state.replicas[0])
  assert.is(state.leader?.index, 0)
  assert.is(state.leaderEpoch, 1)
})

test('a follower whose copy was refused tries again at the next lag check, without waiting for an append', async () => {
  const { io, state, clock } = setup()
  io.refuseOnce.add(2)
  const committed = state.waitForCommit(io.leaderAppends(0, 3))
  state.leaderAppended(3)
  await until(() => io.end(1) === 3)
  assert.is(io.end(2), 0, 'its copy was refused')
  clock.now = 100
  state.checkLag()
  await until(() => io.end(2) === 3)
  assert.is(await committed, KafkaCode.NONE)
  assert.is(state.highWatermark, 3)
  assert.equal(state.inSyncReplicas.map((r) => r.index), [0, 1, 2])
})

test.run()
