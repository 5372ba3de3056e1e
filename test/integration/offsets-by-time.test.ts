/**
 * ListOffsets by timestamp with unmodified clients: kafkajs fetchTopicOffsetsByTimestamp, kcat
 * -Q (librdkafka's offsets_for_times, as its test 0054 uses it), confluent-kafka-python and
 * kafka-python offsets_for_times. Each batch holds several records with distinct, out-of-order
 * timestamps, so a batch-granular answer (the batch's first offset) fails every assertion.
 * Needs /usr/bin/python3 with Debian's python3-confluent-kafka and python3-kafka.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import type { ListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { Compression } from '../../src/protocol/compression.js'
import { BatchBuilder, decodeBatches } from '../../src/protocol/record-batch.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat, WireClient } from './kafka-wire.js'

const T0 = 1_700_000_000_000
/** Timestamps (ms after T0) of the first batch's records, in offset order: out of order in time. */
const FIRST = [0, 50, 10, 40, 20, 30, 60, 90, 70, 80]
/** The second batch: offsets 10-19, T0 + 1000 … 1090, the largest (1095) twice. */
const SECOND = [1000, 1095, 1010, 1095, 1020, 1030, 1040, 1050, 1060, 1070]

/** [target (ms after T0), expected offset, expected timestamp (ms after T0)]; offset -1: none. */
const LOOKUPS: Array<[number, number, number]> = [
  [0, 0, 0],
  [5, 1, 50],
  [35, 1, 50],
  [55, 6, 60],
  [85, 7, 90],
  [91, 10, 1000],
  [1001, 11, 1095],
  [1096, -1, -1]
]

interface Ctx { dir: string, broker: Broker, log: CaptureLogger, kafka: Kafka, producer: Producer, admin: Admin, wire: WireClient }
const byTime = suite<Ctx>('ListOffsets by timestamp, real clients')

byTime.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2, logger: ctx.log.logger })
  ctx.kafka = new Kafka({ clientId: 'offsets-by-time', brokers: [ctx.broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  ctx.producer = ctx.kafka.producer({ allowAutoTopicCreation: false })
  await ctx.producer.connect()
  ctx.admin = ctx.kafka.admin()
  await ctx.admin.connect()
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
byTime.after(async (ctx) => {
  ctx.wire.close()
  await ctx.admin.disconnect()
  await ctx.producer.disconnect()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

/** Runs a Python snippet with Debian's interpreter (where python3-confluent-kafka and python3-kafka live). */
function python (code: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', code, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`python3 failed: ${stderr}`))
      else resolve(stdout)
    })
  })
}

/** The batches of partition 0 with their record counts, read back over Fetch. */
async function recordsPerBatch (wire: WireClient, topic: string): Promise<number[]> {
  const res = await wire.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  return decodeBatches(res.responses[0].partitions[0].records as Buffer).map((b) => b.recordCount)
}

async function listOffset (wire: WireClient, topic: string, timestamp: number, version = 7): Promise<{ errorCode: number, offset: number, timestamp: number }> {
  const res = await wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, version, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }]
  })
  const p = res.topics[0].partitions[0]
  return { errorCode: p.errorCode, offset: p.offset ?? -1, timestamp: p.timestamp ?? -1 }
}

/** Two batches of ten records each, written by kafkajs (one send per batch). */
async function kafkajsTopic (ctx: Ctx, compression = CompressionTypes.None): Promise<string> {
  const topic = uniqueTopic('by-time')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  for (const times of [FIRST, SECOND]) {
    await ctx.producer.send({ topic, compression, messages: times.map((t, i) => ({ partition: 0, value: `v${i}`, timestamp: String(T0 + t) })) })
  }
  assert.equal(await recordsPerBatch(ctx.wire, topic), [10, 10], 'each send is one batch')
  return topic
}

byTime('kafkajs fetchTopicOffsetsByTimestamp answers the first record at or after the time (plain and gzip)', async (ctx) => {
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const topic = await kafkajsTopic(ctx, compression)
    for (const [target, offset] of LOOKUPS) {
      const [answer] = await ctx.admin.fetchTopicOffsetsByTimestamp(topic, T0 + target)
      // kafkajs replaces "none" (-1) with the high watermark.
      assert.is(answer.offset, String(offset === -1 ? 20 : offset), `target ${target}, codec ${compression}`)
    }
  }
})

byTime('the wire answer carries the record timestamp; -3 (MAX_TIMESTAMP) the first record holding the largest', async (ctx) => {
  const topic = await kafkajsTopic(ctx)
  for (const [target, offset, timestamp] of LOOKUPS) {
    assert.equal(await listOffset(ctx.wire, topic, T0 + target), { errorCode: 0, offset, timestamp: timestamp === -1 ? -1 : T0 + timestamp }, `target ${target}`)
  }
  assert.equal(await listOffset(ctx.wire, topic, -3), { errorCode: 0, offset: 11, timestamp: T0 + 1095 })
})

