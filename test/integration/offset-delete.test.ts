/**
 * OffsetDelete (47) with real clients: librdkafka's own DeleteConsumerGroupOffsets (through
 * ctypes, see test/compat/librdkafka/), the raw wire while a kafkajs member subscribes, the
 * `millrace groups delete-offsets` CLI and `broker.deleteGroupOffsets` in library mode; with
 * Kafka's refusals (unknown group, subscribed topic) and a log line for each outcome.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel } from 'kafkajs'
import { Broker, MillraceError } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { OffsetDeleteResponse } from '../../src/protocol/apis/offset-delete.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { millrace } from '../helpers/cli.js'
import { until } from '../helpers/until.js'
import { WireClient } from './kafka-wire.js'

const LIBRDKAFKA_SCRIPT = fileURLToPath(new URL('../../../test/compat/librdkafka/delete-consumer-group-offsets.py', import.meta.url))

interface RdResult { error: number, message?: string, partitions: Array<{ topic: string, partition: number, error: number }> }

/** librdkafka's rd_kafka_DeleteConsumerGroupOffsets, run by Debian's python3 (not a pyenv one). */
function rdDeleteOffsets (address: string, group: string, topic: string, partitions: number[]): Promise<RdResult> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [LIBRDKAFKA_SCRIPT, address, group, topic, partitions.join(',')], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`librdkafka DeleteConsumerGroupOffsets failed (${err.message}): ${stderr}`))
      else resolve(JSON.parse(stdout) as RdResult)
    })
  })
}

/** The error a promise rejects with (null when it resolves). */
function failure (p: Promise<unknown>): Promise<MillraceError | null> {
  return p.then(() => null, (err: MillraceError) => err)
}

interface Ctx { broker: Broker, dir: string, capture: CaptureLogger }
const deletion = suite<Ctx>('OffsetDelete with real clients')

deletion.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 1, groupInitialRebalanceDelayMs: 0, logger: ctx.capture.logger })
})
deletion.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

/** A topic with `partitions` partitions and 10 records in each. */
async function topicWithRecords (broker: Broker, prefix: string, partitions: number): Promise<string> {
  const topic = uniqueTopic(prefix)
  await broker.createTopic({ topic, partitions })
  const producer = broker.producer()
  await producer.send({ topic, messages: Array.from({ length: 10 * partitions }, (_, i) => ({ partition: i % partitions, value: `v${i}` })) })
  await producer.close()
  return topic
}

async function committedOf (broker: Broker, group: string): Promise<Record<string, bigint | null>> {
  const out: Record<string, bigint | null> = {}
  for (const o of (await broker.describeGroup(group)).offsets) out[`${o.topic}-${o.partition}`] = o.committedOffset
  return out
}

deletion('librdkafka deletes offsets of an empty group; an unknown group is GROUP_ID_NOT_FOUND', async ({ broker, capture }) => {
  const topic = await topicWithRecords(broker, 'od-rd', 2)
  const group = uniqueTopic('od-rd-group')
  await broker.resetGroupOffsets({ groupId: group, topic, to: 4 })
  const res = await rdDeleteOffsets(broker.address!, group, topic, [0])
  assert.is(res.error, 0, JSON.stringify(res))
  assert.equal(res.partitions, [{ topic, partition: 0, error: 0 }])
  assert.equal(await committedOf(broker, group), { [`${topic}-1`]: 4n })
  await until('the deletion is logged', () => capture.find('deleted 1 committed offsets', 'info').some((l) => l.fields.groupId === group))

  const unknown = await rdDeleteOffsets(broker.address!, uniqueTopic('od-nobody'), topic, [0])
  assert.is(unknown.error, KafkaCode.GROUP_ID_NOT_FOUND, JSON.stringify(unknown))
})

