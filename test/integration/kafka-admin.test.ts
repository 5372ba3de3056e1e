/**
 * Topic administration over the wire: a kafkajs admin round trip (create with configs, list,
 * describeConfigs, alterConfigs, createPartitions, deleteRecords, delete), then the per-topic
 * error codes and IncrementalAlterConfigs through the wire client.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import kafkajs, { type Admin } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js'
import type { IncrementalAlterConfigsResponse } from '../../src/protocol/apis/incremental-alter-configs.js'
import type { DescribeConfigsResponse } from '../../src/protocol/apis/describe-configs.js'
import type { DeleteTopicsResponse } from '../../src/protocol/apis/delete-topics.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { ListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { fetchRecords, kcat, WireClient } from './kafka-wire.js'

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs

interface Ctx { broker: Broker, admin: Admin, wire: WireClient }
const admin = suite<Ctx>('kafka admin APIs')

admin.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 2 })
  const kafka = new Kafka({ clientId: 'millrace-admin-test', brokers: [ctx.broker.address!], logLevel: logLevel.NOTHING })
  ctx.admin = kafka.admin()
  await ctx.admin.connect()
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
admin.after(async (ctx) => {
  ctx.wire.close()
  await ctx.admin.disconnect()
  await ctx.broker.close()
})

function configMap (entries: Array<{ configName: string, configValue: string }>): Map<string, string> {
  return new Map(entries.map((e) => [e.configName, e.configValue]))
}

admin('kafkajs admin round trip', async (ctx) => {
  const { admin: a } = ctx
  assert.ok(await a.createTopics({ topics: [{ topic: 'orders', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }))
  assert.ok((await a.listTopics()).includes('orders'))

  const described = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] })
  const entries = described.resources[0].configEntries
  assert.is(configMap(entries).get('retention.ms'), '3600000')
  assert.is(entries.find((e) => e.configName === 'retention.ms')!.isDefault, false)
  assert.is(entries.find((e) => e.configName === 'segment.bytes')!.isDefault, true)

  await a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'retention.ms', value: '7200000' }] }] })
  const altered = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] })
  assert.is(configMap(altered.resources[0].configEntries).get('retention.ms'), '7200000')

  await a.createPartitions({ topicPartitions: [{ topic: 'orders', count: 4 }] })
  const metadata = await a.fetchTopicMetadata({ topics: ['orders'] })
  assert.is(metadata.topics[0].partitions.length, 4)

  await kcat(['-b', ctx.broker.address!, '-P', '-t', 'orders', '-p', '3'], Array.from({ length: 10 }, (_, i) => `o${i}`).join('\n') + '\n')
  await a.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 3, offset: '6' }] })
  const offsets = await a.fetchTopicOffsets('orders')
  const p3 = offsets.find((o) => o.partition === 3)!
  assert.is(p3.low, '6')
  assert.is(p3.high, '10')
  const rest = await fetchRecords(ctx.wire, 'orders', 3, 6, 4)
  assert.equal(rest.map((r) => r.value!.toString()), ['o6', 'o7', 'o8', 'o9'])

  await a.deleteTopics({ topics: ['orders'] })
  assert.not.ok((await a.listTopics()).includes('orders'))
})

admin('CreateTopics answers each topic on its own', async (ctx) => {
  await ctx.broker.createTopic({ topic: 'exists' })
  const topic = (name: string, numPartitions: number, replicationFactor: number, configs: Array<{ name: string, value: string }> = []) =>
    ({ name, numPartitions, replicationFactor, assignments: [], configs })
  const res = await ctx.wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    timeoutMs: 1000,
    validateOnly: false,
    topics: [
      topic('exists', 1, 1),
      topic('bad/name', 1, 1),
      topic('zero-partitions', 0, 1),
      topic('three-replicas', 1, 3),
      topic('bad-config', 1, 1, [{ name: 'retention.ms', value: 'soon' }]),
      topic('unknown-config', 1, 1, [{ name: 'no.such.key', value: '1' }]),
      topic('defaults', -1, -1),
      topic('fine', 2, 1, [{ name: 'cleanup.policy', value: 'compact' }])
    ]
  })
  const byName = new Map(res.topics.map((t) => [t.name, t]))
  assert.is(byName.get('exists')!.errorCode, KafkaCode.TOPIC_ALREADY_EXISTS)
  assert.is(byName.get('bad/name')!.errorCode, KafkaCode.INVALID_TOPIC_EXCEPTION)
  assert.is(byName.get('zero-partitions')!.errorCode, KafkaCode.INVALID_PARTITIONS)
  assert.is(byName.get('three-replicas')!.errorCode, KafkaCode.INVALID_REPLICATION_FACTOR)
  assert.is(byName.get('bad-config')!.errorCode, KafkaCode.INVALID_CONFIG)
  assert.match(byName.get('bad-config')!.errorMessage!, 'retention.ms')
  assert.is(byName.get('unknown-config')!.errorCode, KafkaCode.INVALID_CONFIG)
  assert.is(byName.get('defaults')!.errorCode, KafkaCode.NONE)
  assert.is(byName.get('defaults')!.numPartitions, 1)
  assert.is(byName.get('fine')!.errorCode, KafkaCode.NONE)
  assert.is(ctx.broker.dispatcher.topic('fine')!.partitions.length, 2)
  assert.is(ctx.broker.dispatcher.topic('fine')!.overrides['cleanup.policy'], 'compact')
  assert.is(ctx.broker.dispatcher.topic('zero-partitions'), undefined)

  const dry = await ctx.wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 3, { timeoutMs: 1000, validateOnly: true, topics: [topic('dry-run', 3, 1)] })
  assert.is(dry.topics[0].errorCode, KafkaCode.NONE)
  assert.is(ctx.broker.dispatcher.topic('dry-run'), undefined)
})

admin('Fetch v13 names topics by id: a known id reads, an unknown one answers UNKNOWN_TOPIC_ID', async (ctx) => {
  await ctx.broker.createTopic({ topic: 'fetch-by-id', partitions: 1 })
  await ctx.broker.producer().send({ topic: 'fetch-by-id', messages: [{ value: 'hello', partition: 0 }] })
  const id = Buffer.from(ctx.broker.dispatcher.topic('fetch-by-id')!.topicId, 'hex')
  const fetch = async (topicId: Buffer): Promise<FetchResponse> => await ctx.wire.request<FetchResponse>(ApiKey.Fetch, 13, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  const known = (await fetch(id)).responses[0]
  assert.ok(known.topicId!.equals(id))
  assert.is(known.partitions[0].errorCode, KafkaCode.NONE)
  assert.is(Number(known.partitions[0].highWatermark), 1)
  assert.ok((known.partitions[0].records as Buffer).length > 0)
  const unknown = (await fetch(Buffer.alloc(16, 9))).responses[0]
  assert.is(unknown.partitions[0].errorCode, KafkaCode.UNKNOWN_TOPIC_ID)
})

admin('Metadata with topic ids, DeleteTopics by id, unknown topics', async (ctx) => {
  await ctx.broker.createTopic({ topic: 'by-id', partitions: 2 })
  const md = await ctx.wire.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'by-id', topicId: Buffer.alloc(16) }, { name: 'nope', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  const [found, missing] = md.topics
  assert.is(found.errorCode, 0)
  assert.is(found.partitions.length, 2)
  assert.is(found.topicId!.toString('hex'), ctx.broker.dispatcher.topic('by-id')!.topicId)
  assert.is(missing.errorCode, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.is(ctx.broker.dispatcher.topic('nope'), undefined)

  const del = await ctx.wire.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, { timeoutMs: 1000, topics: [{ name: null, topicId: found.topicId }, { name: null, topicId: Buffer.alloc(16, 7) }, { name: 'never-was', topicId: Buffer.alloc(16) }] })
  assert.equal(del.responses.map((r) => r.errorCode), [KafkaCode.NONE, KafkaCode.UNKNOWN_TOPIC_ID, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
  assert.is(ctx.broker.dispatcher.topic('by-id'), undefined)
})

admin('IncrementalAlterConfigs: SET, DELETE, APPEND on lists only', async (ctx) => {
  await ctx.broker.createTopic({ topic: 'incr', config: { 'retention.ms': '1000' } })
  const alter = (configs: Array<{ name: string, configOperation: number, value: string | null }>) =>
    ctx.wire.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, { validateOnly: false, resources: [{ resourceType: 2, resourceName: 'incr', configs }] })
  let res = await alter([{ name: 'segment.bytes', configOperation: 0, value: '2000000' }, { name: 'retention.ms', configOperation: 1, value: null }])
  assert.is(res.responses[0].errorCode, 0)
  assert.equal(ctx.broker.dispatcher.topic('incr')!.overrides, { 'segment.bytes': '2000000' })
  res = await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }])
  assert.is(res.responses[0].errorCode, 0)
  assert.is(ctx.broker.dispatcher.topic('incr')!.overrides['cleanup.policy'], 'delete,compact')
  res = await alter([{ name: 'retention.ms', configOperation: 2, value: '5' }])
  assert.is(res.responses[0].errorCode, KafkaCode.INVALID_REQUEST)
  res = await alter([{ name: 'retention.ms', configOperation: 0, value: 'later' }])
  assert.is(res.responses[0].errorCode, KafkaCode.INVALID_CONFIG)

  const described = await ctx.wire.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 1, { includeSynonyms: false, resources: [{ resourceType: 2, resourceName: 'incr', configurationKeys: ['segment.bytes', 'retention.ms'] }, { resourceType: 4, resourceName: '1', configurationKeys: null }, { resourceType: 2, resourceName: 'missing', configurationKeys: null }] })
  const [topic, broker, missing] = described.results
  assert.equal(topic.configs.map((c) => [c.name, c.value, c.configSource]), [['retention.ms', '604800000', 5], ['segment.bytes', '2000000', 1]])
  assert.ok(broker.configs.some((c) => c.name === 'num.partitions'))
  assert.is(missing.errorCode, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
})

admin('ListOffsets: earliest, latest, by timestamp, max timestamp', async (ctx) => {
  await ctx.broker.createTopic({ topic: 'times' })
  const producer = ctx.broker.producer()
  await producer.send({ topic: 'times', messages: [100, 300, 200].map((t) => ({ value: `t${t}`, partition: 0, timestamp: 1_000_000 + t })) })
  const list = (timestamp: number) => ctx.wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'times', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })
  const at = async (timestamp: number) => (await list(timestamp)).topics[0].partitions[0]
  assert.is((await at(-2)).offset, 0)
  assert.is((await at(-1)).offset, 3)
  // The engine answers timestamp lookups at batch granularity: the batch holding the record.
  assert.ok((await at(1_000_250)).offset! <= 1)
  const max = await at(-3)
  assert.ok(max.offset! <= 1)
  assert.is(max.timestamp, 1_000_300)
  const none = await at(9_000_000)
  assert.is(none.errorCode, 0)
  assert.is(none.offset, -1)
})

admin.run()
