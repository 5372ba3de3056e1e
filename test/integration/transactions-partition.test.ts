/**
 * The partition side of transactions, driven directly: transactional batches appended through
 * the dispatcher, markers written with `dispatcher.writeTxnMarkers` (as the transaction coordinator will),
 * read back with raw read_committed Fetch and ListOffsets, a kafkajs read_committed consumer
 * and the library consumer. Covers the LSO, the aborted list, long-poll wake-ups by markers,
 * fenced epochs, and the LSO and .txnindex across restarts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { LogStatus } from '../../src/log/errors.js'
import { kafkaCodeOf } from '../../src/server/status.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { FetchResponse, PartitionData } from '../../src/protocol/apis/fetch.js'
import type { ListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js'
import { BatchBuilder, decodeBatches } from '../../src/protocol/record-batch.js'
import type { TxnMarkerRequest } from '../../src/transactions/txn-markers.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { kcat, WireClient } from './kafka-wire.js'

const READ_UNCOMMITTED = 0
const READ_COMMITTED = 1

function txnBatch (producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  const builder = new BatchBuilder({ producerId, producerEpoch, baseSequence, transactional: true })
  for (const v of values) builder.append(1_700_000_000_000, Buffer.from('k'), Buffer.from(v))
  return builder.build()
}

function plainBatch (values: string[]): Buffer {
  const builder = new BatchBuilder()
  for (const v of values) builder.append(1_700_000_000_000, Buffer.from('k'), Buffer.from(v))
  return builder.build()
}

interface Ctx { dir: string, broker: Broker, wire: WireClient, log: CaptureLogger }
const txn = suite<Ctx>('transactions: partition side')

async function start (ctx: Ctx): Promise<void> {
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, logger: ctx.log.logger })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
}

async function stop (ctx: Ctx): Promise<void> {
  ctx.wire.close()
  await ctx.broker.close()
}

txn.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-txn-')
  await start(ctx)
})
txn.after.each(async (ctx) => {
  await stop(ctx)
  removeDir(ctx.dir)
})

/**
 * Appends through the dispatcher, below the Produce handler: its check that the partition is in
 * the producer's transaction asks the coordinator, which these tests leave out on purpose (the
 * coordinator's tests cover that check).
 */
async function produce (ctx: Ctx, topic: string, records: Buffer): Promise<{ errorCode: number, baseOffset: number }> {
  const answer = await ctx.broker.dispatcher.append(ctx.broker.dispatcher.partition(topic, 0)!, records)
  return answer.status === LogStatus.Ok ? { errorCode: KafkaCode.NONE, baseOffset: answer.baseOffset } : { errorCode: kafkaCodeOf(answer.status), baseOffset: -1 }
}

async function fetch (ctx: Ctx, topic: string, offset: number, isolationLevel: number, maxWaitMs = 0, wire = ctx.wire): Promise<PartitionData> {
  const res = await wire.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 8 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  const pd = res.responses[0].partitions[0]
  assert.is(pd.errorCode, KafkaCode.NONE)
  return pd
}

/** Values of the data records in a fetch answer (control batches left out, aborted ones kept: they stay on the wire). */
function values (pd: PartitionData): string[] {
  const out: string[] = []
  for (const batch of decodeBatches(pd.records as Buffer)) {
    if (batch.isControl) continue
    for (const r of batch.records) out.push(r.value!.toString())
  }
  return out
}

async function latest (ctx: Ctx, topic: string, isolationLevel: number, timestamp = -1): Promise<number> {
  const res = await ctx.wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }]
  })
  const p = res.topics[0].partitions[0]
  assert.is(p.errorCode, KafkaCode.NONE)
  return p.offset!
}

function markers (ctx: Ctx, topic: string, producerId: number, producerEpoch: number, result: 'commit' | 'abort'): ReturnType<Broker['dispatcher']['writeTxnMarkers']> {
  const request: TxnMarkerRequest = { producerId, producerEpoch, coordinatorEpoch: 0, result, partitions: [{ topic, partition: 0 }] }
  return ctx.broker.dispatcher.writeTxnMarkers(request)
}

