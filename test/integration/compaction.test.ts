/**
 * Compacted topics with unmodified clients: kafkajs and kcat write several values per key and
 * tombstones to a topic with small segments, one cleaner pass runs (`cleanNow`), and a consumer
 * from the beginning sees exactly the latest value of each key; a second pass past
 * delete.retention.ms drops the tombstones. A record without a key is refused, compact,delete
 * still applies retention, and a broker in memory compacts too.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import kafkajs, { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat } from './kafka-wire.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { Compression, compress, decompress, DEFAULT_MAX_INFLATED_BYTES } from '../../src/protocol/compression.js'

// kafkajs reads only gzip by itself; kcat really compresses with snappy and lz4 (Produce v0 is
// advertised), so the kafkajs reader gets those codecs from the project's own compression module.
for (const [type, codec] of [[CompressionTypes.Snappy, Compression.Snappy], [CompressionTypes.LZ4, Compression.Lz4]] as const) {
  kafkajs.CompressionCodecs[type] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(codec, buffer, DEFAULT_MAX_INFLATED_BYTES)
  })
}

interface Ctx { dir: string, broker: Broker, kafka: Kafka, producer: Producer, log: CaptureLogger }
const compaction = suite<Ctx>('compacted topics over TCP')

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Small segments, clean whenever anything is dirty, drop tombstones at the second pass. */
const COMPACTED = { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '0' }
const FILLER = 'x'.repeat(1500)

function kafkaFor (broker: Broker): Kafka {
  return new Kafka({ clientId: 'compaction-test', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } })
}

interface Seen { offset: number, key: string, value: string | null }

/** Reads the whole partition from the beginning with a kafkajs consumer group (auto offset reset earliest). */
async function consumeAll (kafka: Kafka, topic: string, highWatermark: number): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: uniqueTopic('compaction-group'), maxWaitTimeInMs: 50, heartbeatInterval: 100 })
  const seen: Seen[] = []
  let last = -1
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        last = Number(message.offset)
        seen.push({ offset: last, key: message.key!.toString(), value: message.value === null ? null : message.value.toString() })
      }
    })
    const deadline = Date.now() + 20_000
    while (last < highWatermark - 1) {
      if (Date.now() > deadline) throw new Error(`kafkajs consumer stopped at offset ${last} of ${highWatermark}`)
      await sleep(20)
    }
  } finally {
    await consumer.disconnect()
  }
  return seen
}

/** kcat from the beginning to the end: `key=value`, NULL for a tombstone. */
async function kcatAll (broker: Broker, topic: string): Promise<Seen[]> {
  const out = await kcat(['-b', broker.address!, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o %k=%s\\n'])
  return out.split('\n').filter((l) => l.length > 0).map((line) => {
    const [offset, rest] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]
    const [key, value] = [rest.slice(0, rest.indexOf('=')), rest.slice(rest.indexOf('=') + 1)]
    return { offset: Number(offset), key, value: value === 'NULL' ? null : value }
  })
}

async function highWatermarkOf (kafka: Kafka, topic: string): Promise<{ low: number, high: number }> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [p] = await admin.fetchTopicOffsets(topic)
    return { low: Number(p.low), high: Number(p.high) }
  } finally {
    await admin.disconnect()
  }
}

/** The view a consumer must end with: the last value of each key, deleted keys absent, in offset order. */
function latestView (writes: Array<[string, string | null, number]>): Seen[] {
  const last = new Map<string, Seen>()
  for (const [key, value, offset] of writes) last.set(key, { offset, key, value })
  return [...last.values()].filter((s) => s.value !== null).sort((a, b) => a.offset - b.offset)
}

function withoutFiller (seen: Seen[]): Seen[] { return seen.filter((s) => s.key !== 'filler') }

