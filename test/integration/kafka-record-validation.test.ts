/**
 * CRC-valid batches whose records are malformed, and decompression bombs, over the Kafka
 * listener and in library mode: each is refused with Kafka's code and a reason (KIP-467
 * record_errors from Produce v8), nothing is appended, the broker logs it, and the partition
 * keeps serving valid batches to real clients (kcat).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomUUID } from 'node:crypto'
import { Broker, MillraceError } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { Compression, compress } from '../../src/protocol/compression.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import type { ProduceResponse, PartitionProduceResponse } from '../../src/protocol/apis/produce.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { batch, record, records } from '../helpers/crafted-batch.js'
import { kcat, WireClient } from './kafka-wire.js'

interface Ctx { broker: Broker, client: WireClient, log: CaptureLogger }
const wire = suite<Ctx>('malformed batches over the Kafka listener')

wire.before(async (ctx) => {
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1, logger: ctx.log.logger })
  ctx.client = await WireClient.connect(ctx.broker.port!)
})
wire.after(async (ctx) => {
  ctx.client.close()
  await ctx.broker.close()
})

function uniqueTopic (prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

async function produce (ctx: Ctx, topic: string, records: Buffer, version = 8): Promise<PartitionProduceResponse> {
  const res = await ctx.client.request<ProduceResponse>(ApiKey.Produce, version, {
    transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }]
  })
  return res.responses[0].partitionResponses[0]
}

function hw (ctx: Ctx, topic: string): number {
  return ctx.broker.dispatcher.partition(topic, 0)!.highWatermark
}

/** Waits until a refusal for `topic` was relayed from the worker to the broker's logger. */
async function refusalLogged (ctx: Ctx, topic: string, text: RegExp): Promise<void> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (ctx.log.lines.some(l => l.fields.topic === topic && l.msg.includes('refused a record batch') && text.test(String(l.fields.reason)))) return
    await new Promise(resolve => setImmediate(resolve))
  }
  assert.unreachable(`no refusal logged for ${topic} matching ${String(text)}`)
}

function valid (values: string[], compression = Compression.None): Buffer {
  const b = new BatchBuilder({ compression })
  for (const v of values) b.append(Date.now(), Buffer.from(`k-${v}`), Buffer.from(v))
  return b.build()
}