txn('read_committed stops at the LSO and lists the aborted transactions; read_uncommitted reads to the HW with no list', async (ctx) => {
  const topic = uniqueTopic('txn-lso')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  assert.is((await produce(ctx, topic, plainBatch(['a']))).baseOffset, 0)
  assert.is((await produce(ctx, topic, txnBatch(1000, 0, 0, ['c1', 'c2']))).baseOffset, 1)
  assert.is((await produce(ctx, topic, txnBatch(2000, 0, 0, ['x1']))).baseOffset, 3)
  assert.is((await produce(ctx, topic, plainBatch(['b']))).baseOffset, 4)

  let committed = await fetch(ctx, topic, 0, READ_COMMITTED)
  assert.equal(values(committed), ['a'])
  assert.is(committed.lastStableOffset, 1)
  assert.is(committed.highWatermark, 5)
  assert.equal(committed.abortedTransactions, [])
  assert.is(await latest(ctx, topic, READ_COMMITTED), 1)
  assert.is(await latest(ctx, topic, READ_UNCOMMITTED), 5)

  assert.equal(await markers(ctx, topic, 1000, 0, 'commit'), [{ topic, partition: 0, errorCode: KafkaCode.NONE }])
  assert.is(await latest(ctx, topic, READ_COMMITTED), 3, 'producer 2000 still holds the LSO')
  assert.equal(await markers(ctx, topic, 2000, 0, 'abort'), [{ topic, partition: 0, errorCode: KafkaCode.NONE }])
  assert.is(await latest(ctx, topic, READ_COMMITTED), 7)

  committed = await fetch(ctx, topic, 0, READ_COMMITTED)
  assert.equal(values(committed), ['a', 'c1', 'c2', 'x1', 'b'], 'aborted records stay on the wire; the client drops them')
  assert.is(committed.lastStableOffset, 7)
  assert.equal(committed.abortedTransactions, [{ producerId: 2000, firstOffset: 3 }])
  const fromFive = await fetch(ctx, topic, 5, READ_COMMITTED)
  assert.equal(fromFive.abortedTransactions, [{ producerId: 2000, firstOffset: 3 }], 'its marker (6) is still ahead of offset 5')
  const fromSeven = await fetch(ctx, topic, 7, READ_COMMITTED)
  assert.equal(fromSeven.abortedTransactions, [])
  const uncommitted = await fetch(ctx, topic, 0, READ_UNCOMMITTED)
  assert.is(uncommitted.abortedTransactions, null)
  assert.is(uncommitted.lastStableOffset, 7)
})

txn('ListOffsets by timestamp with read_committed finds nothing at or past the LSO', async (ctx) => {
  const topic = uniqueTopic('txn-times')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, txnBatch(1500, 0, 0, ['open']))
  assert.is(await latest(ctx, topic, READ_UNCOMMITTED, 1_700_000_000_000), 0)
  assert.is(await latest(ctx, topic, READ_COMMITTED, 1_700_000_000_000), -1)
  await markers(ctx, topic, 1500, 0, 'commit')
  assert.is(await latest(ctx, topic, READ_COMMITTED, 1_700_000_000_000), 0)
})

