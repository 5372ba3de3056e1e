/**
 * The partition worker's side of replication, driven through a real worker thread and its
 * WorkerLink, as the dispatcher's replication controller drives it: leader and follower roles,
 * replica appends, leader epochs, the high watermark frame, replica fetches, the control block
 * (heartbeat, fence) and the hang and failed-data-dir faults.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { WorkerLink } from '../../../src/dispatcher/worker-link.js'
import { LogStatus } from '../../../src/log/errors.js'
import { ISOLATION_COMMITTED, ISOLATION_REPLICA, ISOLATION_UNCOMMITTED } from '../../../src/partition/frames.js'
import type { PartitionSpec, ReplicaRole } from '../../../src/partition/partition-spec.js'
import { readPartitionMetadata } from '../../../src/partition/partition-files.js'
import { BatchBuilder, decodeBatches } from '../../../src/protocol/record-batch.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../../helpers/tmp-dir.js'
import { until } from '../../helpers/until.js'

const MAX_BYTES = 1 << 20

interface Ctx { dir: string, link: WorkerLink, log: CaptureLogger, exits: number }

const roles = suite<Ctx>('partition worker: replication')

roles.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-replica-')
  ctx.log = new CaptureLogger()
  ctx.exits = 0
  ctx.link = await WorkerLink.start({
    index: 0, ringBytes: 1 << 20, dataDir: ctx.dir, topicDefaults: {}, retentionCheckIntervalMs: 300_000, logger: ctx.log.logger,
    onExit: () => { ctx.exits++ }
  })
})

roles.after.each(async (ctx) => {
  if (ctx.link.alive) await ctx.link.close()
  removeDir(ctx.dir)
})

let nextId = 1

interface Replica {
  /** Another replica of the same partition: same topic and topic id, its own partition id. */
  of?: PartitionSpec
  role?: ReplicaRole
  replica?: number
  replicas?: number
  leaderEpoch?: number
  dataDir?: string
}

/** Opens a new replica on the worker; returns its partition id. */
async function open (ctx: Ctx, replica: Replica = {}): Promise<number> {
  return (await openSpec(ctx, replica)).id
}

async function openSpec (ctx: Ctx, replica: Replica = {}): Promise<PartitionSpec> {
  const spec: PartitionSpec = {
    id: nextId++,
    topic: replica.of?.topic ?? uniqueTopic('replica'),
    topicId: replica.of?.topicId ?? randomBytes(16).toString('hex'),
    partition: 0,
    overrides: {},
    leaderEpoch: replica.leaderEpoch ?? 0,
    replica: replica.replica ?? 0,
    replicas: replica.replicas ?? 1,
    dataDir: replica.dataDir ?? ctx.dir,
    role: replica.role ?? 'leader'
  }
  await ctx.link.call((c) => c.openPartition(spec, true))
  return spec
}

function batch (...values: string[]): Buffer {
  const builder = new BatchBuilder()
  for (const v of values) builder.append(1_700_000_000_000, null, Buffer.from(v))
  return builder.build()
}

function valuesOf (bytes: Buffer | null): string[] {
  if (bytes === null) return []
  return decodeBatches(bytes).flatMap((b) => b.records.map((r) => r.value!.toString()))
}

roles('a leader of one replica moves its high watermark on append, as before', async (ctx) => {
  const id = await open(ctx)
  const answer = await ctx.link.append(id, 0, batch('a', 'b'))
  assert.is(answer.status, LogStatus.Ok)
  assert.is(answer.highWatermark, 2)
  assert.equal(valuesOf((await ctx.link.fetch(id, 0, MAX_BYTES, ISOLATION_UNCOMMITTED)).bytes), ['a', 'b'])
})