wire('a duplicate offset delta: INVALID_RECORD naming record 1 (v8), nothing appended, then a valid batch reaches kcat', async (ctx) => {
  const topic = uniqueTopic('dup-delta')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.is((await produce(ctx, topic, valid(['first']))).errorCode, KafkaCode.NONE)
  const before = hw(ctx, topic)

  const bad = batch([...record({ offsetDelta: 0, key: 'a' }), ...record({ offsetDelta: 0, key: 'b' })], 2)
  const res = await produce(ctx, topic, bad)
  assert.is(res.errorCode, KafkaCode.INVALID_RECORD)
  assert.is(res.baseOffset, -1)
  assert.match(res.errorMessage ?? '', /record 1 has offsetDelta 0/)
  assert.equal(res.recordErrors?.map(e => e.batchIndex), [1])
  assert.match(res.recordErrors?.[0].batchIndexErrorMessage ?? '', /offsetDelta/)
  assert.is(hw(ctx, topic), before)
  await refusalLogged(ctx, topic, /offsetDelta/)

  assert.is((await produce(ctx, topic, valid(['second']))).errorCode, KafkaCode.NONE)
  const out = await kcat(['-b', ctx.broker.address!, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'])
  assert.is(out, '0 first\n1 second\n')
})

wire('Produce v7 gets the same code, without record_errors (they came with v8)', async (ctx) => {
  const topic = uniqueTopic('v7')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const res = await produce(ctx, topic, batch(records(2), 3), 7)
  assert.is(res.errorCode, KafkaCode.CORRUPT_MESSAGE)
  assert.equal(res.recordErrors, [])
  assert.is(res.errorMessage, null)
  assert.is(hw(ctx, topic), 0)
})

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]

wire('every codec: a record count larger than the records is CORRUPT_MESSAGE naming the missing record', async (ctx) => {
  const topic = uniqueTopic('count')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  for (const codec of CODECS) {
    const res = await produce(ctx, topic, batch(records(2), 5, { codec }))
    assert.is(res.errorCode, KafkaCode.CORRUPT_MESSAGE, Compression[codec])
    assert.equal(res.recordErrors?.map(e => e.batchIndex), [2], Compression[codec])
  }
  assert.is(hw(ctx, topic), 0)
})

wire('codec 7 and undecodable payloads are CORRUPT_MESSAGE; the partition still takes valid batches', async (ctx) => {
  const topic = uniqueTopic('codec')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.is((await produce(ctx, topic, batch(records(1), 1, { codec: 7 }))).errorCode, KafkaCode.CORRUPT_MESSAGE)
  const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
  for (const codec of CODECS.slice(1)) {
    const res = await produce(ctx, topic, batch([], 1, { codec, compressedBody: garbage }))
    assert.is(res.errorCode, KafkaCode.CORRUPT_MESSAGE, Compression[codec])
    assert.match(res.errorMessage ?? '', /do not decompress/)
  }
  assert.is(hw(ctx, topic), 0)
  for (const codec of CODECS) assert.is((await produce(ctx, topic, valid(['ok'], codec))).errorCode, KafkaCode.NONE, Compression[codec])
  assert.is(hw(ctx, topic), CODECS.length)
})

// Snappy cannot inflate more than about 21 times (64 bytes from a 3-byte copy), under the
// factor of 32: a snappy batch within max.message.bytes never reaches the cap.
wire('a decompression bomb is refused as MESSAGE_TOO_LARGE for gzip, lz4 and zstd', async (ctx) => {
  const topic = uniqueTopic('bomb')
  // max.message.bytes 64 KiB: batches may inflate to 2 MiB.
  await ctx.broker.createTopic({ topic, partitions: 1, config: { 'max.message.bytes': '65536' } })
  for (const codec of [Compression.Gzip, Compression.Lz4, Compression.Zstd]) {
    // One record whose value is 8 MiB of one byte: at most 32 KiB once compressed.
    const value = 'a'.repeat(8 * 1024 * 1024)
    const body = record({ offsetDelta: 0, key: 'k', value })
    const packed = compress(codec, Buffer.from(body))
    assert.ok(packed.length < 65536, `${Compression[codec]} bomb is ${packed.length} bytes`)
    const res = await produce(ctx, topic, batch([], 1, { codec, compressedBody: packed }))
    assert.is(res.errorCode, KafkaCode.MESSAGE_TOO_LARGE, Compression[codec])
    assert.match(res.errorMessage ?? '', /inflate past 2097152 bytes/)
  }
  assert.is(hw(ctx, topic), 0)
  await refusalLogged(ctx, topic, /inflate past/)
})

wire('a compacted topic names every record without a key (KIP-467, as librdkafka test 0011 expects)', async (ctx) => {
  const topic = uniqueTopic('compact-keys')
  await ctx.broker.createTopic({ topic, partitions: 1, config: { 'cleanup.policy': 'compact' } })
  const body = [
    ...record({ offsetDelta: 0, key: 'a' }), ...record({ offsetDelta: 1, key: null }),
    ...record({ offsetDelta: 2, key: 'c' }), ...record({ offsetDelta: 3, key: null })
  ]
  const res = await produce(ctx, topic, batch(body, 4))
  assert.is(res.errorCode, KafkaCode.INVALID_RECORD)
  assert.equal(res.recordErrors?.map(e => e.batchIndex), [1, 3])
  assert.match(res.errorMessage ?? '', /needs a key on every record/)
  assert.is(hw(ctx, topic), 0)
})

wire('control batches, and transactional batches without a producer id, are refused', async (ctx) => {
  const topic = uniqueTopic('txn')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.is((await produce(ctx, topic, batch(records(1), 1, { attributes: 0x10 }))).errorCode, KafkaCode.INVALID_RECORD)
  assert.is((await produce(ctx, topic, batch(records(1), 1, { attributes: 0x20 }))).errorCode, KafkaCode.INVALID_RECORD)
  assert.is(hw(ctx, topic), 0)
})

wire.run()

// ---

const library = suite('malformed batches in library mode')

library('the library producer\'s error carries the broker\'s reason', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    const topic = uniqueTopic('lib-keys')
    await broker.createTopic({ topic, partitions: 1, config: { 'cleanup.policy': 'compact' } })
    const producer = broker.producer({ retries: 0 })
    try {
      await producer.send({ topic, messages: [{ key: 'a', value: '1' }, { value: 'no key' }] })
      assert.unreachable('the send should fail')
    } catch (err) {
      assert.instance(err, MillraceError)
      assert.is((err as MillraceError).code, 'MR_ERR_CORRUPT_BATCH')
      assert.match((err as Error).message, /needs a key on every record; 1 of 2 have none/)
    }
  } finally {
    await broker.close()
  }
})

library('a bomb already stored (max.message.bytes lowered since) fails the consumer with MR_ERR_CORRUPT_BATCH instead of inflating', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    const topic = uniqueTopic('lib-bomb')
    // 8 MiB lets a batch inflate to 256 MiB; 64 KiB since allows 2 MiB.
    await broker.createTopic({ topic, partitions: 1, config: { 'max.message.bytes': '8388608' } })
    // One batch of 3 MiB of one byte (it fits the producer's limits uncompressed): a few hundred bytes of zstd.
    const producer = broker.producer({ compression: 'zstd', batchSize: 16 * 1024 * 1024 })
    const value = Buffer.alloc(1024 * 1024, 0x61)
    await producer.send({ topic, messages: Array.from({ length: 3 }, () => ({ key: 'k', value })) })
    await broker.alterTopicConfig({ topic, config: { 'max.message.bytes': '65536' } })
    const consumer = broker.consumer({ maxWaitMs: 20 })
    consumer.assign([{ topic, partition: 0, offset: 0n }])
    try {
      await consumer.poll()
      assert.unreachable('the poll should fail')
    } catch (err) {
      assert.instance(err, MillraceError, String(err))
      assert.is((err as MillraceError).code, 'MR_ERR_CORRUPT_BATCH')
      assert.match((err as Error).message, /batch at offset 0 cannot be read \(too-large\)/)
    } finally {
      await consumer.close()
    }
  } finally {
    await broker.close()
  }
})

library.run()