/** confluent-kafka-python produces the two batches (explicit timestamps, linger so each flush is one batch). */
const CONFLUENT_PRODUCE = `
import sys
from confluent_kafka import Producer
addr, topic, codec, base = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = Producer({'bootstrap.servers': addr, 'compression.codec': codec, 'linger.ms': 1000, 'batch.num.messages': 10})
p.list_topics(topic, timeout=30)  # the leader is known before the first record, so none goes out alone
for times in (${JSON.stringify(FIRST)}, ${JSON.stringify(SECOND)}):
    for i, t in enumerate(times):
        p.produce(topic, value=b'v%d' % i, partition=0, timestamp=base + t)
    assert p.flush(30) == 0
`

const CONFLUENT_LOOKUP = `
import sys, uuid
from confluent_kafka import Consumer, TopicPartition
addr, topic, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({'bootstrap.servers': addr, 'group.id': 'by-time-' + uuid.uuid4().hex, 'enable.auto.commit': False})
for t in sys.argv[4:]:
    [tp] = c.offsets_for_times([TopicPartition(topic, 0, base + int(t))], timeout=30)
    assert tp.error is None, tp.error
    print(tp.offset)
c.close()
`

const KAFKA_PYTHON_LOOKUP = `
import sys
from kafka import KafkaConsumer, TopicPartition
addr, topic, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = KafkaConsumer(bootstrap_servers=addr, enable_auto_commit=False)
tp = TopicPartition(topic, 0)
for t in sys.argv[4:]:
    found = c.offsets_for_times({tp: base + int(t)})[tp]
    print('-1 -1' if found is None else '%d %d' % (found.offset, found.timestamp - base))
c.close()
`

for (const codec of ['zstd', 'lz4', 'snappy']) {
  byTime(`confluent-kafka, kafka-python and kcat -Q agree with Kafka on a ${codec} topic written by librdkafka`, async (ctx) => {
    const topic = uniqueTopic(`by-time-${codec}`)
    await ctx.broker.createTopic({ topic, partitions: 1 })
    await python(CONFLUENT_PRODUCE, [ctx.broker.address!, topic, codec, String(T0)])
    assert.equal(await recordsPerBatch(ctx.wire, topic), [10, 10], 'each flush is one batch')
    const targets = LOOKUPS.map(([t]) => String(t))

    const confluent = (await python(CONFLUENT_LOOKUP, [ctx.broker.address!, topic, String(T0), ...targets])).trim().split('\n')
    assert.equal(confluent, LOOKUPS.map(([, offset]) => String(offset)), 'confluent-kafka offsets_for_times')

    const kafkaPython = (await python(KAFKA_PYTHON_LOOKUP, [ctx.broker.address!, topic, String(T0), ...targets])).trim().split('\n')
    assert.equal(kafkaPython, LOOKUPS.map(([, offset, timestamp]) => `${offset} ${timestamp}`), 'kafka-python offsets_for_times')

    for (const [target, offset] of LOOKUPS) {
      const out = await kcat(['-b', ctx.broker.address!, '-Q', '-t', `${topic}:0:${T0 + target}`])
      assert.match(out, new RegExp(`\\[0\\]\\s+offset\\s+${offset}\\b`), `kcat -Q at ${target}: ${out}`)
    }
  })
}

byTime('a stored batch that inflates past the cap of a since-lowered max.message.bytes: MESSAGE_TOO_LARGE and a warning in the log', async (ctx) => {
  const topic = uniqueTopic('by-time-bomb')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  // One record of 200 KB of zeros, gzipped to a few hundred bytes: accepted under the default limit.
  const builder = new BatchBuilder({ compression: Compression.Gzip })
  builder.append(T0, null, Buffer.alloc(200_000))
  const produced = await ctx.wire.request<ProduceResponse>(ApiKey.Produce, 7, {
    transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: builder.build() }] }]
  })
  assert.is(produced.responses[0].partitionResponses[0].errorCode, KafkaCode.NONE)
  // Lowered afterwards, the limit makes the stored batch a bomb for lookups: 200 KB > 32 × 2000.
  await ctx.broker.alterTopicConfig({ topic, config: { 'max.message.bytes': '2000' } })

  assert.equal(await listOffset(ctx.wire, topic, T0 - 1), { errorCode: KafkaCode.MESSAGE_TOO_LARGE, offset: -1, timestamp: -1 })
  const line = ctx.log.lines.find((l) => l.msg === 'ListOffsets lookup failed in the partition log' && l.fields.topic === topic)
  assert.ok(line !== undefined, 'the broker logged the refusal')
  assert.is(line.level, 'warn')
  assert.is(line.fields.status, 'RecordTooLarge')
  // Earliest and latest never decode records, so they still answer.
  assert.equal(await listOffset(ctx.wire, topic, -2), { errorCode: 0, offset: 0, timestamp: -1 })
})

byTime.run()
