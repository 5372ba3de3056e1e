/**
 * The library producer's batches stay under the topic's max.message.bytes and what the
 * partition ring takes, with the default options: bulk sends that used to overflow one batch
 * (and fail with MR_ERR_RECORD_TOO_LARGE after writing part of the send) now land whole, and a
 * record too large for any batch fails its send before anything of it is written.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { Broker, MillraceError } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { forEachBatch } from '../../src/protocol/record-batch.js'
import { recordCountOf } from '../../src/protocol/batch-header.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { WireClient } from './kafka-wire.js'

interface Ctx { dir: string, broker: Broker, wire: WireClient }
const batches = suite<Ctx>('library producer batch sealing')

batches.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
batches.after(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

/** About 100 bytes, distinct per record. */
function valueOf (i: number): Buffer {
  return Buffer.from(`record-${i}-`.padEnd(100, 'x'))
}

/** Sizes and record counts of every batch of a partition, read back over Fetch. */
async function storedBatches (wire: WireClient, topic: string, partition: number): Promise<Array<{ size: number, records: number }>> {
  const out: Array<{ size: number, records: number }> = []
  let offset = 0
  for (;;) {
    const res = await wire.request<FetchResponse>(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 64 << 20 }] }],
      forgottenTopicsData: [], rackId: ''
    })
    const pd = res.responses[0].partitions[0]
    assert.is(pd.errorCode, 0)
    const records = pd.records as Buffer
    if (records === null || records.length === 0) return out
    forEachBatch(records, (at, size) => {
      out.push({ size, records: recordCountOf(records, at) })
      offset = Number(records.readBigInt64BE(at)) + records.readInt32BE(at + 23) + 1
    })
    if (offset >= pd.highWatermark) return out
  }
}

async function highWatermarks (broker: Broker, topic: string, partitions: number): Promise<number[]> {
  const out: number[] = []
  for (let p = 0; p < partitions; p++) {
    const state = broker.dispatcher.partition(topic, p)!
    const offsets = await broker.dispatcher.describePartition(state)
    out.push(offsets!.highWatermark)
  }
  return out
}

const DEFAULT_MAX_MESSAGE_BYTES = 1048588

batches('100 concurrent sends of 1,000 × 100 B over 8 partitions all land, in batches under max.message.bytes', async ({ broker, wire }) => {
  const topic = uniqueTopic('bulk-concurrent')
  await broker.createTopic({ topic, partitions: 8 })
  const producer = broker.producer()
  const sends = []
  for (let s = 0; s < 100; s++) {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ partition: (s + i) % 8, value: valueOf(s * 1000 + i) }))
    sends.push(producer.send({ topic, messages }))
  }
  const results = await Promise.allSettled(sends)
  const failed = results.filter((r) => r.status === 'rejected')
  assert.is(failed.length, 0, `failed sends: ${failed.map((r) => String((r as PromiseRejectedResult).reason)).slice(0, 3).join('; ')}`)
  await producer.close()
  assert.equal(await highWatermarks(broker, topic, 8), Array(8).fill(100_000 / 8))
  for (let p = 0; p < 8; p++) {
    const stored = await storedBatches(wire, topic, p)
    assert.is(stored.reduce((n, b) => n + b.records, 0), 100_000 / 8)
    for (const b of stored) assert.ok(b.size <= DEFAULT_MAX_MESSAGE_BYTES, `a batch of ${b.size} bytes`)
  }
})

batches('one send of 12,000 records to one partition lands whole', async ({ broker, wire }) => {
  const topic = uniqueTopic('bulk-one')
  await broker.createTopic({ topic, partitions: 1 })
  const producer = broker.producer()
  const [meta] = await producer.send({ topic, messages: Array.from({ length: 12_000 }, (_, i) => ({ value: valueOf(i) })) })
  assert.is(meta.baseOffset, 0n)
  await producer.close()
  const stored = await storedBatches(wire, topic, 0)
  assert.is(stored.reduce((n, b) => n + b.records, 0), 12_000)
  for (const b of stored) assert.ok(b.size <= DEFAULT_MAX_MESSAGE_BYTES, `a batch of ${b.size} bytes`)
})

batches('a topic with a small max.message.bytes gets batches that fit it, with and without compression', async ({ broker, wire }) => {
  for (const compression of ['none', 'gzip', 'zstd', 'lz4', 'snappy'] as const) {
    const topic = uniqueTopic(`small-limit-${compression}`)
    await broker.createTopic({ topic, partitions: 1, config: { 'max.message.bytes': '10000' } })
    const producer = broker.producer({ compression })
    // Random bytes do not compress: the compressed batch is a little larger than its records.
    await producer.send({ topic, messages: Array.from({ length: 2000 }, () => ({ value: randomBytes(100) })) })
    await producer.close()
    const stored = await storedBatches(wire, topic, 0)
    assert.is(stored.reduce((n, b) => n + b.records, 0), 2000, compression)
    for (const b of stored) assert.ok(b.size <= 10_000, `${compression}: a batch of ${b.size} bytes`)
  }
})

batches('a record too large for any batch fails its send with MR_ERR_RECORD_TOO_LARGE and writes nothing of it', async ({ broker }) => {
  const topic = uniqueTopic('too-large')
  await broker.createTopic({ topic, partitions: 3, config: { 'max.message.bytes': '5000' } })
  const producer = broker.producer()
  const before = await highWatermarks(broker, topic, 3)
  const messages = [
    { partition: 0, value: valueOf(1) },
    { partition: 1, value: valueOf(2) },
    { partition: 2, value: Buffer.alloc(6000) },
    { partition: 0, value: valueOf(3) }
  ]
  const err = await producer.send({ topic, messages }).then(() => null, (e: unknown) => e)
  assert.instance(err, MillraceError)
  assert.is((err as MillraceError).code, 'MR_ERR_RECORD_TOO_LARGE')
  assert.match((err as Error).message, /messages\[2\]/)
  await producer.flush()
  assert.equal(await highWatermarks(broker, topic, 3), before, 'no record of the failed send was written')
  // The producer carries on.
  await producer.send({ topic, messages: [{ partition: 2, value: Buffer.alloc(4000) }] })
  await producer.close()
  assert.equal(await highWatermarks(broker, topic, 3), [before[0], before[1], before[2] + 1])
})

batches.run()
