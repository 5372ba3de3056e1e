/**
 * Several data dirs (Kafka's log.dirs): new partitions are spread over them, a restart finds
 * each where it is, every dir is locked, the same replica in two dirs keeps its topic offline,
 * and replication factors the broker cannot host (more replicas than workers, below 1) are
 * refused honestly (INVALID_REPLICATION_FACTOR, logged): over CreateTopics (raw and kafkajs),
 * the CLI and in library mode.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { Broker } from '../../src/broker.js'
import { MillraceError } from '../../src/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { WireClient } from './kafka-wire.js'
import { millrace, startCli } from '../helpers/cli.js'

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs

async function rejection (promise: Promise<unknown>): Promise<MillraceError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof MillraceError, String(err))
    return err
  }
  assert.unreachable('should have been refused')
  throw new Error('unreachable')
}

/** Partition directories (not the lock, not the coordinator's) in a data dir. */
function partitionDirs (dataDir: string, topic: string): string[] {
  return readdirSync(dataDir).filter((n) => n.startsWith(`${topic}-`)).sort()
}

async function sendTo (broker: Broker, topic: string, partition: number, count: number): Promise<void> {
  const producer = broker.producer()
  try {
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition })) })
  } finally {
    await producer.close()
  }
}

interface Ctx { dir: string, first: string, second: string }
const dirs = suite<Ctx>('several data dirs')
dirs.before.each((ctx) => {
  ctx.dir = tmpDir()
  // The second does not exist yet: it is created, as a single data dir is.
  ctx.first = join(ctx.dir, 'disk1', 'data')
  ctx.second = join(ctx.dir, 'disk2', 'data')
})
dirs.after.each((ctx) => { removeDir(ctx.dir) })

dirs('partitions go round-robin over the dirs, and a restart finds each where it is, with its records', async ({ first, second }) => {
  const topic = uniqueTopic('spread')
  const other = uniqueTopic('single')
  let broker = await Broker.start({ dataDirs: [first, second], workers: 2 })
  try {
    assert.equal(broker.config.dataDirs, [first, second])
    await broker.createTopic({ topic, partitions: 4 })
    await broker.createTopic({ topic: other, partitions: 1 })
    for (let p = 0; p < 4; p++) await sendTo(broker, topic, p, p + 1)
    await sendTo(broker, other, 0, 7)
  } finally {
    await broker.close()
  }
  assert.equal(partitionDirs(first, topic), [`${topic}-0`, `${topic}-2`])
  assert.equal(partitionDirs(second, topic), [`${topic}-1`, `${topic}-3`])
  // Both dirs hold two partitions: the tie goes to the first.
  assert.equal(partitionDirs(first, other), [`${other}-0`])
  assert.ok(existsSync(join(first, '.lock')) && existsSync(join(second, '.lock')), 'each dir has its lock file')

  broker = await Broker.start({ dataDirs: [first, second], workers: 2 })
  try {
    const described = await broker.describeTopic(topic)
    assert.equal(described.partitions.map((p) => p.logEndOffset), [1n, 2n, 3n, 4n])
    assert.equal(broker.dispatcher.topic(topic)!.partitions.map((p) => p.dataDir), [first, second, first, second])
    assert.equal((await broker.describeTopic(other)).partitions.map((p) => p.logEndOffset), [7n])
    // Appends after the restart land in the partition's own dir.
    await sendTo(broker, topic, 1, 3)
    assert.equal((await broker.describeTopic(topic)).partitions[1].logEndOffset, 5n)
    // Deletion finds each partition in its own dir.
    await broker.deleteTopic(topic)
    assert.equal([...partitionDirs(first, topic), ...partitionDirs(second, topic)], [])
    assert.equal(partitionDirs(first, other), [`${other}-0`])
  } finally {
    await broker.close()
  }
})

