/**
 * Unmodified clients against a broker listening on port 0: kafkajs produces (keys, headers,
 * timestamps; acks 0, 1 and all), kcat produces with every codec and consumes, a new topic is
 * auto-created through Metadata, a parked Fetch wakes on new data, and a restarted broker
 * serves the same records from its data dir.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel, type Producer } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { decodeBatches } from '../../src/protocol/record-batch.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { fetchRecords, kcat, WireClient } from './kafka-wire.js'

interface Ctx { dir: string, broker: Broker, kafka: Kafka, producer: Producer, wire: WireClient }
const clients = suite<Ctx>('kafka clients')

const RECORDS = 100_000
const PER_SEND = 2_000
const BASE_TIMESTAMP = 1_700_000_000_000

function keyOf (i: number): Buffer { return Buffer.from(`key-${i}`) }
function valueOf (i: number): Buffer {
  const b = Buffer.alloc(16 + (i % 64))
  b.writeUInt32BE(i, 0)
  for (let j = 4; j < b.length; j++) b[j] = (i * 31 + j) & 0xff
  return b
}

clients.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2 })
  ctx.kafka = new Kafka({ clientId: 'millrace-test', brokers: [ctx.broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 5 } })
  ctx.producer = ctx.kafka.producer({ allowAutoTopicCreation: false })
  await ctx.producer.connect()
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
clients.after(async (ctx) => {
  ctx.wire.close()
  await ctx.producer.disconnect()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

clients('kafkajs produces 100,000 records that come back byte-identical over Fetch', async (ctx) => {
  await ctx.broker.createTopic({ topic: 'bulk', partitions: 1 })
  for (let from = 0; from < RECORDS; from += PER_SEND) {
    const messages = []
    for (let i = from; i < from + PER_SEND; i++) {
      messages.push({ key: keyOf(i), value: valueOf(i), timestamp: String(BASE_TIMESTAMP + i), headers: { n: String(i), bin: Buffer.from([i & 0xff, 0, 0xff]) } })
    }
    await ctx.producer.send({ topic: 'bulk', messages })
  }
  const records = await fetchRecords(ctx.wire, 'bulk', 0, 0, RECORDS)
  assert.is(records.length, RECORDS)
  for (let i = 0; i < RECORDS; i++) {
    const r = records[i]
    if (r.offset !== i || !r.key!.equals(keyOf(i)) || !r.value!.equals(valueOf(i)) || r.timestamp !== BASE_TIMESTAMP + i) {
      assert.unreachable(`record ${i} differs: offset ${r.offset}, key ${r.key?.toString()}, timestamp ${r.timestamp}`)
    }
    const headers = new Map(r.headers)
    if (headers.get('n')!.toString() !== String(i) || !headers.get('bin')!.equals(Buffer.from([i & 0xff, 0, 0xff]))) assert.unreachable(`headers of record ${i} differ`)
  }
})

clients('kafkajs acks 0, 1 and all each land in the log', async (ctx) => {
  const topic = uniqueTopic('acks')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await ctx.producer.send({ topic, acks: 1, messages: [{ key: 'a', value: 'one' }] })
  await ctx.producer.send({ topic, acks: -1, messages: [{ key: 'b', value: 'all' }] })
  await ctx.producer.send({ topic, acks: 0, messages: [{ key: 'c', value: 'zero' }] })
  // A request after the acks=0 one on the same connection is answered: nothing got out of order.
  const [res] = await ctx.producer.send({ topic, acks: 1, messages: [{ key: 'd', value: 'after' }] })
  assert.is(res.errorCode, 0)
  const records = await fetchRecords(ctx.wire, topic, 0, 0, 4)
  assert.equal(records.map((r) => r.value!.toString()), ['one', 'all', 'zero', 'after'])
})

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  clients(`kcat produces with -z ${codec} and consumes the records back`, async (ctx) => {
    const topic = uniqueTopic(`kcat-${codec}`)
    await ctx.broker.createTopic({ topic, partitions: 1 })
    const lines = Array.from({ length: 500 }, (_, i) => `k${i}:value ${i} ${codec}`)
    await kcat(['-b', ctx.broker.address!, '-P', '-t', topic, '-K', ':', '-z', codec], lines.join('\n') + '\n')
    const out = await kcat(['-b', ctx.broker.address!, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%k %s\n'])
    assert.equal(out.trimEnd().split('\n'), lines.map((l) => l.replace(':', ' ')))
  })
}

clients('kcat -P to a new topic creates it through Metadata', async (ctx) => {
  const topic = uniqueTopic('auto')
  assert.is(ctx.broker.dispatcher.topic(topic), undefined)
  await kcat(['-b', ctx.broker.address!, '-P', '-t', topic], 'created on the fly\n')
  assert.ok(ctx.broker.dispatcher.topic(topic) !== undefined)
  const out = await kcat(['-b', ctx.broker.address!, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%s\n'])
  assert.is(out, 'created on the fly\n')
  const listing = await kcat(['-b', ctx.broker.address!, '-L', '-t', topic])
  assert.match(listing, `topic "${topic}" with 1 partitions`)
})

clients('a parked Fetch wakes when a record arrives and later responses keep their order', async (ctx) => {
  const topic = uniqueTopic('poll')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const fetch = ctx.wire.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  // Pipelined behind the parked Fetch on the same connection: answered only after it.
  let metadataAnswered = false
  let fetchAnswered = false
  // Marked as soon as the Fetch answer arrives (not after the producer's ack, which may come later).
  void fetch.then(() => { fetchAnswered = true }, () => {})
  const metadata = ctx.wire.request(ApiKey.Metadata, 4, { topics: null, allowAutoTopicCreation: false }).then(() => {
    metadataAnswered = true
    assert.ok(fetchAnswered, 'the Metadata response overtook the parked Fetch')
  })
  await new Promise((resolve) => setImmediate(resolve))
  assert.not.ok(metadataAnswered)
  await ctx.producer.send({ topic, messages: [{ value: 'wake up' }] })
  const res = await fetch
  await metadata
  const pd = res.responses[0].partitions[0]
  assert.is(pd.errorCode, 0)
  assert.is(pd.highWatermark, 1)
  assert.equal(pd.abortedTransactions, [])
  const records = decodeBatches(pd.records as Buffer).flatMap((b) => b.records)
  assert.equal(records.map((r) => r.value!.toString()), ['wake up'])
})

clients('a broker restarted on the same data dir serves the records again', async (ctx) => {
  const topic = uniqueTopic('restart')
  await ctx.broker.createTopic({ topic, partitions: 2 })
  const lines = Array.from({ length: 100 }, (_, i) => `r${i}`)
  await kcat(['-b', ctx.broker.address!, '-P', '-t', topic, '-p', '1'], lines.join('\n') + '\n')
  ctx.wire.close()
  await ctx.producer.disconnect()
  await ctx.broker.close()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
  const out = await kcat(['-b', ctx.broker.address!, '-C', '-t', topic, '-p', '1', '-e', '-o', 'beginning', '-f', '%s\n'])
  assert.equal(out.trimEnd().split('\n'), lines)
  const bulk = await fetchRecords(ctx.wire, 'bulk', 0, RECORDS - 10, 10)
  assert.equal(bulk.map((r) => r.offset), Array.from({ length: 10 }, (_, i) => RECORDS - 10 + i))
  ctx.kafka = new Kafka({ clientId: 'millrace-test', brokers: [ctx.broker.address!], logLevel: logLevel.NOTHING })
  ctx.producer = ctx.kafka.producer()
  await ctx.producer.connect()
})

clients.run()