roles('a leader of several replicas moves its high watermark only when told; replica fetches read up to the log end', async (ctx) => {
  const id = await open(ctx, { replicas: 3 })
  const appended = await ctx.link.append(id, 0, batch('a', 'b', 'c'))
  assert.is(appended.status, LogStatus.Ok)
  assert.is(appended.logEndOffset, 3)
  assert.is(appended.highWatermark, 0)
  // Consumers see nothing past the high watermark; a follower's copy sees everything.
  assert.equal(valuesOf((await ctx.link.fetch(id, 0, MAX_BYTES, ISOLATION_UNCOMMITTED)).bytes), [])
  assert.equal(valuesOf((await ctx.link.fetch(id, 0, MAX_BYTES, ISOLATION_COMMITTED)).bytes), [])
  assert.equal(valuesOf((await ctx.link.fetch(id, 0, MAX_BYTES, ISOLATION_REPLICA)).bytes), ['a', 'b', 'c'])

  const moved = await ctx.link.setHighWatermark(id, 3)
  assert.is(moved.status, LogStatus.Ok)
  assert.is(moved.highWatermark, 3)
  assert.equal(valuesOf((await ctx.link.fetch(id, 0, MAX_BYTES, ISOLATION_UNCOMMITTED)).bytes), ['a', 'b', 'c'])
  // Never backwards (a late frame from an older computation).
  assert.is((await ctx.link.setHighWatermark(id, 1)).highWatermark, 3)
  // Nor past the log end.
  assert.is((await ctx.link.setHighWatermark(id, 99)).highWatermark, 3)
})

roles('a transaction marker on a replicated leader leaves the high watermark to the controller', async (ctx) => {
  const id = await open(ctx, { replicas: 2 })
  const marker = await ctx.link.txnMarker(id, 1000, 0, 0, false)
  assert.is(marker.status, LogStatus.Ok)
  assert.is(marker.logEndOffset, 1)
  assert.is(marker.highWatermark, 0)
})

roles('a follower refuses client appends and transaction markers with NotLeader, writing nothing', async (ctx) => {
  const id = await open(ctx, { role: 'follower', replica: 1, replicas: 2 })
  const appended = await ctx.link.append(id, 0, batch('a'))
  assert.is(appended.status, LogStatus.NotLeader)
  assert.is(appended.logEndOffset, 0)
  assert.is((await ctx.link.txnMarker(id, 1000, 0, 0, true)).status, LogStatus.NotLeader)
  assert.is((await ctx.link.call((c) => c.describe(id)))!.logEndOffset, 0)
})

roles('becomeFollower and becomeLeader switch the role and the epoch; an older epoch is refused loudly', async (ctx) => {
  const id = await open(ctx, { replicas: 2 })
  assert.is((await ctx.link.append(id, 0, batch('a'))).status, LogStatus.Ok)
  await ctx.link.becomeFollower(id, 1)
  assert.is((await ctx.link.append(id, 1, batch('b'))).status, LogStatus.NotLeader)
  await ctx.link.becomeLeader(id, 2, 1)
  const answer = await ctx.link.append(id, 2, batch('b'))
  assert.is(answer.status, LogStatus.Ok)
  // becomeLeader set the high watermark it was given; the append did not move it.
  assert.is(answer.highWatermark, 1)
  try {
    await ctx.link.becomeFollower(id, 1)
    assert.unreachable('an older epoch must be refused')
  } catch (err) {
    assert.match((err as Error).message, /cannot become follower of epoch 1, it is at epoch 2/)
  }
})

roles('an append from an older leader epoch is refused with FencedLeaderEpoch', async (ctx) => {
  const id = await open(ctx, { leaderEpoch: 5 })
  const stale = await ctx.link.append(id, 4, batch('zombie'))
  assert.is(stale.status, LogStatus.FencedLeaderEpoch)
  assert.is(stale.logEndOffset, 0)
  assert.is((await ctx.link.append(id, 5, batch('a'))).status, LogStatus.Ok)
  // No epoch given (-1): the actor's own, as before.
  assert.is((await ctx.link.append(id, -1, batch('b'))).status, LogStatus.Ok)
})

roles('replica appends are refused unless the replica follows exactly that epoch', async (ctx) => {
  const leader = await open(ctx, { replicas: 2 })
  const follower = await open(ctx, { role: 'follower', replica: 1, replicas: 2, leaderEpoch: 3 })
  const bytes = batch('a')
  const older = await ctx.link.replicaAppend(follower, 2, bytes)
  assert.is(older.status, LogStatus.FencedLeaderEpoch)
  const newer = await ctx.link.replicaAppend(follower, 4, bytes)
  assert.is(newer.status, LogStatus.UnknownLeaderEpoch)
  assert.is(newer.logEndOffset, 0)
  // A leader copies from no one.
  assert.is((await ctx.link.replicaAppend(leader, 0, bytes)).status, LogStatus.NotLeader)
  assert.is((await ctx.link.call((c) => c.describe(leader)))!.logEndOffset, 0)
})

