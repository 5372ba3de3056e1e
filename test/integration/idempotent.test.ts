/**
 * The idempotent producer over the wire: a batch sent twice (before and after a restart on the
 * same data dir) is stored once and both answers carry its offset; gaps and fenced epochs get
 * their Kafka codes; read_committed reads up to the high watermark; InitProducerId ids never
 * repeat across a restart.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import { BatchBuilder, decodeBatches } from '../../src/protocol/record-batch.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { WireClient } from './kafka-wire.js'

const PRODUCE_VERSION = 9

function idempotentBatch (producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  const builder = new BatchBuilder({ producerId, producerEpoch, baseSequence })
  for (const v of values) builder.append(1_700_000_000_000, null, Buffer.from(v))
  return builder.build()
}

async function produce (wire: WireClient, topic: string, records: Buffer): Promise<{ errorCode: number, baseOffset: number }> {
  const res = await wire.request<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, {
    transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }]
  })
  const p = res.responses[0].partitionResponses[0]
  return { errorCode: p.errorCode, baseOffset: p.baseOffset }
}

async function fetchAll (wire: WireClient, topic: string, isolationLevel: number): Promise<{ values: string[], highWatermark: number, lastStableOffset: number }> {
  const res = await wire.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  const pd = res.responses[0].partitions[0]
  assert.is(pd.errorCode, KafkaCode.NONE)
  const values: string[] = []
  for (const batch of decodeBatches(pd.records as Buffer)) for (const r of batch.records) values.push(r.value!.toString())
  return { values, highWatermark: pd.highWatermark, lastStableOffset: pd.lastStableOffset ?? -1 }
}

interface Ctx { dir: string, broker: Broker, wire: WireClient }
const wire = suite<Ctx>('idempotent produce over the wire')

wire.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-idem-')
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
wire.after.each(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

async function restart (ctx: Ctx): Promise<void> {
  ctx.wire.close()
  await ctx.broker.close()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
}

wire('a batch sent twice, before and after a restart, is stored once; every answer carries its offset', async (ctx) => {
  const topic = uniqueTopic('idem')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(77, 0, 0, ['a', 'b'])), { errorCode: 0, baseOffset: 0 })
  const second = idempotentBatch(77, 0, 2, ['c'])
  assert.equal(await produce(ctx.wire, topic, second), { errorCode: 0, baseOffset: 2 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(77, 0, 2, ['c'])), { errorCode: 0, baseOffset: 2 })
  await restart(ctx)
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(77, 0, 2, ['c'])), { errorCode: 0, baseOffset: 2 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(77, 0, 0, ['a', 'b'])), { errorCode: 0, baseOffset: 0 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(77, 0, 3, ['d'])), { errorCode: 0, baseOffset: 3 })
  assert.equal((await fetchAll(ctx.wire, topic, 0)).values, ['a', 'b', 'c', 'd'])
})

wire('a batch sent twice around a crash of its worker is stored once', async (ctx) => {
  const topic = uniqueTopic('idem-crash')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(5, 1, 0, ['x'])), { errorCode: 0, baseOffset: 0 })
  const p = ctx.broker.dispatcher.partition(topic, 0)!
  await ctx.broker.dispatcher.crashWorkerOf(p)
  await ctx.broker.dispatcher.whenOnline()
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(5, 1, 0, ['x'])), { errorCode: 0, baseOffset: 0 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(5, 1, 1, ['y'])), { errorCode: 0, baseOffset: 1 })
  assert.equal((await fetchAll(ctx.wire, topic, 0)).values, ['x', 'y'])
})

wire('a sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch INVALID_PRODUCER_EPOCH; neither is stored', async (ctx) => {
  const topic = uniqueTopic('idem-codes')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.is((await produce(ctx.wire, topic, idempotentBatch(9, 2, 0, ['ok']))).errorCode, KafkaCode.NONE)
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(9, 2, 5, ['gap'])), { errorCode: KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(9, 1, 1, ['fenced'])), { errorCode: KafkaCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(9, 3, 4, ['new epoch not at 0'])), { errorCode: KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(9, 3, 0, ['bumped'])), { errorCode: KafkaCode.NONE, baseOffset: 1 })
  assert.equal(await produce(ctx.wire, topic, idempotentBatch(9, 2, 1, ['old'])), { errorCode: KafkaCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 })
  assert.equal((await fetchAll(ctx.wire, topic, 0)).values, ['ok', 'bumped'])
})

wire('read_committed reads up to the high watermark, which is the last stable offset', async (ctx) => {
  const topic = uniqueTopic('idem-rc')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx.wire, topic, idempotentBatch(3, 0, 0, ['1', '2']))
  await produce(ctx.wire, topic, idempotentBatch(3, 0, 2, ['3']))
  const committed = await fetchAll(ctx.wire, topic, 1)
  const uncommitted = await fetchAll(ctx.wire, topic, 0)
  assert.equal(committed.values, ['1', '2', '3'])
  assert.equal(committed, uncommitted)
  assert.is(committed.highWatermark, 3)
  assert.is(committed.lastStableOffset, 3)
})

wire('InitProducerId: new ids at epoch 0 on every version, never repeated after a restart, transactional ids included', async (ctx) => {
  const seen = new Set<number>()
  for (let round = 0; round < 2; round++) {
    for (let version = 0; version <= 4; version++) {
      const res = await ctx.wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
      assert.is(res.errorCode, KafkaCode.NONE)
      assert.is(res.producerEpoch, 0)
      assert.not.ok(seen.has(res.producerId), `producer id ${res.producerId} given twice`)
      seen.add(res.producerId)
    }
    await restart(ctx)
  }
  const tx = await ctx.wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
  assert.is(tx.errorCode, KafkaCode.NONE)
  assert.not.ok(seen.has(tx.producerId), `producer id ${tx.producerId} given twice`)
})

wire.run()
