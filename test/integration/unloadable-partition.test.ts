/**
 * A partition directory whose topic cannot be told (partition.metadata damaged or missing, or
 * a topic id that disagrees with its siblings) is neither adopted nor dropped: the broker logs
 * it, keeps every file as it is, and refuses to create the topic again over it (auto-create,
 * CreateTopics, library mode) with KAFKA_STORAGE_ERROR until an operator repairs it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import { MillraceError } from '../../src/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { WireClient } from './kafka-wire.js'

const RECORDS = 5

/** Every file of a directory with its bytes, to show nothing in it changed. */
function snapshot (dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const name of readdirSync(dir).sort()) files[name] = readFileSync(join(dir, name)).toString('hex')
  return files
}

/** A data dir holding `topic` (one partition, RECORDS records) and a healthy neighbour; returns the topic id. */
async function seed (dataDir: string, topic: string, neighbour: string): Promise<string> {
  const broker = await Broker.start({ dataDir, workers: 1 })
  try {
    for (const t of [topic, neighbour]) {
      await broker.createTopic({ topic: t, partitions: 1 })
      const producer = broker.producer()
      await producer.send({ topic: t, messages: Array.from({ length: RECORDS }, (_, i) => ({ value: `r${i}` })) })
      await producer.close()
    }
    return (await broker.describeTopic(topic)).topicId
  } finally {
    await broker.close()
  }
}

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

const createTopic = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })

interface Ctx { dir: string, dataDir: string, topic: string, neighbour: string }
const unloadable = suite<Ctx>('unloadable partition directories')
unloadable.before.each((ctx) => {
  ctx.dir = tmpDir()
  ctx.dataDir = join(ctx.dir, 'data')
  ctx.topic = uniqueTopic('damaged')
  ctx.neighbour = uniqueTopic('healthy')
})
unloadable.after.each((ctx) => { removeDir(ctx.dir) })

unloadable('a damaged partition.metadata: logged, files kept, topic offline, never created again over it; repaired, it is back whole', async ({ dataDir, topic, neighbour }) => {
  const topicId = await seed(dataDir, topic, neighbour)
  const partitionDir = join(dataDir, `${topic}-0`)
  const metadataFile = join(partitionDir, 'partition.metadata')
  const original = readFileSync(metadataFile, 'utf8')
  writeFileSync(metadataFile, 'version: 0\ntopic_id: \u0000\u0000garbage\n')
  const before = snapshot(partitionDir)

  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir, workers: 1, port: 0, logger: capture.logger })
  const wire = await WireClient.connect(broker.port!)
  try {
    const line = capture.find(`partition directory ${partitionDir} cannot be loaded`, 'error')
    assert.is(line.length, 1, JSON.stringify(capture.lines))
    assert.match(String(line[0].fields.problem), 'partition.metadata')
    assert.equal(broker.listTopics(), [neighbour], 'the healthy topic loads; the damaged one is not listed as a topic')
    assert.equal(broker.dispatcher.offlineTopics(), [topic])

    const described = await rejection(broker.describeTopic(topic))
    assert.is(described.code, 'MR_ERR_STORAGE')
    const created = await rejection(broker.createTopic({ topic, partitions: 1 }))
    assert.is(created.code, 'MR_ERR_STORAGE')
    assert.is(created.kafkaCode, KafkaCode.KAFKA_STORAGE_ERROR)
    assert.match(created.message, `topic '${topic}' is offline`)
    assert.ok(capture.find(`refused a request for offline topic '${topic}'`, 'error').length >= 1)
    const producer = broker.producer()
    const sent = await rejection(producer.send({ topic, messages: [{ value: 'lost?' }] }))
    await producer.close()
    assert.is(sent.code, 'MR_ERR_STORAGE', 'a library producer is told why, not that the topic is unknown')

    // A producer's Metadata with auto-create gets the storage error and creates nothing.
    const md = await wire.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    assert.is(md.topics[0].errorCode, KafkaCode.KAFKA_STORAGE_ERROR)
    const all = await wire.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    assert.is(all.topics.find((t) => t.name === topic)?.errorCode, KafkaCode.KAFKA_STORAGE_ERROR, 'listed with its error, not hidden')
    const ct = await wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { timeoutMs: 1000, validateOnly: false, topics: [createTopic(topic)] })
    assert.is(ct.topics[0].errorCode, KafkaCode.KAFKA_STORAGE_ERROR)
    assert.equal(broker.listTopics(), [neighbour])
    assert.equal(snapshot(partitionDir), before, 'the directory is untouched')
  } finally {
    wire.close()
    await broker.close()
  }
  assert.equal(snapshot(partitionDir), before, 'the directory is untouched after close')

  // The operator repairs the file: the topic comes back with its id and every record.
  writeFileSync(metadataFile, original)
  const repaired = await Broker.start({ dataDir, workers: 1 })
  try {
    const d = await repaired.describeTopic(topic)
    assert.is(d.topicId, topicId)
    assert.is(d.partitions[0].highWatermark, BigInt(RECORDS))
  } finally {
    await repaired.close()
  }
})