roles('a follower copies the leader byte for byte, truncates to a divergence point and catches up again', async (ctx) => {
  const leaderSpec = await openSpec(ctx, { replicas: 2, leaderEpoch: 3 })
  const leader = leaderSpec.id
  const follower = await open(ctx, { of: leaderSpec, role: 'follower', replica: 1, replicas: 2, leaderEpoch: 3 })
  assert.ok(existsSync(join(ctx.dir, `${leaderSpec.topic}-0~1`)), 'replica 1 lives in its own directory')
  assert.is(readPartitionMetadata(join(ctx.dir, `${leaderSpec.topic}-0~1`)).replicas, 2)
  assert.is((await ctx.link.append(leader, 3, batch('a', 'b'))).status, LogStatus.Ok)
  assert.is((await ctx.link.append(leader, 3, batch('c'))).status, LogStatus.Ok)

  const copied = (await ctx.link.fetch(leader, 0, MAX_BYTES, ISOLATION_REPLICA)).bytes!
  const answer = await ctx.link.replicaAppend(follower, 3, copied)
  assert.is(answer.status, LogStatus.Ok)
  assert.is(answer.baseOffset, 0)
  assert.is(answer.logEndOffset, 3)
  // The follower's own high watermark is not its business: it stays where it was opened.
  assert.is(answer.highWatermark, 0)
  const stored = (await ctx.link.fetch(follower, 0, MAX_BYTES, ISOLATION_REPLICA)).bytes!
  assert.ok(stored.equals(copied), 'the follower stores the leader\'s bytes unchanged')
  assert.equal(decodeBatches(stored).map((b) => [b.baseOffset, b.partitionLeaderEpoch]), [[0, 3], [2, 3]])
  assert.is(await ctx.link.latestEpoch(follower), 3)
  assert.equal(await ctx.link.endOffsetForEpoch(follower, 3), [3, 3])

  // The same batches again do not start at its log end: refused, nothing written.
  const again = await ctx.link.replicaAppend(follower, 3, copied)
  assert.is(again.status, LogStatus.OffsetOutOfRange)
  assert.is(again.logEndOffset, 3)

  await ctx.link.truncateTo(follower, 2)
  assert.is((await ctx.link.call((c) => c.describe(follower)))!.logEndOffset, 2)
  const tail = (await ctx.link.fetch(leader, 2, MAX_BYTES, ISOLATION_REPLICA)).bytes!
  assert.is((await ctx.link.replicaAppend(follower, 3, tail)).logEndOffset, 3)
  assert.ok((await ctx.link.fetch(follower, 0, MAX_BYTES, ISOLATION_REPLICA)).bytes!.equals(copied))

  // Failover: the follower leads epoch 4 and takes client appends; the old leader follows.
  await ctx.link.becomeLeader(follower, 4, 3)
  await ctx.link.becomeFollower(leader, 4)
  const promoted = await ctx.link.append(follower, 4, batch('d'))
  assert.is(promoted.status, LogStatus.Ok)
  assert.is(promoted.baseOffset, 3)
  assert.is((await ctx.link.append(leader, 3, batch('zombie'))).status, LogStatus.NotLeader)
})

roles('truncateFullyAndStartAt empties a follower and starts it at the given offset', async (ctx) => {
  const follower = await open(ctx, { role: 'follower', replica: 1, replicas: 2 })
  const builder = new BatchBuilder()
  builder.append(1_700_000_000_000, null, Buffer.from('x'))
  assert.is((await ctx.link.replicaAppend(follower, 0, builder.build())).status, LogStatus.Ok)
  await ctx.link.truncateFullyAndStartAt(follower, 10)
  const offsets = (await ctx.link.call((c) => c.describe(follower)))!
  assert.is(offsets.logStartOffset, 10)
  assert.is(offsets.logEndOffset, 10)
  assert.is(await ctx.link.latestEpoch(follower), -1)
})

roles('the heartbeat moves while the worker runs', async (ctx) => {
  const before = ctx.link.heartbeat()
  await until('the heartbeat moves', () => ctx.link.heartbeat() !== before, 5000)
})