dirs('every dir is locked: a second broker on any of them is refused, and a refused start holds none', async ({ dir, first, second }) => {
  const broker = await Broker.start({ dataDirs: [first, second], workers: 1 })
  const third = join(dir, 'disk3')
  try {
    const onSecond = await rejection(Broker.start({ dataDir: second, workers: 1 }))
    assert.is(onSecond.code, 'MR_ERR_DATA_DIR_LOCKED')
    assert.match(onSecond.message, `data dir ${second} is in use by another broker (pid ${process.pid}, this process`)
    const sharing = await rejection(Broker.start({ dataDirs: [third, second], workers: 1 }))
    assert.is(sharing.code, 'MR_ERR_DATA_DIR_LOCKED')
    assert.match(sharing.message, `data dir ${second} is in use`)
  } finally {
    await broker.close()
  }
  // The refused start released the third dir it had locked first.
  const again = await Broker.start({ dataDir: third, workers: 1 })
  await again.close()
})

dirs('the same replica in two dirs: that topic stays offline, logged with both copies; the others load', async ({ first, second }) => {
  const topic = uniqueTopic('twice')
  const healthy = uniqueTopic('healthy')
  const seed = await Broker.start({ dataDirs: [first, second], workers: 1 })
  try {
    await seed.createTopic({ topic, partitions: 2 })
    await seed.createTopic({ topic: healthy, partitions: 2 })
    await sendTo(seed, topic, 1, 2)
    await sendTo(seed, healthy, 1, 3)
  } finally {
    await seed.close()
  }
  // An operator copied partition 1 (in the second dir) into the first too.
  cpSync(join(second, `${topic}-1`), join(first, `${topic}-1`), { recursive: true })

  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDirs: [first, second], workers: 1, logger: capture.logger })
  try {
    assert.equal(broker.dispatcher.offlineTopics(), [topic])
    assert.equal(broker.listTopics(), [healthy])
    assert.equal((await broker.describeTopic(healthy)).partitions.map((p) => p.logEndOffset), [0n, 3n])
    for (const [copy, other] of [[join(first, `${topic}-1`), join(second, `${topic}-1`)], [join(second, `${topic}-1`), join(first, `${topic}-1`)]]) {
      const lines = capture.find(`partition directory ${copy} cannot be loaded`, 'error')
      assert.is(lines.length, 1, JSON.stringify(capture.lines))
      assert.match(String(lines[0].fields.problem), `replica 0 of partition 1 is also in ${other}`)
    }
    const refused = await rejection(broker.createTopic({ topic, partitions: 2 }))
    assert.is(refused.kafkaCode, KafkaCode.KAFKA_STORAGE_ERROR)
  } finally {
    await broker.close()
  }
})

dirs('replica directories are named <topic>-<partition>~<r>: a restart serves them as replicas, or keeps the topic offline when too few workers could host them', async ({ first, second }) => {
  const topic = uniqueTopic('replica')
  const seed = await Broker.start({ dataDirs: [first, second], workers: 1 })
  try {
    await seed.createTopic({ topic, partitions: 2 })
    await sendTo(seed, topic, 0, 4)
  } finally {
    await seed.close()
  }
  // Replica 1 of partition 0, as replication writes it: a copy in the other dir.
  cpSync(join(first, `${topic}-0`), join(second, `${topic}-0~1`), { recursive: true })
  const capture = new CaptureLogger()
  const cramped = await Broker.start({ dataDirs: [first, second], workers: 1, logger: capture.logger })
  try {
    assert.equal(cramped.dispatcher.offlineTopics(), [topic])
    assert.is(capture.find(`topic '${topic}' stays offline: it has 2 replicas but this broker runs 1 partition workers`, 'error').length, 1)
  } finally {
    await cramped.close()
  }
  const broker = await Broker.start({ dataDirs: [first, second], workers: 2 })
  try {
    assert.equal(broker.dispatcher.offlineTopics(), [])
    assert.equal((await broker.describeTopic(topic)).partitions.map((p) => p.logEndOffset), [4n, 0n])
    const p = broker.dispatcher.topic(topic)!.partitions[0]
    assert.equal(p.replication!.replicas.map((r) => [r.dataDir, r.inSync, r.logEndOffset]), [[first, true, 4], [second, true, 4]])
    assert.is(p.highWatermark, 4)
  } finally {
    await broker.close()
  }
  assert.ok(existsSync(join(second, `${topic}-0~1`)), 'the replica directory is kept')
})