unloadable('a missing partition.metadata beside log data is refused the same way', async ({ dataDir, topic, neighbour }) => {
  await seed(dataDir, topic, neighbour)
  const partitionDir = join(dataDir, `${topic}-0`)
  rmSync(join(partitionDir, 'partition.metadata'))
  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir, workers: 1, logger: capture.logger })
  try {
    assert.match(String(capture.find(`partition directory ${partitionDir} cannot be loaded`, 'error')[0]?.fields.problem), 'partition.metadata is missing')
    assert.is((await rejection(broker.createTopic({ topic, partitions: 1 }))).kafkaCode, KafkaCode.KAFKA_STORAGE_ERROR)
  } finally {
    await broker.close()
  }
})

unloadable('partition directories that disagree on the topic id take their topic offline', async ({ dataDir, topic, neighbour }) => {
  await seed(dataDir, topic, neighbour)
  // Partition 1 of `topic` copied in from another topic's directory: same name pattern, another id.
  const foreign = join(dataDir, `${topic}-1`)
  mkdirSync(foreign)
  for (const name of readdirSync(join(dataDir, `${neighbour}-0`))) writeFileSync(join(foreign, name), readFileSync(join(dataDir, `${neighbour}-0`, name)))
  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir, workers: 1, logger: capture.logger })
  try {
    assert.equal(broker.listTopics(), [neighbour])
    assert.equal(broker.dispatcher.offlineTopics(), [topic])
    assert.match(String(capture.find(`partition directory ${foreign} cannot be loaded`, 'error')[0]?.fields.problem), 'differs from that of another partition')
  } finally {
    await broker.close()
  }
})

unloadable('a new partition is not created over a directory that already holds data', async ({ dataDir, topic, neighbour }) => {
  await seed(dataDir, topic, neighbour)
  const broker = await Broker.start({ dataDir, workers: 1 })
  try {
    // Files appear where the next partition will go (a restore from backup, a copy by hand).
    const stray = join(dataDir, `${topic}-1`)
    mkdirSync(stray)
    writeFileSync(join(stray, '00000000000000020000.log'), 'records someone was acknowledged')
    const before = snapshot(stray)
    const err = await rejection(broker.createPartitions({ topic, count: 2 }))
    assert.is(err.code, 'MR_ERR_STORAGE')
    assert.is(err.kafkaCode, KafkaCode.KAFKA_STORAGE_ERROR)
    assert.match(err.message, 'already holds data')
    assert.equal(snapshot(stray), before)
    assert.is((await broker.describeTopic(topic)).partitions.length, 1, 'the refused partition is not left behind')
  } finally {
    await broker.close()
  }
})

unloadable('the empty leftover of a create that crashed before its metadata is not in the way', async ({ dataDir, topic, neighbour }) => {
  await seed(dataDir, topic, neighbour)
  const fresh = uniqueTopic('leftover')
  mkdirSync(join(dataDir, `${fresh}-0`))
  writeFileSync(join(dataDir, `${fresh}-0`, 'partition.metadata.tmp'), '')
  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir, workers: 1, logger: capture.logger })
  try {
    assert.equal(broker.dispatcher.offlineTopics(), [])
    await broker.createTopic({ topic: fresh, partitions: 1 })
    assert.is((await broker.describeTopic(fresh)).partitions[0].highWatermark, 0n)
  } finally {
    await broker.close()
  }
})

unloadable.run()