roles('a fenced worker refuses every write with NotLeader and says so once', async (ctx) => {
  const leader = await open(ctx)
  const follower = await open(ctx, { role: 'follower', replica: 1, replicas: 2 })
  assert.is((await ctx.link.append(leader, 0, batch('a'))).status, LogStatus.Ok)
  ctx.link.fence()
  assert.ok(ctx.link.fenced)
  const refused = await ctx.link.append(leader, 0, batch('b'))
  assert.is(refused.status, LogStatus.NotLeader)
  assert.is(refused.logEndOffset, 1)
  assert.is((await ctx.link.append(leader, 0, batch('c'))).status, LogStatus.NotLeader)
  assert.is((await ctx.link.txnMarker(leader, 1000, 0, 0, true)).status, LogStatus.NotLeader)
  assert.is((await ctx.link.replicaAppend(follower, 0, batch('d'))).status, LogStatus.NotLeader)
  // Reads still work: what was committed stays readable.
  assert.equal(valuesOf((await ctx.link.fetch(leader, 0, MAX_BYTES, ISOLATION_UNCOMMITTED)).bytes), ['a'])
  await until('the fence is logged', () => ctx.log.find('fenced').length > 0, 5000)
  assert.is(ctx.log.find('fenced', 'warn').length, 1)
})

roles('a short hang blocks the worker, which then answers what was sent meanwhile', async (ctx) => {
  const id = await open(ctx)
  await ctx.link.hang(300)
  const started = performance.now()
  const answer = await ctx.link.append(id, 0, batch('late'))
  assert.is(answer.status, LogStatus.Ok)
  assert.ok(performance.now() - started > 100, 'the append was answered while the worker was blocked')
  assert.ok(ctx.log.find('hang fault', 'warn').length === 1)
})

roles('a hung worker is still ended promptly by terminate; its requests in flight are answered WorkerFault', async (ctx) => {
  const id = await open(ctx)
  await ctx.link.hang(60_000)
  const pending = ctx.link.append(id, 0, batch('never'))
  const started = performance.now()
  await ctx.link.kill()
  const took = performance.now() - started
  assert.ok(took < 2000, `terminate took ${took.toFixed(0)} ms`)
  assert.is((await pending).status, LogStatus.WorkerFault)
  assert.is(ctx.exits, 1)
})

roles('failDataDir fails the replicas under that dir only, with StorageError, logged once', async (ctx) => {
  const failing = join(ctx.dir, 'disk-a')
  const healthy = join(ctx.dir, 'disk-b')
  const onFailing = await open(ctx, { dataDir: failing })
  const onHealthy = await open(ctx, { dataDir: healthy, replica: 1, replicas: 1 })
  assert.is((await ctx.link.append(onFailing, 0, batch('a'))).status, LogStatus.Ok)

  await ctx.link.failDataDir(failing)
  assert.is((await ctx.link.append(onFailing, 0, batch('b'))).status, LogStatus.StorageError)
  assert.is((await ctx.link.fetch(onFailing, 0, MAX_BYTES, ISOLATION_UNCOMMITTED)).status, LogStatus.StorageError)
  assert.is((await ctx.link.listOffset(onFailing, -1)).status, LogStatus.StorageError)
  assert.is((await ctx.link.append(onHealthy, 0, batch('c'))).status, LogStatus.Ok)
  assert.equal(valuesOf((await ctx.link.fetch(onHealthy, 0, MAX_BYTES, ISOLATION_UNCOMMITTED)).bytes), ['c'])

  // A replica opened there later fails to open rather than writing to the dead disk.
  try {
    await open(ctx, { dataDir: failing })
    assert.unreachable('a replica on a failed dir must not open')
  } catch (err) {
    assert.match((err as Error).message, /failed data dir/)
  }
  await ctx.link.failDataDir(failing)
  await until('the failure is logged', () => ctx.log.find('data dir failed').length > 0, 5000)
  const lines = ctx.log.find('data dir failed', 'error')
  assert.is(lines.length, 1)
  assert.is(lines[0].fields.dir, failing)
  assert.is((lines[0].fields.replicas as string[]).length, 1)
})

roles.run()