compaction.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 1, retentionCheckIntervalMs: 100, logger: ctx.log.logger })
  ctx.kafka = kafkaFor(ctx.broker)
  ctx.producer = ctx.kafka.producer({ allowAutoTopicCreation: false })
  await ctx.producer.connect()
})
compaction.after(async (ctx) => {
  await ctx.producer.disconnect()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

compaction('kafkajs: values and tombstones clean to the latest value per key; tombstones go at the next pass', async (ctx) => {
  const topic = uniqueTopic('compact-kafkajs')
  await ctx.broker.createTopic({ topic, partitions: 1, config: COMPACTED })
  const writes: Array<[string, string | null, number]> = []
  for (let round = 0; round < 8; round++) {
    const messages = []
    for (let k = 0; k < 10; k++) {
      // k3 is deleted in round 4 and written again; k7 and k8 end deleted.
      const deleted = (k === 3 && round === 4) || ((k === 7 || k === 8) && round === 7)
      messages.push({ key: `k${k}`, value: deleted ? null : `v${k}-${round}` })
    }
    const [res] = await ctx.producer.send({ topic, messages, compression: round % 2 === 1 ? CompressionTypes.GZIP : CompressionTypes.None })
    messages.forEach((m, i) => writes.push([m.key, m.value, Number(res.baseOffset) + i]))
  }
  // A batch larger than segment.bytes rolls the log: everything above is in closed segments.
  await ctx.producer.send({ topic, messages: [{ key: 'filler', value: FILLER }] })
  const { high } = await highWatermarkOf(ctx.kafka, topic)
  assert.is(high, 81)

  const first = await ctx.broker.dispatcher.cleanNow()
  const result = first.results.find((r) => r.records === 80)
  assert.ok(result !== undefined, `a pass cleaned the topic: ${JSON.stringify(first)}`)
  assert.is(result.keptRecords, 10)
  const logged = ctx.log.find('compacted segments replaced', 'info').find((l) => l.fields.partition === `${topic}-0`)
  assert.ok(logged !== undefined, 'the clean is logged')
  assert.is(logged.fields.records, 80)
  assert.is(logged.fields.keptRecords, 10)
  let seen = withoutFiller(await consumeAll(ctx.kafka, topic, high))
  const withTombstones = [...latestView(writes), ...['k7', 'k8'].map((k) => ({ offset: writes.findLastIndex((w) => w[0] === k), key: k, value: null }))]
  assert.equal(seen, withTombstones.sort((a, b) => a.offset - b.offset), 'tombstones stay until their horizon')

  await ctx.broker.dispatcher.cleanNow()
  seen = withoutFiller(await consumeAll(ctx.kafka, topic, high))
  assert.equal(seen, latestView(writes))
  assert.equal(withoutFiller(await kcatAll(ctx.broker, topic)), latestView(writes), 'kcat reads the same view')
  assert.is((await highWatermarkOf(ctx.kafka, topic)).high, 81, 'the log end offset does not move')
})

compaction('kcat: keyed records and empty-value tombstones (snappy, lz4) clean to the latest value per key', async (ctx) => {
  const topic = uniqueTopic('compact-kcat')
  await ctx.broker.createTopic({ topic, partitions: 1, config: COMPACTED })
  const writes: Array<[string, string | null, number]> = []
  let offset = 0
  for (let round = 0; round < 6; round++) {
    const lines: string[] = []
    for (let k = 0; k < 8; k++) {
      const deleted = (k === 2 && round === 5) || (k === 5 && round === 2)
      lines.push(`key${k}:${deleted ? '' : `val${k}-${round}-${'p'.repeat(40)}`}`)
      writes.push([`key${k}`, deleted ? null : `val${k}-${round}-${'p'.repeat(40)}`, offset++])
    }
    await kcat(['-b', ctx.broker.address!, '-P', '-t', topic, '-p', '0', '-K', ':', '-Z', '-z', round % 2 === 0 ? 'snappy' : 'lz4'], lines.join('\n') + '\n')
  }
  await kcat(['-b', ctx.broker.address!, '-P', '-t', topic, '-p', '0', '-K', ':'], `filler:${FILLER}\n`)
  const { high } = await highWatermarkOf(ctx.kafka, topic)
  assert.is(high, offset + 1)

  await ctx.broker.dispatcher.cleanNow()
  await ctx.broker.dispatcher.cleanNow()
  assert.equal(withoutFiller(await kcatAll(ctx.broker, topic)), latestView(writes))
  assert.equal(withoutFiller(await consumeAll(ctx.kafka, topic, high)), latestView(writes), 'kafkajs reads the same view')
})

compaction('a record without a key is refused on a compacted topic with INVALID_RECORD, accepted elsewhere', async (ctx) => {
  const topic = uniqueTopic('compact-nokey')
  await ctx.broker.createTopic({ topic, partitions: 1, config: COMPACTED })
  const err = await ctx.producer.send({ topic, messages: [{ value: 'no key' }] }).then(() => null, (e: Error & { type?: string }) => e)
  assert.ok(err !== null, 'the send fails')
  assert.match(`${err.type ?? ''} ${err.message}`, /INVALID_RECORD|invalid/i)
  const plain = uniqueTopic('plain-nokey')
  await ctx.broker.createTopic({ topic: plain, partitions: 1 })
  const [res] = await ctx.producer.send({ topic: plain, messages: [{ value: 'no key' }] })
  assert.is(res.errorCode, 0)
})

compaction('bad compaction configs are refused with the key named', async (ctx) => {
  for (const [key, value] of [['min.cleanable.dirty.ratio', '2'], ['delete.retention.ms', '-3'], ['cleanup.policy', 'compact,forever']]) {
    const err = await ctx.broker.createTopic({ topic: uniqueTopic('bad'), partitions: 1, config: { [key]: value } }).then(() => null, (e: Error) => e)
    assert.ok(err !== null && err.message.includes(key), `${key}=${value}: ${err?.message ?? 'accepted'}`)
  }
})

compaction('compact,delete: retention deletes old segments and the cleaner compacts the rest', async (ctx) => {
  const topic = uniqueTopic('compact-delete')
  await ctx.broker.createTopic({ topic, partitions: 1, config: { ...COMPACTED, 'cleanup.policy': 'compact,delete', 'retention.ms': '60000' } })
  // Four rounds an hour old, one segment each (600-byte batches, 1024-byte segments).
  const old = String(Date.now() - 3_600_000)
  for (let round = 0; round < 4; round++) {
    await ctx.producer.send({ topic, messages: Array.from({ length: 10 }, (_, k) => ({ key: `o${k}`, value: `old-${round}-${'q'.repeat(30)}`, timestamp: old })) })
  }
  // A batch larger than a segment starts the fresh data in a segment of its own.
  await ctx.producer.send({ topic, messages: [{ key: 'fresh-start', value: FILLER }] })
  const deadline = Date.now() + 10_000
  let offsets = await highWatermarkOf(ctx.kafka, topic)
  while (offsets.low < 40) {
    if (Date.now() > deadline) throw new Error(`retention did not delete the old segments: log start offset ${offsets.low}`)
    await sleep(50)
    offsets = await highWatermarkOf(ctx.kafka, topic)
  }
  assert.is(offsets.low, 40, 'every segment of old records went, none of the fresh ones')

  const writes: Array<[string, string | null, number]> = [['fresh-start', FILLER, 40]]
  for (let round = 0; round < 4; round++) {
    const messages = Array.from({ length: 5 }, (_, k) => ({ key: `f${k}`, value: `fresh-${k}-${round}-${'s'.repeat(60)}` }))
    const [res] = await ctx.producer.send({ topic, messages })
    messages.forEach((m, i) => writes.push([m.key, m.value, Number(res.baseOffset) + i]))
  }
  await ctx.producer.send({ topic, messages: [{ key: 'filler', value: FILLER }] })
  const report = await ctx.broker.dispatcher.cleanNow()
  assert.ok(report.results.some((r) => r.records >= 20 && r.keptRecords === 6), JSON.stringify(report))
  assert.equal(withoutFiller(await kcatAll(ctx.broker, topic)), latestView(writes))
  assert.is((await highWatermarkOf(ctx.kafka, topic)).low, 40)
})

compaction.run()

const restart = suite('compacted topics across a restart')

restart('a restarted broker serves the cleaned log (recovery accepts its gaps) and cleans it again', async () => {
  const dir = tmpDir()
  let broker = await Broker.start({ dataDir: dir, port: 0, workers: 1 })
  try {
    const topic = uniqueTopic('compact-restart')
    await broker.createTopic({ topic, partitions: 1, config: COMPACTED })
    const writes: Array<[string, string | null, number]> = []
    const write = async (round: number): Promise<void> => {
      const producer = kafkaFor(broker).producer({ allowAutoTopicCreation: false })
      await producer.connect()
      const messages = Array.from({ length: 8 }, (_, k) => ({ key: `r${k}`, value: `rv${k}-${round}-${'t'.repeat(40)}` }))
      const [res] = await producer.send({ topic, messages })
      messages.forEach((m, i) => writes.push([m.key, m.value, Number(res.baseOffset) + i]))
      await producer.send({ topic, messages: [{ key: 'filler', value: FILLER }] })
      await producer.disconnect()
    }
    for (let round = 0; round < 4; round++) await write(round)
    await broker.dispatcher.cleanNow()
    const before = withoutFiller(await kcatAll(broker, topic))
    assert.equal(before, latestView(writes))
    await broker.close()

    broker = await Broker.start({ dataDir: dir, port: 0, workers: 1 })
    assert.equal(withoutFiller(await kcatAll(broker, topic)), before)
    await write(4)
    await broker.dispatcher.cleanNow()
    assert.equal(withoutFiller(await kcatAll(broker, topic)), latestView(writes))
  } finally {
    await broker.close()
    removeDir(dir)
  }
})

restart.run()

const memory = suite('compacted topics in memory')

memory('a broker without a data dir compacts on the partition worker', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  try {
    const kafka = kafkaFor(broker)
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const topic = uniqueTopic('compact-memory')
    await broker.createTopic({ topic, partitions: 1, config: COMPACTED })
    const writes: Array<[string, string | null, number]> = []
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: 6 }, (_, k) => ({ key: `m${k}`, value: k === 4 && round === 4 ? null : `mv${k}-${round}-${'r'.repeat(30)}` }))
      const [res] = await producer.send({ topic, messages })
      messages.forEach((m, i) => writes.push([m.key, m.value, Number(res.baseOffset) + i]))
    }
    await producer.send({ topic, messages: [{ key: 'filler', value: FILLER }] })
    await producer.disconnect()
    const report = await broker.dispatcher.cleanNow()
    assert.is(report.cleaned, 1)
    await broker.dispatcher.cleanNow()
    assert.equal(withoutFiller(await kcatAll(broker, topic)), latestView(writes))
  } finally {
    await broker.close()
  }
})

memory.run()
