/**
 * A broker whose coordinator files were damaged or lost while it was down: a flipped byte in
 * `__consumer_offsets-0` (after a clean stop, and after the coordinator died without closing),
 * and a lost or damaged producer id block file. Groups and idempotent producers (the library's,
 * kcat's, kafkajs') keep working, nothing acknowledged is lost, and the log says what happened.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { COORDINATOR_DIR, PRODUCER_ID_FILE } from '../../src/coordinator/producer-ids.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { LogStatus } from '../../src/log/errors.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { damageCoordinatorBatchOf } from '../helpers/damage.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js'
import type { OffsetCommitResponse } from '../../src/protocol/apis/offset-commit.js'
import type { OffsetFetchResponse } from '../../src/protocol/apis/offset-fetch.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import { kcat, WireClient } from './kafka-wire.js'
import { storedBatches } from '../helpers/collect.js'

interface Ctx { dir: string, broker: Broker | null, logger: CaptureLogger }
const damage = suite<Ctx>('coordinator files damaged or lost')

damage.before.each((ctx) => {
  ctx.dir = tmpDir('millrace-coord-damage-')
  ctx.broker = null
  ctx.logger = new CaptureLogger()
})
damage.after.each(async (ctx) => {
  await ctx.broker?.close()
  removeDir(ctx.dir)
})

async function start (ctx: Ctx): Promise<Broker> {
  await ctx.broker?.close()
  ctx.logger = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, advertisedHost: '127.0.0.1', logger: ctx.logger.logger })
  return ctx.broker
}


async function sendOne (broker: Broker, topic: string, value: string): Promise<void> {
  const producer = broker.producer({ idempotent: true })
  await producer.send({ topic, messages: [{ value }] })
  await producer.close()
}

/** Resolves once a line containing `text` was logged (lines from the coordinator thread arrive by message). */
async function logged (ctx: Ctx, text: string): Promise<CaptureLogger['lines']> {
  const deadline = Date.now() + 10_000
  while (ctx.logger.find(text).length === 0) {
    if (Date.now() > deadline) assert.unreachable(`no log line with "${text}"`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return ctx.logger.find(text)
}

/** An idempotent producer's id far above the allocator's first block: only the partition's producer state knows it. */
const HIGH_PRODUCER_ID = 7654

/** Appends one record as producer HIGH_PRODUCER_ID (as if its id came from a block file since lost). */
async function appendAsHighProducer (broker: Broker, topic: string): Promise<void> {
  const builder = new BatchBuilder({ producerId: HIGH_PRODUCER_ID, producerEpoch: 0, baseSequence: 0 })
  builder.append(Date.now(), null, Buffer.from('high'))
  const answer = await broker.dispatcher.append(broker.dispatcher.partition(topic, 0)!, builder.build())
  assert.is(answer.status, LogStatus.Ok)
}

/**
 * Records from two idempotent producers (one with a high id), then the block file goes
 * (`damageFile`), then a new library producer, kcat and kafkajs each send one record: each
 * must be stored, under an id no producer had before, found in the partition's producer state.
 */
async function newProducersAfter (ctx: Ctx, damageFile: (file: string) => void): Promise<void> {
  let broker = await start(ctx)
  const topic = uniqueTopic('pid-lost')
  await broker.createTopic({ topic, partitions: 1 })
  await sendOne(broker, topic, 'before')
  await appendAsHighProducer(broker, topic)
  await broker.close()
  damageFile(join(ctx.dir, COORDINATOR_DIR, PRODUCER_ID_FILE))

  broker = await start(ctx)
  await sendOne(broker, topic, 'library')
  await kcat(['-b', `127.0.0.1:${broker.port!}`, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'acks=all'], 'kcat\n')
  const kafka = new Kafka({ clientId: 'pid-lost', brokers: [`127.0.0.1:${broker.port!}`], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: 'kafkajs' }] })
  } finally {
    await producer.disconnect()
  }
  const batches = await storedBatches(broker, topic)
  assert.equal(batches.flatMap((b) => b.records.map((r) => r.value!.toString())), ['before', 'high', 'library', 'kcat', 'kafkajs'], 'every first record is stored')
  const ids = batches.map((b) => b.producerId)
  assert.is(ids[1], HIGH_PRODUCER_ID)
  assert.is(new Set(ids).size, 5, `five producers, five ids: ${ids.join(', ')}`)
  for (const id of ids.slice(2)) assert.ok(id > HIGH_PRODUCER_ID, `id ${id} is above every id in the log (${HIGH_PRODUCER_ID})`)
}

damage('a lost producer id block file: new idempotent producers get unused ids and their first records are stored', async (ctx) => {
  await newProducersAfter(ctx, (file) => { rmSync(file) })
  const [line] = await logged(ctx, 'producer id block file is missing')
  assert.is(line.level, 'warn')
  assert.is(line.fields.subsystem, 'coordinator')
})

damage('a damaged producer id block file: logged, and the same holds (nothing blocks)', async (ctx) => {
  await newProducersAfter(ctx, (file) => { writeFileSync(file, '1\n1000\nbadc0de\n') })
  const [line] = await logged(ctx, 'producer id block file is damaged')
  assert.is(line.level, 'error')
})

const GROUPS = ['cg-0', 'cg-1', 'cg-2', 'cg-3']
const DAMAGED = 'cg-1'

/** Commits `offset` for `groupId` (a standalone commit, one batch in the coordinator log). */
async function commit (broker: Broker, topic: string, groupId: string, offset: number): Promise<number> {
  const coordinator = await broker.dispatcher.coordinator()
  const res = await coordinator.commitOffsets({
    groupId, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: topic, partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: null }] }]
  })
  return res.topics[0].partitions[0].errorCode
}