dirs('millrace start --data DIR1,DIR2 locks both: a second start on the second dir exits naming it', async ({ first, second }) => {
  const holder = startCli(['--data', `${first},${second}`, '--port', '0', '--workers', '1'])
  try {
    const ready = await holder.ready
    assert.match(ready, `data in ${first}, ${second}`)
    const refused = startCli(['--data', second, '--port', '0', '--workers', '1'])
    const { code } = await refused.exit
    assert.is(code, 2, refused.output().stderr)
    assert.match(refused.output().stderr, `millrace: data dir ${second} is in use by another broker (pid ${holder.child.pid!}`)
  } finally {
    holder.child.kill('SIGTERM')
    assert.is((await holder.exit).code, 0)
  }
})

dirs.run()

// ---

interface RfCtx { broker: Broker, capture: CaptureLogger, wire: WireClient }
const rf = suite<RfCtx>('replication factor refusals')
rf.before(async (ctx) => {
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 2, logger: ctx.capture.logger })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
rf.after(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
})

const creatable = (name: string, replicationFactor: number, configs: Array<{ name: string, value: string }> = []) =>
  ({ name, numPartitions: 1, replicationFactor, assignments: [], configs })

rf('CreateTopics: more replicas than workers and below 1 are INVALID_REPLICATION_FACTOR, each logged; up to the workers is created', async ({ broker, capture, wire }) => {
  const [tooMany, two, zero, byDefault, one] = ['too-many', 'two', 'zero', 'by-default', 'one'].map((n) => uniqueTopic(`rf-${n}`))
  const res = await wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    timeoutMs: 1000,
    validateOnly: false,
    topics: [creatable(tooMany, 3), creatable(two, 2), creatable(zero, 0), creatable(byDefault, -1), creatable(one, 1)]
  })
  const byName = new Map(res.topics.map((t) => [t.name, t]))
  assert.is(byName.get(tooMany)!.errorCode, KafkaCode.INVALID_REPLICATION_FACTOR)
  assert.match(byName.get(tooMany)!.errorMessage!, '3 replicas need 3 partition workers; this broker has 2')
  assert.is(byName.get(two)!.errorCode, KafkaCode.NONE)
  assert.is(byName.get(two)!.replicationFactor, 2)
  assert.is(broker.dispatcher.partition(two, 0)!.replication!.replicas.length, 2)
  assert.is(byName.get(zero)!.errorCode, KafkaCode.INVALID_REPLICATION_FACTOR)
  assert.is(byName.get(byDefault)!.errorCode, KafkaCode.NONE)
  assert.is(byName.get(byDefault)!.replicationFactor, 1)
  assert.is(byName.get(one)!.errorCode, KafkaCode.NONE)
  for (const refused of [tooMany, zero]) {
    assert.is(broker.dispatcher.topic(refused), undefined)
    assert.is(capture.find(`refused to create topic '${refused}'`, 'warn').length, 1, refused)
  }
  for (const created of [one, two]) assert.is(capture.find(`refused to create topic '${created}'`).length, 0)
})

rf('kafkajs admin: a replication factor of 3 (2 workers) is refused with INVALID_REPLICATION_FACTOR; min.insync.replicas is validated and described', async ({ broker }) => {
  const kafka = new Kafka({ clientId: 'millrace-rf-test', brokers: [broker.address!], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const refused = uniqueTopic('rf-kafkajs')
    let error: unknown = null
    try {
      await admin.createTopics({ topics: [{ topic: refused, numPartitions: 1, replicationFactor: 3 }] })
    } catch (err) {
      error = err
    }
    assert.ok(error !== null, 'kafkajs was told')
    const errors = (error as { errors?: Array<{ type?: string, message?: string }> }).errors ?? [error as { type?: string }]
    assert.is(errors[0].type, 'INVALID_REPLICATION_FACTOR', JSON.stringify(error))
    assert.is(broker.dispatcher.topic(refused), undefined)

    const badMin = uniqueTopic('min-isr-bad')
    let minError: unknown = null
    try {
      await admin.createTopics({ topics: [{ topic: badMin, numPartitions: 1, configEntries: [{ name: 'min.insync.replicas', value: '0' }] }] })
    } catch (err) {
      minError = err
    }
    const minErrors = (minError as { errors?: Array<{ type?: string }> } | null)?.errors ?? [minError as { type?: string }]
    assert.is(minErrors[0]?.type, 'INVALID_CONFIG', JSON.stringify(minError))

    // Above the replication factor is allowed, as in Kafka (acks=all then fails with NOT_ENOUGH_REPLICAS).
    const topic = uniqueTopic('min-isr')
    assert.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: -1, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] }))
    const plain = uniqueTopic('min-isr-default')
    await broker.createTopic({ topic: plain })
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }, { type: ConfigResourceTypes.TOPIC, name: plain }] })
    const entry = (name: string) => described.resources.find((r) => r.resourceName === name)!.configEntries.find((e) => e.configName === 'min.insync.replicas')!
    assert.is(entry(topic).configValue, '2')
    assert.is(entry(topic).isDefault, false)
    assert.is(entry(plain).configValue, '1')
    assert.is(entry(plain).isDefault, true)
  } finally {
    await admin.disconnect()
  }
})

