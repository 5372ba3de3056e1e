/**
 * The faults a replicated broker survives, with real clients: RF 3 over 3 workers and 3 data
 * dirs, min ISR 2. A leader's worker hung past replica.lag.time.max.ms loses its leaderships
 * within about the lag time, is fenced (a zombie's late append is refused and acknowledges
 * nothing), restarted, and its replicas rejoin the ISR; a failed data dir takes its replicas
 * offline, leaders move and produce goes on.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import type { PartitionState } from '../../src/dispatcher/topic-table.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { LogStatus } from '../../src/log/errors.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { kafkaCodeOf } from '../../src/server/status.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { consumeAll, kafkaOf as kafkaFor } from '../helpers/kafkajs-replicated.js'

const LAG_MS = 1000

/** Every replica online, in sync and at the leader's log end offset. */
function healed (p: PartitionState): boolean {
  const r = p.replication!
  const leader = r.leader
  return leader !== null && r.replicas.every((x) => x.online && x.inSync && x.logEndOffset === leader.logEndOffset) && r.highWatermark === leader.logEndOffset
}

function batch (value: string): Buffer {
  const b = new BatchBuilder()
  b.append(Date.now(), null, Buffer.from(value))
  return b.build()
}

function kafkaOf (broker: Broker): ReturnType<typeof kafkaFor> {
  return kafkaFor(broker, 'millrace-replication-faults', 30)
}

/** A kafkajs idempotent acks=all producer sending one record at a time until stopped; `acked` holds what was acknowledged. */
function produceLoop (broker: Broker, topic: string): { acked: string[], stop: () => Promise<void> } {
  const producer = kafkaOf(broker).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  const acked: string[] = []
  let stopping = false
  const running = (async () => {
    await producer.connect()
    for (let i = 0; !stopping; i++) {
      await producer.send({ topic, acks: -1, messages: [{ value: `v${i}` }] })
      acked.push(`v${i}`)
    }
  })()
  return {
    acked,
    stop: async () => {
      stopping = true
      try { await running } finally { await producer.disconnect() }
    }
  }
}

interface Ctx { root: string, dataDirs: string[], capture: CaptureLogger, broker: Broker }
const faults = suite<Ctx>('replication faults (RF 3, 3 workers, 3 data dirs, min ISR 2)')
faults.before.each(async (ctx) => {
  ctx.root = tmpDir()
  ctx.dataDirs = [1, 2, 3].map((i) => join(ctx.root, `disk${i}`))
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDirs: ctx.dataDirs, port: 0, workers: 3, replicaLagTimeMaxMs: LAG_MS, logger: ctx.capture.logger })
})
faults.after.each(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.root)
})

async function replicatedTopic (broker: Broker, what: string): Promise<{ topic: string, p: PartitionState }> {
  const topic = uniqueTopic(what)
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
  const p = broker.dispatcher.partition(topic, 0)!
  await until('replicas in sync', () => healed(p))
  return { topic, p }
}

faults('the leader\'s worker hung for 3 s under a kafkajs idempotent acks=all loop: leadership moves within the lag time + 1 s, every acknowledged value once, the worker rejoins', async ({ broker, capture }) => {
  const { topic, p } = await replicatedTopic(broker, 'hang-leader')
  const loop = produceLoop(broker, topic)
  try {
    await until('records acknowledged', () => loop.acked.length >= 20)
    const oldLeader = p.replication!.leader!
    const epochBefore = p.replication!.leaderEpoch
    const hungAt = performance.now()
    await broker.faults.hangWorker(oldLeader.worker, 3000)
    await until('a new leader', () => p.replication!.leader !== null && p.replication!.leader !== oldLeader, 5000)
    const movedAfter = performance.now() - hungAt
    assert.ok(movedAfter <= LAG_MS + 1000, `leadership moved ${Math.round(movedAfter)} ms after the hang began`)
    assert.ok(p.replication!.leaderEpoch > epochBefore)
    const hung = capture.find('partition worker hung', 'error')
    assert.is(hung.length, 1)
    assert.is(hung[0].fields.worker, oldLeader.worker)
    assert.ok((hung[0].fields.partitions as string[]).includes(`${topic}-0${oldLeader.index === 0 ? '' : `~${oldLeader.index}`}`))
    const acked = loop.acked.length
    await until('produce resumed', () => loop.acked.length >= acked + 20, 5000)
    await until('the hung worker restarted and its replica back in the ISR', () => healed(p) && oldLeader.online && oldLeader.inSync, 15_000)
  } finally {
    await loop.stop()
  }
  const values = await consumeAll(broker, topic, loop.acked.length)
  for (const v of loop.acked) assert.is(values.filter((x) => x === v).length, 1, `${v} read back exactly once`)
})