txn('a read_committed long-poll parked at the LSO wakes when a marker moves it, not before', async (ctx) => {
  const topic = uniqueTopic('txn-wake')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, txnBatch(3000, 0, 0, ['t']))
  const p = ctx.broker.dispatcher.partition(topic, 0)!
  let done = false
  // Its own connection: the produce below must not queue behind the parked poll.
  const consumerWire = await WireClient.connect(ctx.broker.port!)
  const polled = fetch(ctx, topic, 0, READ_COMMITTED, 20_000, consumerWire).then((pd) => { done = true; return pd }, (err) => { done = true; throw err })
  await until('the poll to park', () => ctx.broker.dispatcher.parkedPolls(p) > 0)
  // Data after the open transaction lands, and the poll re-reads, but the LSO has not moved.
  await produce(ctx, topic, plainBatch(['after']))
  await until('the poll to park again', () => done || ctx.broker.dispatcher.parkedPolls(p) > 0)
  assert.not.ok(done, 'nothing is readable below the LSO yet')
  await markers(ctx, topic, 3000, 0, 'commit')
  const pd = await polled
  consumerWire.close()
  assert.equal(values(pd), ['t', 'after'])
  assert.is(pd.lastStableOffset, 3)
})

txn('fenced epochs: an older marker gets INVALID_PRODUCER_EPOCH and is logged; a delayed produce from the old epoch too', async (ctx) => {
  const topic = uniqueTopic('txn-fence')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, txnBatch(4000, 5, 0, ['old']))
  // The coordinator aborts with a bumped epoch (a new producer took the transactional id).
  assert.equal(await markers(ctx, topic, 4000, 6, 'abort'), [{ topic, partition: 0, errorCode: KafkaCode.NONE }])
  assert.equal(await markers(ctx, topic, 4000, 5, 'commit'), [{ topic, partition: 0, errorCode: KafkaCode.INVALID_PRODUCER_EPOCH }])
  assert.ok(ctx.log.find('transaction marker was not written', 'warn').length > 0)
  assert.is((await produce(ctx, topic, txnBatch(4000, 5, 1, ['late']))).errorCode, KafkaCode.INVALID_PRODUCER_EPOCH)
  const pd = await fetch(ctx, topic, 0, READ_COMMITTED)
  assert.equal(pd.abortedTransactions, [{ producerId: 4000, firstOffset: 0 }])
  assert.is(pd.lastStableOffset, 2)
})

txn('a marker for an unknown partition answers UNKNOWN_TOPIC_OR_PARTITION, per partition', async (ctx) => {
  const topic = uniqueTopic('txn-unknown')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const results = await ctx.broker.dispatcher.writeTxnMarkers({
    producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, result: 'commit', partitions: [{ topic, partition: 0 }, { topic, partition: 7 }, { topic: 'no-such-topic', partition: 0 }]
  })
  assert.equal(results.map(r => r.errorCode), [KafkaCode.NONE, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
})

txn('an open transaction keeps the LSO pinned across a restart; a deleted .txnindex is rebuilt', async (ctx) => {
  const topic = uniqueTopic('txn-restart')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, plainBatch(['a']))
  await produce(ctx, topic, txnBatch(5000, 0, 0, ['x']))
  await produce(ctx, topic, plainBatch(['b']))
  await stop(ctx)
  await start(ctx)
  assert.is(await latest(ctx, topic, READ_COMMITTED), 1, 'the recovered open transaction pins the LSO')
  assert.equal(await markers(ctx, topic, 5000, 0, 'abort'), [{ topic, partition: 0, errorCode: KafkaCode.NONE }])
  await stop(ctx)
  const dir = join(ctx.dir, `${topic}-0`)
  const indexes = readdirSync(dir).filter(n => n.endsWith('.txnindex'))
  assert.is(indexes.length, 1)
  for (const name of indexes) rmSync(join(dir, name))
  await start(ctx)
  const pd = await fetch(ctx, topic, 0, READ_COMMITTED)
  assert.equal(pd.abortedTransactions, [{ producerId: 5000, firstOffset: 1 }])
  assert.is(pd.lastStableOffset, 4)
  assert.equal(readdirSync(dir).filter(n => n.endsWith('.txnindex')), indexes)
})

txn('kafkajs read_committed sees committed records only; read_uncommitted sees aborted ones too', async (ctx) => {
  const topic = uniqueTopic('txn-kafkajs')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, plainBatch(['plain-1']))
  await produce(ctx, topic, txnBatch(6000, 0, 0, ['committed-1', 'committed-2']))
  await produce(ctx, topic, txnBatch(7000, 0, 0, ['aborted-1']))
  await produce(ctx, topic, txnBatch(6000, 0, 2, ['committed-3']))
  await markers(ctx, topic, 7000, 0, 'abort')
  await markers(ctx, topic, 6000, 0, 'commit')
  await produce(ctx, topic, plainBatch(['plain-2']))
  const kafka = new Kafka({ clientId: 'txn-test', brokers: [`127.0.0.1:${ctx.broker.port!}`], logLevel: logLevel.NOTHING })
  const read = async (readUncommitted: boolean, count: number): Promise<string[]> => {
    const consumer = kafka.consumer({ groupId: uniqueTopic('txn-group'), readUncommitted, maxWaitTimeInMs: 200 })
    const seen: string[] = []
    await consumer.connect()
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
      await until(`${count} records`, () => seen.length >= count)
    } finally {
      await consumer.disconnect()
    }
    return seen
  }
  assert.equal(await read(false, 5), ['plain-1', 'committed-1', 'committed-2', 'committed-3', 'plain-2'])
  assert.equal(await read(true, 6), ['plain-1', 'committed-1', 'committed-2', 'aborted-1', 'committed-3', 'plain-2'])
})

