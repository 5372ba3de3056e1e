/**
 * Replication inside one broker with real clients: RF 3 over 3 workers and 3 data dirs,
 * acks=all committed on every replica, byte-identical replicas, NOT_ENOUGH_REPLICAS when the
 * ISR is too small, failover when the leader's worker dies, and a full restart.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import { MillraceError } from '../../src/errors.js'
import type { PartitionState } from '../../src/dispatcher/topic-table.js'
import { replicaDirName } from '../../src/partition/partition-spec.js'
import { underReplicated } from '../../src/replication/replica-view.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { millrace } from '../helpers/cli.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { consumeAll, kafkaOf as kafkaFor } from '../helpers/kafkajs-replicated.js'


async function until (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Every replica online, in sync and at the leader's log end offset. */
function healed (p: PartitionState): boolean {
  const r = p.replication!
  const leader = r.leader
  return leader !== null && r.replicas.every((x) => x.online && x.inSync && x.logEndOffset === leader.logEndOffset) && r.highWatermark === leader.logEndOffset
}

/** The bytes of every segment file of one replica directory, by file name. */
function segments (dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => n.endsWith('.log')).map((n) => [n, readFileSync(join(dir, n))]))
}

/** What kafkajs's errors carry: the Kafka code, on the error or on the cause it wraps. */
interface KafkaJsError { message: string, code?: number, cause?: { code?: number } }

interface Ctx { root: string, dataDirs: string[], capture: CaptureLogger, broker: Broker }
const replication = suite<Ctx>('replication (RF 3, 3 workers, 3 data dirs)')
replication.before.each(async (ctx) => {
  ctx.root = tmpDir()
  ctx.dataDirs = [1, 2, 3].map((i) => join(ctx.root, `disk${i}`))
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDirs: ctx.dataDirs, port: 0, workers: 3, logger: ctx.capture.logger })
})
replication.after.each(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.root)
})

function kafkaOf (broker: Broker): ReturnType<typeof kafkaFor> {
  return kafkaFor(broker, 'millrace-replication-test', 20)
}

replication('acks=all over kafkajs: every record read back, three replicas on three workers and three dirs, byte-identical', async ({ broker, dataDirs }) => {
  const topic = uniqueTopic('repl-basic')
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
  const p = broker.dispatcher.partition(topic, 0)!
  const replicas = p.replication!.replicas
  assert.equal(new Set(replicas.map((r) => r.worker)).size, 3)
  assert.equal(new Set(replicas.map((r) => r.dataDir)).size, 3)
  const producer = kafkaOf(broker).producer({ idempotent: true })
  await producer.connect()
  const values = Array.from({ length: 300 }, (_, i) => `value-${i}`)
  try {
    for (let i = 0; i < values.length; i += 30) {
      await producer.send({ topic, acks: -1, messages: values.slice(i, i + 30).map((value) => ({ value })) })
    }
  } finally {
    await producer.disconnect()
  }
  assert.is(p.highWatermark, 300)
  assert.equal(await consumeAll(broker, topic, 300), values)
  await until('replicas caught up', () => healed(p))
  const copies = replicas.map((r) => segments(join(r.dataDir!, replicaDirName(topic, 0, r.index))))
  assert.ok(copies[0].size > 0)
  for (const copy of copies.slice(1)) {
    assert.equal([...copy.keys()], [...copies[0].keys()])
    for (const [name, bytes] of copy) assert.ok(bytes.equals(copies[0].get(name)!), `segment ${name} differs`)
  }
})

replication('min.insync.replicas 2 with both followers\' workers killed: NOT_ENOUGH_REPLICAS to kafkajs, nothing appended, and a log line', async ({ broker, capture }) => {
  const topic = uniqueTopic('repl-min-isr')
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
  const p = broker.dispatcher.partition(topic, 0)!
  await until('replicas in sync', () => healed(p))
  const producer = kafkaOf(broker).producer({ retry: { retries: 0 } })
  await producer.connect()
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: 'before' }] })
    const leader = p.replication!.leader!
    // Keep the followers' workers down long enough to see the refusal: they come back after their restart.
    const followers = p.replication!.replicas.filter((r) => r !== leader)
    await Promise.all(followers.map(async (r) => { await broker.dispatcher.workers.link(r.worker).kill() }))
    assert.is(p.replication!.inSyncReplicas.length, 1)
    const endBefore = p.replication!.leader!.logEndOffset
    const refusal = await producer.send({ topic, acks: -1, messages: [{ value: 'refused' }] }).then(() => null, (err: unknown) => err as KafkaJsError)
    assert.ok(refusal !== null, 'the send should have been refused')
    assert.is(refusal.code ?? refusal.cause?.code, KafkaCode.NOT_ENOUGH_REPLICAS, String(refusal.message))
    assert.is(p.replication!.leader!.logEndOffset, endBefore)
    assert.ok(underReplicated(p), 'counted as under-replicated')
    const down = (await broker.describeTopic(topic)).partitions[0]
    assert.equal(down.isr, [leader.index])
    assert.equal(down.replicas.filter((r) => !r.online).map((r) => r.replica).sort(), followers.map((r) => r.index).sort())
    assert.ok(capture.find('fewer in-sync replicas than min.insync.replicas', 'warn').length >= 1)
    await until('followers back in the ISR', () => healed(p))
    await producer.send({ topic, acks: -1, messages: [{ value: 'after' }] })
  } finally {
    await producer.disconnect()
  }
  assert.equal(await consumeAll(broker, topic, 2), ['before', 'after'])
})