rf('millrace topics create --replication-factor 3 (2 workers) exits 1 with the broker\'s reason; 2 creates', async ({ broker }) => {
  const refused = uniqueTopic('rf-cli')
  const run = await millrace(['topics', 'create', refused, '--replication-factor', '3', '-b', broker.address!])
  assert.is(run.code, 1, run.stderr)
  assert.match(run.stderr, 'INVALID_REPLICATION_FACTOR')
  assert.match(run.stderr, '3 replicas need 3 partition workers')
  const created = uniqueTopic('rf-cli-ok')
  const ok = await millrace(['topics', 'create', created, '--replication-factor', '2', '-b', broker.address!])
  assert.is(ok.code, 0, ok.stderr)
  assert.ok(broker.listTopics().includes(created))
})

rf('library mode: createTopic({ replicationFactor }) refuses more than the workers with the Kafka code; 2, 1 and the default create', async ({ broker }) => {
  const refused = uniqueTopic('rf-library')
  const three = await rejection(broker.createTopic({ topic: refused, replicationFactor: 3 }))
  assert.is(three.kafkaCode, KafkaCode.INVALID_REPLICATION_FACTOR)
  const two = uniqueTopic('rf-library-two')
  await broker.createTopic({ topic: two, replicationFactor: 2 })
  assert.is(broker.dispatcher.partition(two, 0)!.replication!.replicas.length, 2)
  const five = await rejection(broker.createTopic({ topic: refused, replicationFactor: 5 }))
  assert.match(five.message, '5 replicas need 5 partition workers; this broker has 2')
  assert.equal(broker.listTopics().includes(refused), false)
  const ok = uniqueTopic('rf-library-ok')
  await broker.createTopic({ topic: ok, replicationFactor: 1 })
  assert.ok(broker.listTopics().includes(ok))
})

rf('default.replication.factor: CreateTopics with -1 and auto-creation take it; DescribeConfigs shows the broker\'s replication settings', async () => {
  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 2, defaultReplicationFactor: 2, replicaLagTimeMaxMs: 5000, logger: capture.logger })
  const kafka = new Kafka({ clientId: 'millrace-rf-default-test', brokers: [broker.address!], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  const wire = await WireClient.connect(broker.port!)
  try {
    const topic = uniqueTopic('rf-default')
    const res = await wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { timeoutMs: 1000, validateOnly: false, topics: [creatable(topic, -1)] })
    assert.is(res.topics[0].errorCode, KafkaCode.NONE)
    assert.is(res.topics[0].replicationFactor, 2)
    assert.is(broker.dispatcher.partition(topic, 0)!.replication!.replicas.length, 2)
    const auto = uniqueTopic('rf-default-auto')
    const md = await wire.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: auto }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    assert.is(md.topics[0].errorCode, KafkaCode.NONE)
    assert.is(broker.dispatcher.partition(auto, 0)!.replication!.replicas.length, 2)
    assert.is(capture.find('refused to create topic').length, 0)
    await admin.connect()
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }] })
    const values = new Map(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]))
    assert.is(values.get('default.replication.factor'), '2')
    assert.is(values.get('replica.lag.time.max.ms'), '5000')
  } finally {
    wire.close()
    await admin.disconnect()
    await broker.close()
  }
})

rf.run()
