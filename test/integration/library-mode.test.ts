import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker, partitionForKey } from '../../src/index.js'
import { collect } from '../helpers/collect.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'

const RECORDS = 100_000
const PARTITIONS = 8

interface Ctx { dir: string, topic: string, sent: Map<number, Array<{ key: string, value: Buffer, h: string }>> }

const e2e = suite<Ctx>('library mode end to end')

e2e.before((ctx) => {
  ctx.dir = tmpDir()
  ctx.topic = uniqueTopic('orders')
  ctx.sent = new Map()
})
e2e.after((ctx) => { removeDir(ctx.dir) })

function valueFor (i: number): Buffer {
  const v = Buffer.alloc(64 + (i % 50))
  v.write(`value-${i}-`, 'utf8')
  for (let j = 12; j < v.length; j++) v[j] = (i * 31 + j) & 0xff
  return v
}

async function readAll (broker: Broker, topic: string, expected: Map<number, unknown[]>): Promise<Map<number, Array<{ key: string, value: Buffer, h: string, offset: bigint }>>> {
  const got = new Map<number, Array<{ key: string, value: Buffer, h: string, offset: bigint }>>()
  for (let p = 0; p < PARTITIONS; p++) {
    const consumer = broker.consumer({ maxWaitMs: 50 })
    consumer.assign([{ topic, partition: p, offset: 0n }])
    const messages = await collect(consumer, expected.get(p)?.length ?? 0)
    got.set(p, messages.map((m) => ({ key: m.key!.toString(), value: m.value!, h: m.headers.h!.toString(), offset: m.offset })))
    await consumer.close()
  }
  return got
}

function assertSameAsSent (got: Map<number, Array<{ key: string, value: Buffer, h: string, offset: bigint }>>, sent: Ctx['sent']): void {
  let total = 0
  for (let p = 0; p < PARTITIONS; p++) {
    const want = sent.get(p) ?? []
    const have = got.get(p) ?? []
    assert.is(have.length, want.length, `partition ${p} record count`)
    for (let i = 0; i < want.length; i++) {
      assert.is(have[i].offset, BigInt(i), `partition ${p} offsets are dense and ordered`)
      assert.is(have[i].key, want[i].key)
      assert.is(have[i].h, want[i].h)
      assert.ok(have[i].value.equals(want[i].value), `partition ${p} record ${i} value is byte-identical`)
    }
    total += have.length
  }
  assert.is(total, RECORDS)
}

e2e('100,000 keyed records over 8 partitions keep per-partition order and read back byte-identical, before and after reopening', async (ctx) => {
  let broker = await Broker.start({ dataDir: ctx.dir, workers: 2 })
  try {
    await broker.createTopic({ topic: ctx.topic, partitions: PARTITIONS, config: { 'retention.ms': '604800000' } })
    const producer = broker.producer({ acks: -1 })
    const CHUNK = 1000
    for (let start = 0; start < RECORDS; start += CHUNK) {
      const messages = []
      for (let i = start; i < start + CHUNK; i++) {
        const key = `key-${i % 997}`
        const value = valueFor(i)
        const h = `h${i}`
        messages.push({ key, value, headers: { h } })
        const p = partitionForKey(Buffer.from(key), PARTITIONS)
        let list = ctx.sent.get(p)
        if (list === undefined) ctx.sent.set(p, list = [])
        list.push({ key, value, h })
      }
      const acks = await producer.send({ topic: ctx.topic, messages })
      for (const ack of acks) assert.ok(ack.baseOffset >= 0n)
    }
    await producer.close()
    assertSameAsSent(await readAll(broker, ctx.topic, ctx.sent), ctx.sent)
  } finally {
    await broker.close()
  }

  broker = await Broker.start({ dataDir: ctx.dir, workers: 2 })
  try {
    assert.equal(broker.listTopics(), [ctx.topic])
    const description = await broker.describeTopic(ctx.topic)
    assert.is(description.partitions.length, PARTITIONS)
    assert.is(description.config['retention.ms'], '604800000')
    assertSameAsSent(await readAll(broker, ctx.topic, ctx.sent), ctx.sent)
  } finally {
    await broker.close()
  }
})

e2e.run()

// ---

const memory = suite('in-memory broker')

memory('dataDir null keeps records in memory with the same API', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    await broker.createTopic({ topic: 'm', partitions: 2 })
    const producer = broker.producer()
    const acks = await producer.send({ topic: 'm', messages: [{ key: 'k1', value: 'v1', headers: { h: 'x' } }, { key: 'k1', value: 'v2' }] })
    assert.is(acks.length, 1)
    assert.is(acks[0].partition, partitionForKey(Buffer.from('k1'), 2))
    assert.is(acks[0].baseOffset, 0n)
    const consumer = broker.consumer({ maxWaitMs: 20 })
    consumer.assign([{ topic: 'm', partition: acks[0].partition, offset: 0n }])
    const got = await collect(consumer, 2)
    assert.equal(got.map((m) => [m.offset, m.key?.toString(), m.value?.toString()]), [[0n, 'k1', 'v1'], [1n, 'k1', 'v2']])
    assert.is(got[0].headers.h?.toString(), 'x')
  } finally {
    await broker.close()
  }
})

memory('a consumer waiting on an empty partition wakes when a record arrives', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    await broker.createTopic({ topic: 'wake', partitions: 1 })
    const consumer = broker.consumer({ maxWaitMs: 5000 })
    consumer.assign([{ topic: 'wake', partition: 0, offset: 'latest' }])
    const polled = consumer.poll()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await broker.producer().send({ topic: 'wake', messages: [{ value: 'late' }] })
    const got = await polled
    assert.is(got.length, 1)
    assert.is(got[0].value?.toString(), 'late')
  } finally {
    await broker.close()
  }
})

memory('a send that fills several batches of one partition resolves only once all of them are appended', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    await broker.createTopic({ topic: 'split', partitions: 1 })
    const producer = broker.producer({ batchSize: 200 })
    await producer.send({ topic: 'split', messages: [{ value: 'first' }] })
    const messages = Array.from({ length: 50 }, (_, i) => ({ value: `value-${i}-${'y'.repeat(20)}` }))
    const acks = await producer.send({ topic: 'split', messages })
    assert.equal(acks, [{ topic: 'split', partition: 0, baseOffset: 1n }])
    const description = await broker.describeTopic('split')
    assert.is(description.partitions[0].highWatermark, 51n)
    assert.is(description.partitions[0].logEndOffset, 51n)
    assert.ok(description.partitions[0].sizeBytes! > 0, 'the log has bytes on disk')
  } finally {
    await broker.close()
  }
})

memory.run()