replication('the leader\'s worker dies during an idempotent acks=all kafkajs produce loop: every acknowledged value read back once, a new leader epoch, the ISR heals to 3', async ({ broker, capture }) => {
  const topic = uniqueTopic('repl-failover')
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
  const p = broker.dispatcher.partition(topic, 0)!
  await until('replicas in sync', () => healed(p))
  const firstLeader = p.replication!.leader!
  const producer = kafkaOf(broker).producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const acked: string[] = []
  let killedAt = -1
  let firstAckAfterKill = -1
  try {
    for (let i = 0; i < 200; i++) {
      if (i === 80) {
        killedAt = performance.now()
        await broker.dispatcher.crashWorkerOf(p)
      }
      await producer.send({ topic, acks: -1, messages: [{ value: `v${i}` }] })
      if (killedAt >= 0 && firstAckAfterKill < 0) firstAckAfterKill = performance.now()
      acked.push(`v${i}`)
    }
  } finally {
    await producer.disconnect()
  }
  assert.is(acked.length, 200)
  assert.ok(p.replication!.leader !== firstLeader, 'another replica leads')
  assert.ok(p.leaderEpoch >= 1)
  assert.is(capture.find('new partition leader elected from the in-sync replicas', 'warn').length, 1)
  await until('ISR back to 3', () => healed(p))
  const seen = await consumeAll(broker, topic, 200)
  assert.equal(seen, acked, 'each acknowledged value once, in order')
  const described = await broker.describeTopic(topic)
  assert.is(described.partitions[0].leaderEpoch, p.leaderEpoch)
  assert.equal(described.partitions[0].isr, [0, 1, 2])
  const cli = await millrace(['topics', 'describe', topic, '-b', broker.address!])
  assert.is(cli.code, 0, cli.stderr)
  assert.match(cli.stdout, `\tLeaderEpoch: ${p.leaderEpoch}`)
  assert.ok(firstAckAfterKill - killedAt < 2000, `produce resumed ${Math.round(firstAckAfterKill - killedAt)} ms after the kill`)
})

replication('a full restart keeps every record, elects the longest latest-epoch replica in a later epoch, and the followers are in sync', async ({ broker, dataDirs, capture }) => {
  const topic = uniqueTopic('repl-restart')
  await broker.createTopic({ topic, partitions: 2, replicationFactor: 3 })
  const producer = kafkaOf(broker).producer({ idempotent: true })
  await producer.connect()
  const values = Array.from({ length: 100 }, (_, i) => `r${i}`)
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ value, partition: i % 2 })) })
  } finally {
    await producer.disconnect()
  }
  const epochBefore = broker.dispatcher.partition(topic, 0)!.leaderEpoch
  await broker.close()
  const restarted = await Broker.start({ dataDirs, port: 0, workers: 3, logger: capture.logger })
  try {
    for (const partition of [0, 1]) {
      const p = restarted.dispatcher.partition(topic, partition)!
      assert.ok(p.leaderEpoch > epochBefore, `partition ${partition} epoch ${p.leaderEpoch}`)
      assert.is(p.replication!.replicas.length, 3)
      await until('followers in sync', () => healed(p))
      assert.is(p.highWatermark, 50)
    }
    const seen = await consumeAll(restarted, topic, 100)
    assert.equal([...seen].sort(), [...values].sort())
  } finally {
    await restarted.close()
  }
})

replication('DeleteRecords reaches the followers: after a failover the deleted records stay deleted; deleting the topic removes every replica directory', async ({ broker, dataDirs }) => {
  const topic = uniqueTopic('repl-delete')
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const p = broker.dispatcher.partition(topic, 0)!
  const producer = broker.producer()
  try {
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `d${i}` })) })
  } finally {
    await producer.close()
  }
  await until('replicas in sync', () => healed(p))
  const deleted = await broker.dispatcher.deleteRecords(p, 5)
  assert.is(deleted.logStartOffset, 5)
  for (const r of p.replication!.replicas) {
    const offsets = await broker.dispatcher.workers.link(r.worker).call((c) => c.describe(p.id))
    assert.is(offsets?.logStartOffset, 5, `replica ${r.index}`)
  }
  await broker.dispatcher.crashWorkerOf(p)
  await until('a new leader', () => p.replication!.leader !== null && p.leaderEpoch === 1)
  assert.is((await broker.describeTopic(topic)).partitions[0].logStartOffset, 5n)
  await until('ISR back to 3', () => healed(p))
  await broker.deleteTopic(topic)
  for (const dir of dataDirs) assert.equal(readdirSync(dir).filter((n) => n.startsWith(`${topic}-`) && !n.endsWith('-delete')), [], dir)
})