deletion('a kafkajs member subscribes to one topic: its offsets stay (librdkafka and the wire), another topic\'s go', async ({ broker }) => {
  const consumed = await topicWithRecords(broker, 'od-sub', 1)
  const other = await topicWithRecords(broker, 'od-other', 1)
  const group = uniqueTopic('od-kafkajs')
  await broker.resetGroupOffsets({ groupId: group, topic: other, to: 3 })
  const kafka = new Kafka({ clientId: 'od-test', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } })
  const consumer = kafka.consumer({ groupId: group, heartbeatInterval: 100, maxWaitTimeInMs: 50 })
  const admin = kafka.admin()
  const wire = await WireClient.connect(broker.port!)
  try {
    let seen = 0
    await consumer.connect()
    await consumer.subscribe({ topics: [consumed], fromBeginning: true })
    await consumer.run({ autoCommit: true, autoCommitInterval: 50, eachMessage: async () => { seen++ } })
    await until('the member consumed and committed', async () => seen === 10 && (await committedOf(broker, group))[`${consumed}-0`] === 10n)

    const rd = await rdDeleteOffsets(broker.address!, group, consumed, [0])
    assert.is(rd.error, 0, JSON.stringify(rd))
    assert.equal(rd.partitions, [{ topic: consumed, partition: 0, error: KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC }])

    const res = await wire.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, {
      groupId: group, topics: [{ name: consumed, partitions: [{ partitionIndex: 0 }] }, { name: other, partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] }]
    })
    assert.is(res.errorCode, KafkaCode.NONE)
    assert.equal(res.topics, [
      { name: consumed, partitions: [{ partitionIndex: 0, errorCode: KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
      { name: other, partitions: [{ partitionIndex: 0, errorCode: KafkaCode.NONE }, { partitionIndex: 5, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }] }
    ])
    await admin.connect()
    const fetched = await admin.fetchOffsets({ groupId: group, topics: [consumed, other] })
    assert.equal(fetched.map((t) => [t.topic, t.partitions[0].offset]), [[consumed, '10'], [other, '-1']])
  } finally {
    wire.close()
    await admin.disconnect()
    await consumer.disconnect()
  }
})

deletion('millrace groups delete-offsets: refused while subscribed, done once the group is empty, usage and unknown group', async ({ broker }) => {
  const topic = await topicWithRecords(broker, 'od-cli', 2)
  const group = uniqueTopic('od-cli-group')
  const b = ['--bootstrap', broker.address!]
  const consumer = broker.consumer({ groupId: group, autoCommit: false, autoOffsetReset: 'earliest', heartbeatIntervalMs: 50, sessionTimeoutMs: 6000, maxWaitMs: 50 })
  consumer.subscribe({ topics: [topic] })
  await consumer.poll()
  await consumer.commit([{ topic, partition: 0, offset: 4 }, { topic, partition: 1, offset: 6 }])

  const refused = await millrace(['groups', 'delete-offsets', group, '--topic', topic, ...b])
  assert.is(refused.code, 1, refused.stderr)
  assert.match(refused.stderr, `group '${group}' still subscribes to topic '${topic}'`)
  assert.match(refused.stdout, /GROUP_SUBSCRIBED_TO_TOPIC/)
  const subscribed = await failure(broker.deleteGroupOffsets({ groupId: group, topic }))
  assert.is(subscribed?.code, 'MR_ERR_KAFKA')
  assert.is(subscribed?.kafkaCode, KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC)

  await consumer.close()
  await until('the group is empty', async () => (await broker.describeGroup(group)).state === 'Empty')
  const done = await millrace(['groups', 'delete-offsets', group, '--topic', topic, '--partitions', '1', ...b])
  assert.is(done.code, 0, done.stderr)
  assert.match(done.stdout, `deleted offsets of group ${group} on topic ${topic}`)
  assert.equal(await committedOf(broker, group), { [`${topic}-0`]: 4n })

  const usage = await millrace(['groups', 'delete-offsets', group, ...b])
  assert.is(usage.code, 2)
  assert.match(usage.stderr, /needs --topic TOPIC/)
  const nobody = await millrace(['groups', 'delete-offsets', uniqueTopic('od-nobody'), '--topic', topic, ...b])
  assert.is(nobody.code, 1)
  assert.match(nobody.stderr, /does not exist/)
})

deletion('library mode: deleteGroupOffsets checks its arguments, deletes, and names Kafka\'s refusal', async ({ broker }) => {
  const topic = await topicWithRecords(broker, 'od-lib', 2)
  const group = uniqueTopic('od-lib-group')
  await broker.resetGroupOffsets({ groupId: group, topic, to: 2 })
  assert.is((await failure(broker.deleteGroupOffsets({ groupId: group, topic: 'no-such-topic' })))?.code, 'MR_ERR_UNKNOWN_TOPIC')
  assert.is((await failure(broker.deleteGroupOffsets({ groupId: group, topic, partitions: [7] })))?.code, 'MR_ERR_UNKNOWN_PARTITION')
  assert.is((await failure(broker.deleteGroupOffsets({ groupId: '', topic })))?.code, 'MR_ERR_INVALID_OPTION')
  const unknown = await failure(broker.deleteGroupOffsets({ groupId: uniqueTopic('od-nobody'), topic }))
  assert.is(unknown?.code, 'MR_ERR_KAFKA')
  assert.is(unknown?.kafkaCode, KafkaCode.GROUP_ID_NOT_FOUND)
  await broker.deleteGroupOffsets({ groupId: group, topic, partitions: [0] })
  assert.equal(await committedOf(broker, group), { [`${topic}-1`]: 2n })
  await broker.deleteGroupOffsets({ groupId: group, topic })
  assert.equal((await broker.listGroups()).filter((g) => g.groupId === group), [], 'an empty group without offsets is gone')
})

deletion.run()