async function committed (broker: Broker, groupId: string): Promise<number | undefined> {
  const coordinator = await broker.dispatcher.coordinator()
  const res = await coordinator.fetchOffsets({ groups: [{ groupId, topics: null }], requireStable: false })
  return res.groups[0].topics[0]?.partitions[0]?.offset
}

/** Commits for every group, then a later commit for the first; `stop` ends the first run. */
async function commitThenDamage (ctx: Ctx, stop: (broker: Broker) => Promise<void>): Promise<{ broker: Broker, topic: string }> {
  let broker = await start(ctx)
  const topic = uniqueTopic('coord-damage')
  await broker.createTopic({ topic, partitions: 1 })
  for (const [i, g] of GROUPS.entries()) assert.is(await commit(broker, topic, g, 10 + i), 0)
  assert.is(await commit(broker, topic, GROUPS[0], 50), 0)
  await stop(broker)
  await broker.close()
  damageCoordinatorBatchOf(ctx.dir, DAMAGED)
  broker = await start(ctx)
  return { broker, topic }
}

async function assertCoordinatorWorks (ctx: Ctx, broker: Broker, topic: string): Promise<void> {
  assert.is(await committed(broker, GROUPS[0]), 50)
  assert.is(await committed(broker, GROUPS[2]), 12)
  assert.is(await committed(broker, GROUPS[3]), 13)
  assert.is(await committed(broker, DAMAGED), undefined, 'the damaged commit is not served')
  const listed = await (await broker.dispatcher.coordinator()).listGroups({ states: null, types: null })
  assert.equal(listed.groups.map((g) => g.groupId).sort(), [GROUPS[0], GROUPS[2], GROUPS[3]], 'no group under a garbled name')
  assert.is(await commit(broker, topic, 'cg-new', 7), 0, 'a new group commits')
  assert.is(await committed(broker, 'cg-new'), 7)
  await sendOne(broker, topic, 'idempotent')
  assert.equal((await storedBatches(broker, topic)).map((b) => b.records[0].value!.toString()), ['idempotent'], 'InitProducerId works')
  const [line] = await logged(ctx, 'cut out a damaged batch')
  assert.is(line.level, 'error')
  assert.is(line.fields.subsystem, 'coordinator')
  assert.is(line.fields.segment, '00000000000000000000.log')
}

damage('a flipped byte in __consumer_offsets-0 after a clean stop: every other group loads, groups and InitProducerId work', async (ctx) => {
  const { broker, topic } = await commitThenDamage(ctx, async () => {})
  await assertCoordinatorWorks(ctx, broker, topic)
})

damage('the same after the coordinator died without closing its log: no commit after the damage is lost', async (ctx) => {
  const { broker, topic } = await commitThenDamage(ctx, async (b) => { await (await b.dispatcher.coordinator()).kill() })
  await assertCoordinatorWorks(ctx, broker, topic)
})

damage.run()

// ---

const MAIN_JS = new URL('../../src/cli/main.js', import.meta.url).pathname

interface Child { process: ChildProcess, port: number, stderr: () => string }

async function startChild (dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [MAIN_JS, 'start', '--port', '0', '--http-port', '0', '--data', dataDir, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on \S+:(\d+)/.exec(line)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`broker exited with ${String(code)} before it was ready: ${stderr}`)))
  })
  return { process: child, port, stderr: () => stderr }
}

async function kill (child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return
  const exited = new Promise((resolve) => child.process.once('exit', resolve))
  child.process.kill('SIGKILL')
  await exited
}

async function wireCommit (wire: WireClient, topic: string, groupId: string, offset: number): Promise<number> {
  const res = await wire.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }]
  })
  return res.topics[0].partitions[0].errorCode
}

async function wireCommitted (wire: WireClient, groupId: string): Promise<number> {
  const res = await wire.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: null }], requireStable: false })
  return res.groups![0].topics[0]?.partitions[0]?.committedOffset ?? -1
}

const sigkill = suite('coordinator log damaged after a SIGKILL of millrace start')

sigkill('no commit after the damage is lost; groups and InitProducerId work; the damage is logged', async () => {
  const dir = tmpDir('millrace-coord-sigkill-')
  const topic = uniqueTopic('coord-sigkill')
  let child: Child | null = null
  let wire: WireClient | null = null
  try {
    child = await startChild(dir)
    wire = await WireClient.connect(child.port)
    const created = await wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      timeoutMs: 5000, validateOnly: false, topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }]
    })
    assert.is(created.topics[0].errorCode, KafkaCode.NONE)
    for (const [i, g] of GROUPS.entries()) assert.is(await wireCommit(wire, topic, g, 10 + i), KafkaCode.NONE)
    assert.is(await wireCommit(wire, topic, GROUPS[0], 50), KafkaCode.NONE)
    wire.close()
    await kill(child)
    damageCoordinatorBatchOf(dir, DAMAGED)

    child = await startChild(dir)
    wire = await WireClient.connect(child.port)
    assert.equal(await Promise.all(GROUPS.map(async (g) => await wireCommitted(wire!, g))), [50, -1, 12, 13])
    assert.is(await wireCommit(wire, topic, 'cg-new', 7), KafkaCode.NONE)
    assert.is(await wireCommitted(wire, 'cg-new'), 7)
    const pid = await wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    assert.is(pid.errorCode, KafkaCode.NONE)
    assert.ok(pid.producerId >= 0)
    const line = child.stderr().split('\n').find((l) => l.includes('cut out a damaged batch'))
    assert.ok(line !== undefined, `the damage is logged: ${child.stderr()}`)
    assert.is(JSON.parse(line).segment, '00000000000000000000.log')
  } finally {
    wire?.close()
    if (child !== null) await kill(child)
    removeDir(dir)
  }
})

sigkill.run()