replication('a replica directory lost with its disk is created again empty at restart and copies everything back', async ({ broker, dataDirs, capture }) => {
  const topic = uniqueTopic('repl-lost-dir')
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const producer = broker.producer({ acks: -1 })
  try {
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `l${i}` })) })
  } finally {
    await producer.close()
  }
  const lost = broker.dispatcher.partition(topic, 0)!.replication!.replicas[2]
  const lostDir = join(lost.dataDir!, replicaDirName(topic, 0, 2))
  await broker.close()
  rmSync(lostDir, { recursive: true })
  const restarted = await Broker.start({ dataDirs, port: 0, workers: 3, logger: capture.logger })
  try {
    const p = restarted.dispatcher.partition(topic, 0)!
    await until('the lost replica caught up', () => healed(p))
    assert.is(p.replication!.replicas[2].logEndOffset, 20)
    assert.ok(existsSync(lostDir), 'created again where it was')
    assert.is(capture.find('replica directory missing at start: created empty', 'warn').length, 1)
    assert.is(p.highWatermark, 20)
  } finally {
    await restarted.close()
  }
})

replication('a compacted topic: every replica compacts its own log, to the same records', async ({ broker }) => {
  const topic = uniqueTopic('repl-compact')
  await broker.createTopic({ topic, partitions: 1, replicationFactor: 3, config: { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' } })
  const p = broker.dispatcher.partition(topic, 0)!
  const producer = broker.producer()
  try {
    for (let round = 0; round < 5; round++) await producer.send({ topic, messages: Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: `v${k}-${round}` })) })
    // Larger than segment.bytes: the log rolls, and everything before is in closed segments.
    await producer.send({ topic, messages: [{ key: 'filler', value: 'x'.repeat(2048) }] })
  } finally {
    await producer.close()
  }
  await until('replicas in sync', () => healed(p))
  const report = await broker.dispatcher.cleanNow()
  const cleaned = report.results.filter((r) => r.records === 50)
  assert.is(cleaned.length, 3, JSON.stringify(report))
  for (const r of cleaned) assert.is(r.keptRecords, 10)
})

replication('one replica: a restart goes on in a later leader epoch than the log holds, never back to 0', async ({ broker, dataDirs }) => {
  const topic = uniqueTopic('repl-rf1-epoch')
  await broker.createTopic({ topic, partitions: 1 })
  const send = async (b: Broker, value: string): Promise<void> => {
    const producer = b.producer()
    try { await producer.send({ topic, messages: [{ value }] }) } finally { await producer.close() }
  }
  await send(broker, 'in epoch 0')
  assert.is(broker.dispatcher.partition(topic, 0)!.replication, null, 'one replica stays on the single-copy path')
  await broker.close()
  let restarted = await Broker.start({ dataDirs, port: 0, workers: 3 })
  try {
    assert.is((await restarted.describeTopic(topic)).partitions[0].leaderEpoch, 1)
    await send(restarted, 'in epoch 1')
  } finally {
    await restarted.close()
  }
  restarted = await Broker.start({ dataDirs, port: 0, workers: 3 })
  try {
    const described = (await restarted.describeTopic(topic)).partitions[0]
    assert.is(described.leaderEpoch, 2)
    assert.equal(described.isr, [0])
    assert.is(described.replicas.length, 1)
    assert.is(described.logEndOffset, 2n)
  } finally {
    await restarted.close()
  }
})

replication('library producer in memory: acks=-1 under min.insync.replicas is refused with NOT_ENOUGH_REPLICAS and nothing is appended; acks=1 appends', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 2 })
  try {
    const topic = uniqueTopic('repl-library')
    // Above the replication factor is allowed, as in Kafka: acks=all then always fails.
    await broker.createTopic({ topic, partitions: 1, replicationFactor: 2, config: { 'min.insync.replicas': '3' } })
    const p = broker.dispatcher.partition(topic, 0)!
    const all = broker.producer({ acks: -1, retries: 0 })
    const one = broker.producer({ acks: 1 })
    try {
      const refused = await all.send({ topic, messages: [{ value: 'refused' }] }).then(() => null, (err: unknown) => err as MillraceError)
      assert.ok(refused instanceof MillraceError, 'refused')
      assert.is(refused.kafkaCode, KafkaCode.NOT_ENOUGH_REPLICAS)
      assert.is(p.replication!.leader!.logEndOffset, 0)
      await one.send({ topic, messages: [{ value: 'kept' }] })
      await until('committed', () => p.highWatermark === 1)
    } finally {
      await all.close()
      await one.close()
    }
  } finally {
    await broker.close()
  }
})

replication.run()