faults('a zombie leader: after the election its late append is refused and nothing it was asked is acknowledged', async ({ broker }) => {
  const { topic, p } = await replicatedTopic(broker, 'zombie')
  assert.is((await broker.dispatcher.router.append(p, batch('kept'), -1)).status, LogStatus.Ok)
  const oldLeader = p.replication!.leader!
  const zombie = broker.dispatcher.workers.link(oldLeader.worker)
  await broker.faults.hangWorker(oldLeader.worker, 2500)
  // Reaches the stuck leader's ring: it must not be acknowledged.
  const caught = broker.dispatcher.router.append(p, batch('caught'), -1)
  await until('a new leader', () => p.replication!.leader !== null && p.replication!.leader !== oldLeader, 5000)
  assert.ok(zombie.fenced, 'fenced before the election')
  assert.is(kafkaCodeOf((await caught).status), KafkaCode.NOT_LEADER_OR_FOLLOWER)
  const late = await zombie.append(p.id, p.replication!.leaderEpoch - 1, batch('late'))
  assert.is(kafkaCodeOf(late.status), KafkaCode.NOT_LEADER_OR_FOLLOWER, 'the fenced worker\'s append is refused')
  assert.is((await broker.dispatcher.router.append(p, batch('after'), -1)).status, LogStatus.Ok)
  await until('healed', () => healed(p) && oldLeader.inSync, 15_000)
  assert.equal(await consumeAll(broker, topic, 2), ['kept', 'after'])
})

faults('a failed data dir: its replicas offline, leaders moved, produce goes on, KAFKA_STORAGE_ERROR logged and answered', async ({ broker, capture, dataDirs }) => {
  const { topic, p } = await replicatedTopic(broker, 'disk')
  const loop = produceLoop(broker, topic)
  let failedDir = ''
  try {
    await until('records acknowledged', () => loop.acked.length >= 10)
    const oldLeader = p.replication!.leader!
    failedDir = oldLeader.dataDir!
    await broker.faults.failDataDir(failedDir)
    assert.is(oldLeader.online, false, 'offline once failDataDir resolves')
    await until('a new leader', () => p.replication!.leader !== null && p.replication!.leader !== oldLeader, 5000)
    assert.is.not(p.replication!.leader!.dataDir, failedDir)
    const acked = loop.acked.length
    await until('produce goes on', () => loop.acked.length >= acked + 20, 5000)
    // A request that reaches the replica in the failed dir is refused with KAFKA_STORAGE_ERROR.
    const stale = await broker.dispatcher.workers.link(oldLeader.worker).append(p.id, p.replication!.leaderEpoch, batch('stale'))
    assert.is(kafkaCodeOf(stale.status), KafkaCode.KAFKA_STORAGE_ERROR)
    const lines = capture.find('data dir offline', 'error')
    assert.is(lines.length, 1)
    assert.is(lines[0].fields.dataDir, failedDir)
    assert.is(lines[0].fields.errorCode, 'KAFKA_STORAGE_ERROR')
    // Its replica stays offline, even across its worker's restart.
    await broker.faults.killWorker(oldLeader.worker)
    await until('the worker restarted', () => capture.find('partition worker restarted', 'info').length > 0)
    assert.is(oldLeader.online, false)
    assert.equal(p.replication!.replicas.filter((r) => r.online).map((r) => r.dataDir).sort(), dataDirs.filter((d) => d !== failedDir).sort())
  } finally {
    await loop.stop()
  }
  assert.equal((await broker.describeTopic(topic)).partitions[0].online, true)
  const values = await consumeAll(broker, topic, loop.acked.length)
  for (const v of loop.acked) assert.is(values.filter((x) => x === v).length, 1, `${v} read back exactly once`)
})

faults.run()
