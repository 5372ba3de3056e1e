/**
 * Leader epochs on the wire, against a real broker: a worker restart moves a partition's
 * leadership (epoch + 1, as Metadata reports it); Fetch (v9+), ListOffsets (v4+) and
 * OffsetForLeaderEpoch (v2+) fence a client's stale epoch (FENCED_LEADER_EPOCH) and refuse one
 * from the future (UNKNOWN_LEADER_EPOCH), per partition; OffsetForLeaderEpoch answers where each
 * epoch ended in the log. Requests go through the project's own codecs (kafka-wire.ts).
 *
 * Debian's librdkafka (2.0.2) predates its KIP-320 offset validation (2.1): it sends Fetch v11
 * with current epoch -1 and Metadata v4 (no epochs) and never OffsetForLeaderEpoch. The kcat
 * suite checks that it reads through a leadership change exactly once all the same; with a
 * librdkafka of 2.1 or later the same test drives its epoch validation.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { ApiVersionsResponse } from '../../src/protocol/apis/api-versions.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import type { ListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { OffsetForLeaderEpochResponse } from '../../src/protocol/apis/offset-for-leader-epoch.js'
import { decodeBatches } from '../../src/protocol/record-batch.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { WireClient } from './kafka-wire.js'

interface Ctx { dir: string, broker: Broker, wire: WireClient, topic: string }
const epochs = suite<Ctx>('leader epochs on the wire across a worker restart')

epochs.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
  ctx.topic = uniqueTopic('epochs')
  await ctx.broker.createTopic({ topic: ctx.topic, partitions: 2 })
  const producer = ctx.broker.producer({ acks: -1 })
  for (let i = 0; i < 5; i++) await producer.send({ topic: ctx.topic, messages: [{ value: `epoch0-${i}`, partition: 0 }] })
  await producer.send({ topic: ctx.topic, messages: [{ value: 'other', partition: 1 }] })
})
epochs.after(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

async function metadataEpochs (ctx: Ctx): Promise<number[]> {
  const md = await ctx.wire.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: ctx.topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  return md.topics[0].partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderEpoch!)
}

async function epochEnd (ctx: Ctx, version: number, partitions: Array<[number, number, number]>): Promise<Array<[number, number, number]>> {
  const res = await ctx.wire.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, version, {
    replicaId: -1,
    topics: [{ topic: ctx.topic, partitions: partitions.map(([partition, currentLeaderEpoch, leaderEpoch]) => ({ partition, currentLeaderEpoch, leaderEpoch })) }]
  })
  return res.topics[0].partitions.map((p) => [p.errorCode, p.leaderEpoch ?? -1, p.endOffset])
}

async function fetchAt (ctx: Ctx, version: number, partitions: Array<[number, number]>): Promise<FetchResponse> {
  return await ctx.wire.request<FetchResponse>(ApiKey.Fetch, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: ctx.topic, partitions: partitions.map(([partition, currentLeaderEpoch]) => ({ partition, currentLeaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: [], rackId: ''
  })
}

async function latestOffset (ctx: Ctx, currentLeaderEpoch: number): Promise<{ errorCode: number, offset: number, leaderEpoch: number }> {
  const res = await ctx.wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: ctx.topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp: -1 }] }]
  })
  const p = res.topics[0].partitions[0]
  return { errorCode: p.errorCode, offset: p.offset!, leaderEpoch: p.leaderEpoch! }
}

epochs('ApiVersions advertises OffsetForLeaderEpoch v0-4', async ({ wire }) => {
  const res = await wire.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'wire-test', clientSoftwareVersion: '1' })
  const entry = res.apiKeys.find((k) => k.apiKey === ApiKey.OffsetForLeaderEpoch)
  assert.equal(entry && [entry.minVersion, entry.maxVersion], [0, 4])
})

epochs('before any leadership change: epoch 0 everywhere, and it ends at the log end', async (ctx) => {
  assert.equal(await metadataEpochs(ctx), [0, 0])
  assert.equal(await epochEnd(ctx, 4, [[0, 0, 0], [1, 0, 0]]), [[KafkaCode.NONE, 0, 5], [KafkaCode.NONE, 0, 1]])
  assert.equal(await latestOffset(ctx, 0), { errorCode: KafkaCode.NONE, offset: 5, leaderEpoch: 0 })
})

epochs('a worker restart bumps only its partitions\' epoch; new batches carry it', async (ctx) => {
  const p0 = ctx.broker.dispatcher.partition(ctx.topic, 0)!
  const p1 = ctx.broker.dispatcher.partition(ctx.topic, 1)!
  assert.is.not(p0.worker, p1.worker, 'the two partitions live on different workers')
  await ctx.broker.dispatcher.crashWorkerOf(p0)
  await ctx.broker.dispatcher.whenOnline()
  assert.equal(await metadataEpochs(ctx), [1, 0])
  const producer = ctx.broker.producer({ acks: -1 })
  for (let i = 0; i < 3; i++) await producer.send({ topic: ctx.topic, messages: [{ value: `epoch1-${i}`, partition: 0 }] })
  const fetched = await fetchAt(ctx, 11, [[0, 1]])
  const stamped = decodeBatches(fetched.responses[0].partitions[0].records as Uint8Array).map((b) => [b.baseOffset, b.partitionLeaderEpoch])
  assert.equal(stamped, [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 1], [6, 1], [7, 1]])
})

epochs('OffsetForLeaderEpoch: epoch 0 ended where epoch 1 began; the current epoch ends at the log end', async (ctx) => {
  assert.equal(await epochEnd(ctx, 4, [[0, 1, 0], [0, 1, 1], [0, -1, 1]]), [[KafkaCode.NONE, 0, 5], [KafkaCode.NONE, 1, 8], [KafkaCode.NONE, 1, 8]])
  // v0-1 carry no current epoch: nothing to fence. v0 has no epoch in its answer.
  assert.equal(await epochEnd(ctx, 1, [[0, -1, 0]]), [[KafkaCode.NONE, 0, 5]])
  assert.equal(await epochEnd(ctx, 0, [[0, -1, 0]]), [[KafkaCode.NONE, -1, 5]])
})

epochs('OffsetForLeaderEpoch: stale and future current epochs, unknown partitions, per partition', async (ctx) => {
  assert.equal(await epochEnd(ctx, 2, [[0, 0, 0], [0, 2, 0], [1, 0, 0], [7, -1, 0]]), [
    [KafkaCode.FENCED_LEADER_EPOCH, -1, -1],
    [KafkaCode.UNKNOWN_LEADER_EPOCH, -1, -1],
    [KafkaCode.NONE, 0, 1],
    [KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]
  ])
  const res = await ctx.wire.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 3, {
    replicaId: -1, topics: [{ topic: uniqueTopic('absent'), partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }]
  })
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
})

epochs('Fetch v9+: a stale epoch is fenced and a future one unknown, before any read; siblings and older versions read', async (ctx) => {
  const res = await fetchAt(ctx, 11, [[0, 0], [1, 0]])
  const [p0, p1] = res.responses[0].partitions
  assert.is(p0.errorCode, KafkaCode.FENCED_LEADER_EPOCH)
  assert.is((p0.records as Uint8Array | null)?.length ?? 0, 0, 'nothing is read for a fenced partition')
  assert.is(p1.errorCode, KafkaCode.NONE)
  assert.is(decodeBatches(p1.records as Uint8Array).length, 1)
  assert.is((await fetchAt(ctx, 9, [[0, 2]])).responses[0].partitions[0].errorCode, KafkaCode.UNKNOWN_LEADER_EPOCH)
  assert.is((await fetchAt(ctx, 11, [[0, 1]])).responses[0].partitions[0].errorCode, KafkaCode.NONE)
  // v8 has no current epoch field: the stale view is not detectable, the read goes through.
  const old = (await fetchAt(ctx, 8, [[0, 0]])).responses[0].partitions[0]
  assert.is(old.errorCode, KafkaCode.NONE)
  assert.is(old.highWatermark, 8)
})

epochs('ListOffsets v4+: a stale epoch is fenced, a future one unknown; the answer carries the real epoch', async (ctx) => {
  assert.is((await latestOffset(ctx, 0)).errorCode, KafkaCode.FENCED_LEADER_EPOCH)
  assert.is((await latestOffset(ctx, 2)).errorCode, KafkaCode.UNKNOWN_LEADER_EPOCH)
  assert.equal(await latestOffset(ctx, 1), { errorCode: KafkaCode.NONE, offset: 8, leaderEpoch: 1 })
  assert.equal(await latestOffset(ctx, -1), { errorCode: KafkaCode.NONE, offset: 8, leaderEpoch: 1 })
})

epochs('__consumer_offsets keeps epoch 0: a newer current epoch is unknown on Fetch and ListOffsets', async (ctx) => {
  const list = await ctx.wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 1, timestamp: -1 }] }]
  })
  assert.is(list.topics[0].partitions[0].errorCode, KafkaCode.UNKNOWN_LEADER_EPOCH)
  const fetched = await ctx.wire.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: '__consumer_offsets', partitions: [{ partition: 0, currentLeaderEpoch: 1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  assert.is(fetched.responses[0].partitions[0].errorCode, KafkaCode.UNKNOWN_LEADER_EPOCH)
})

epochs.run()

// ---

const kcatSuite = suite('kcat keeps consuming through a leadership change')

kcatSuite('a worker restart under a live kcat consumer: every record once, in order', async () => {
  const dir = tmpDir()
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 2 })
  const topic = uniqueTopic('epochs-kcat')
  await broker.createTopic({ topic, partitions: 1 })
  const consumer = spawn('kcat', ['-C', '-u', '-b', broker.address!, '-t', topic, '-p', '0', '-o', 'beginning', '-f', '%o %s\\n'])
  let out = ''
  let failed: Error | null = null
  consumer.on('error', (err) => { failed = err })
  consumer.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const lines = (): string[] => out.split('\n').filter((l) => l !== '')
  try {
    const producer = broker.producer({ acks: -1, retries: 20, retryBackoffMs: 20 })
    const expected: string[] = []
    const send = async (value: string): Promise<void> => {
      await producer.send({ topic, messages: [{ value, partition: 0 }] })
      expected.push(`${expected.length} ${value}`)
    }
    for (let i = 0; i < 5; i++) await send(`before-${i}`)
    await until('kcat read the first records', () => { if (failed !== null) throw failed; return lines().length >= 5 })
    await broker.dispatcher.crashWorkerOf(broker.dispatcher.partition(topic, 0)!)
    await broker.dispatcher.whenOnline()
    assert.is(broker.dispatcher.partition(topic, 0)!.leaderEpoch, 1)
    for (let i = 0; i < 5; i++) await send(`after-${i}`)
    await send('end')
    // A re-read after the change would repeat records before 'end' arrives.
    await until('kcat read the last record', () => lines().includes(`${expected.length - 1} end`))
    assert.equal(lines(), expected)
  } finally {
    consumer.kill()
    await broker.close()
    removeDir(dir)
  }
})

kcatSuite.run()
