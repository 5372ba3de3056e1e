/**
 * `__consumer_offsets` as lag monitors see it: Metadata lists it as an internal topic of one
 * partition with a leader (before any group exists, and among all topics), kcat reads the
 * coordinator's commit records from it, ListOffsets and Fetch by topic id work, and writes from
 * clients (produce, create, delete, delete records) get Kafka's errors and a log line. Runs on a
 * memory broker, whose coordinator log is in memory: the same behaviour as on disk.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel } from 'kafkajs'
import { Broker, MillraceError } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { ListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import type { CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js'
import type { DeleteTopicsResponse } from '../../src/protocol/apis/delete-topics.js'
import type { DeleteRecordsResponse } from '../../src/protocol/apis/delete-records.js'
import { BatchBuilder, decodeBatches } from '../../src/protocol/record-batch.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { until } from '../helpers/until.js'
import { kcat, WireClient } from './kafka-wire.js'

const OFFSETS = '__consumer_offsets'

interface Ctx { broker: Broker, wire: WireClient, kafka: Kafka, capture: CaptureLogger }
const internal = suite<Ctx>('__consumer_offsets, the internal topic')

internal.before(async (ctx) => {
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1, groupInitialRebalanceDelayMs: 0, logger: ctx.capture.logger })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
  ctx.kafka = new Kafka({ clientId: 'offsets-topic-test', brokers: [ctx.broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } })
})
internal.after(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
})

/** A group with offset 3 committed on a fresh topic (an admin commit, as a lag monitor would see any). */
async function committedGroup (broker: Broker): Promise<{ group: string, topic: string }> {
  const topic = uniqueTopic('ot-data')
  const group = uniqueTopic('ot-group')
  await broker.createTopic({ topic, partitions: 1 })
  const producer = broker.producer()
  await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` })) })
  await producer.close()
  await broker.resetGroupOffsets({ groupId: group, topic, to: 3 })
  return { group, topic }
}

internal('listed before any group exists: internal, one partition led by the broker, also among all topics', async ({ broker, wire, kafka }) => {
  const listing = await kcat(['-b', broker.address!, '-L'])
  assert.match(listing, `topic "${OFFSETS}" with 1 partitions:\n    partition 0, leader 1, replicas: 1, isrs: 1`)
  const all = await wire.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  const listed = all.topics.find((t) => t.name === OFFSETS)
  assert.ok(listed !== undefined, 'all-topics Metadata includes internal topics, as Kafka does')
  assert.is(listed.errorCode, KafkaCode.NONE)
  assert.is(listed.isInternal, true)
  assert.equal(listed.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]), [[0, 0, 1]])
  const admin = kafka.admin()
  await admin.connect()
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [OFFSETS] })
    assert.equal(topics.map((t) => [t.name, t.partitions.map((p) => p.leader)]), [[OFFSETS, [1]]])
    assert.ok((await admin.listTopics()).includes(OFFSETS))
  } finally {
    await admin.disconnect()
  }
  const byId = await wire.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ topicId: listed.topicId!, name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  assert.is(byId.topics[0].name, OFFSETS, 'found by its topic id too')
  // No group yet: reading it starts the coordinator, finds an empty log, and kcat -e ends.
  assert.is(await kcat(['-b', broker.address!, '-C', '-t', OFFSETS, '-p', '0', '-o', 'beginning', '-e', '-f', '%o\n']), '')
})

internal('kcat reads the commit records; ListOffsets and Fetch by topic id agree', async ({ broker, wire }) => {
  const { group, topic } = await committedGroup(broker)
  const out = await kcat(['-b', broker.address!, '-C', '-t', OFFSETS, '-p', '0', '-o', 'beginning', '-e', '-f', 'offset=%o key=%k\n'])
  const records = out.match(/offset=\d+ key=/g) ?? []
  assert.ok(records.length > 0, out)
  // Kafka's offset-commit key: version 1, then the group, topic and partition.
  const commitKey = Buffer.concat([Buffer.from([0, 1, 0, group.length]), Buffer.from(group), Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from([0, 0, 0, 0])]).toString()
  assert.ok(out.includes(`key=${commitKey}`), 'an offset-commit key for the group, topic and partition')

  const list = async (timestamp: number): Promise<number> => {
    const res = await wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: OFFSETS, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })
    assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.NONE)
    return res.topics[0].partitions[0].offset ?? -1
  }
  assert.is(await list(-2), 0)
  const end = await list(-1)
  assert.is(end, records.length, 'the log end offset counts every record kcat read')

  const meta = await wire.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: OFFSETS }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  const fetched = await wire.request<FetchResponse>(ApiKey.Fetch, 13, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId: meta.topics[0].topicId!, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  const pd = fetched.responses[0].partitions[0]
  assert.is(pd.errorCode, KafkaCode.NONE)
  assert.is(pd.highWatermark, end)
  const keys = decodeBatches(pd.records as Buffer).flatMap((b) => b.records.map((r) => r.key?.toString() ?? ''))
  assert.ok(keys.includes(commitKey))
  const beyond = await wire.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: OFFSETS, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: end + 100, logStartOffset: -1, partitionMaxBytes: 1 << 20 }, { partition: 1, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  assert.equal(beyond.responses[0].partitions.map((p) => p.errorCode), [KafkaCode.OFFSET_OUT_OF_RANGE, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
})

internal('clients cannot write it: produce, create, delete and delete records get Kafka\'s errors and a log line', async ({ broker, wire, kafka, capture }) => {
  const producer = kafka.producer({ retry: { retries: 0 } })
  await producer.connect()
  const refused = await producer.send({ topic: OFFSETS, messages: [{ value: 'x' }] }).then(() => null, (err: { type?: string }) => err)
  await producer.disconnect()
  assert.is(refused?.type, 'INVALID_TOPIC_EXCEPTION')
  const batch = new BatchBuilder()
  batch.append(Date.now(), null, Buffer.from('x'))
  const produced = await wire.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: OFFSETS, partitionData: [{ index: 0, records: batch.build() }] }] })
  const answer = produced.responses[0].partitionResponses[0]
  assert.is(answer.errorCode, KafkaCode.INVALID_TOPIC_EXCEPTION)
  assert.match(answer.errorMessage ?? '', 'cannot append to internal topic __consumer_offsets')
  assert.ok(capture.find('refused: cannot append to internal topic', 'warn').length > 0)

  const admin = kafka.admin()
  await admin.connect()
  try {
    assert.is(await admin.createTopics({ topics: [{ topic: OFFSETS }] }), false, 'kafkajs reports TOPIC_ALREADY_EXISTS as false')
    const deleted = await admin.deleteTopics({ topics: [OFFSETS] }).then(() => null, (err: { type?: string, errors?: Array<{ type?: string }> }) => err)
    assert.ok(deleted !== null, 'the deletion is refused')
  } finally {
    await admin.disconnect()
  }
  const created = await wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, { topics: [{ name: OFFSETS, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
  assert.is(created.topics[0].errorCode, KafkaCode.TOPIC_ALREADY_EXISTS)
  const deleted = await wire.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, { topics: [{ name: OFFSETS, topicId: Buffer.alloc(16) }], timeoutMs: 5000 })
  assert.is(deleted.responses[0].errorCode, KafkaCode.INVALID_TOPIC_EXCEPTION)
  assert.match(deleted.responses[0].errorMessage ?? '', 'cannot delete internal topic __consumer_offsets')
  const truncated = await wire.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: OFFSETS, partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 5000 })
  assert.is(truncated.topics[0].partitions[0].errorCode, KafkaCode.INVALID_TOPIC_EXCEPTION)
  await until('the refusals are logged', () => capture.find('refused: cannot delete internal topic', 'warn').length > 0 && capture.find('refused: cannot delete records of internal topic', 'warn').length > 0)
})

internal('library mode: listTopics hides it unless listInternal; create and delete are refused', async ({ broker }) => {
  assert.not.ok(broker.listTopics().includes(OFFSETS))
  assert.ok(broker.listTopics({ listInternal: true }).includes(OFFSETS))
  const created = await broker.createTopic({ topic: OFFSETS }).then(() => null, (err: MillraceError) => err)
  assert.is(created?.code, 'MR_ERR_TOPIC_EXISTS')
  const deleted = await broker.deleteTopic(OFFSETS).then(() => null, (err: MillraceError) => err)
  assert.is(deleted?.code, 'MR_ERR_INVALID_OPTION')
  assert.match(deleted?.message ?? '', 'internal topic and cannot be deleted')
})

internal.run()
