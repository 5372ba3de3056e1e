/**
 * Replication inside one broker with real clients: RF 3 over 3 workers and 3 data dirs,
 * acks=all committed on every replica, byte-identical replicas, NOT_ENOUGH_REPLICAS when the
 * ISR is too small, failover when the leader's worker dies, and a full restart.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { Broker } from '../../src/broker.js'
import type { PartitionState } from '../../src/dispatcher/topic-table.js'
import { replicaDirName } from '../../src/partition/partition-spec.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'

const { Kafka, logLevel } = kafkajs

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

function kafkaOf (broker: Broker): InstanceType<typeof Kafka> {
  return new Kafka({ clientId: 'millrace-replication-test', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 20, maxRetryTime: 200 } })
}

async function consumeAll (broker: Broker, topic: string, count: number): Promise<string[]> {
  const consumer = kafkaOf(broker).consumer({ groupId: uniqueTopic('replication-group') })
  const seen: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
    await until(`${count} records consumed`, () => seen.length >= count, 20_000)
  } finally {
    await consumer.disconnect()
  }
  return seen
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
    assert.ok(capture.find('fewer in-sync replicas than min.insync.replicas', 'warn').length >= 1)
    await until('followers back in the ISR', () => healed(p))
    await producer.send({ topic, acks: -1, messages: [{ value: 'after' }] })
  } finally {
    await producer.disconnect()
  }
  assert.equal(await consumeAll(broker, topic, 2), ['before', 'after'])
})

replication.run()