txn('kcat (librdkafka) read_committed skips the aborted records and the markers', async (ctx) => {
  const topic = uniqueTopic('txn-kcat')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, txnBatch(6100, 0, 0, ['committed-1']))
  await produce(ctx, topic, txnBatch(7100, 0, 0, ['aborted-1', 'aborted-2']))
  await produce(ctx, topic, plainBatch(['plain-1']))
  await markers(ctx, topic, 7100, 0, 'abort')
  await markers(ctx, topic, 6100, 0, 'commit')
  await produce(ctx, topic, plainBatch(['plain-2']))
  const read = async (isolation: string): Promise<string[]> => (await kcat(['-C', '-b', `127.0.0.1:${ctx.broker.port!}`, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\\n'])).split('\n').filter(Boolean)
  assert.equal(await read('read_committed'), ['committed-1', 'plain-1', 'plain-2'])
  assert.equal(await read('read_uncommitted'), ['committed-1', 'aborted-1', 'aborted-2', 'plain-1', 'plain-2'])
})

txn('the library consumer: read_committed skips aborted records and markers, read_uncommitted only markers', async (ctx) => {
  const topic = uniqueTopic('txn-library')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  await produce(ctx, topic, txnBatch(8000, 0, 0, ['kept']))
  await produce(ctx, topic, txnBatch(9000, 0, 0, ['dropped']))
  await markers(ctx, topic, 9000, 0, 'abort')
  await produce(ctx, topic, txnBatch(9000, 1, 0, ['open']))
  const poll = async (isolationLevel: 'read_committed' | 'read_uncommitted', count: number): Promise<Array<[string, bigint]>> => {
    const consumer = ctx.broker.consumer({ maxWaitMs: 50, isolationLevel })
    consumer.assign([{ topic, partition: 0, offset: 0n }])
    const seen: Array<[string, bigint]> = []
    try {
      await until(`${count} records`, async () => {
        for (const m of await consumer.poll()) seen.push([m.value!.toString(), m.offset])
        return seen.length >= count
      })
    } finally {
      await consumer.close()
    }
    return seen
  }
  // Producer 8000's transaction is still open: read_committed sees nothing of it yet.
  await markers(ctx, topic, 8000, 0, 'commit')
  assert.equal(await poll('read_committed', 1), [['kept', 0n]])
  assert.equal(await poll('read_uncommitted', 3), [['kept', 0n], ['dropped', 1n], ['open', 3n]])
  assert.throws(() => ctx.broker.consumer({ isolationLevel: 'committed' as any }), /isolationLevel must be 'read_committed' or 'read_uncommitted'/)
})

txn.run()
