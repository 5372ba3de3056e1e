import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker, MillraceError } from '../../src/index.js'
import { LogStatus } from '../../src/log/errors.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { collect } from '../helpers/collect.js'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'

interface Ctx { dir: string, broker: Broker }
const bad = suite<Ctx>('bad input in library mode')

bad.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, workers: 1 })
  await ctx.broker.createTopic({ topic: 'good', partitions: 2, config: { 'max.message.bytes': '2000' } })
  await ctx.broker.producer().send({ topic: 'good', messages: [{ value: 'first', partition: 0 }, { value: 'second', partition: 0 }] })
})
bad.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

async function rejectsWith (fn: () => unknown, code: string, pattern?: RegExp): Promise<void> {
  try {
    await fn()
  } catch (err) {
    assert.ok(err instanceof MillraceError, `expected a MillraceError, got ${String(err)}`)
    assert.is((err as MillraceError).code, code, (err as Error).message)
    if (pattern !== undefined) assert.match((err as Error).message, pattern)
    return
  }
  assert.unreachable(`expected ${code}`)
}

async function assertGoodIntact (broker: Broker): Promise<void> {
  const consumer = broker.consumer({ maxWaitMs: 10 })
  consumer.assign([{ topic: 'good', partition: 0, offset: 0n }])
  const got = await collect(consumer, 2)
  assert.equal(got.map((m) => m.value!.toString()), ['first', 'second'])
  const description = await broker.describeTopic('good')
  assert.is(description.partitions[0].highWatermark, 2n)
}

bad('topic names and configs are checked', async ({ broker }) => {
  await rejectsWith(() => broker.createTopic({ topic: 'bad name!' }), 'MR_ERR_INVALID_OPTION', /topic name may contain only/)
  await rejectsWith(() => broker.createTopic({ topic: '..' }), 'MR_ERR_INVALID_OPTION')
  await rejectsWith(() => broker.createTopic({ topic: 'x'.repeat(250) }), 'MR_ERR_INVALID_OPTION', /at most 249/)
  await rejectsWith(() => broker.createTopic({ topic: 'good' }), 'MR_ERR_TOPIC_EXISTS')
  await rejectsWith(() => broker.createTopic({ topic: 'zero', partitions: 0 }), 'MR_ERR_INVALID_OPTION', /partitions must be/)
  await rejectsWith(() => broker.createTopic({ topic: 'cfg', config: { 'retention.mss': '1' } }), 'MR_ERR_INVALID_OPTION', /unknown topic config 'retention.mss'/)
  await rejectsWith(() => broker.createTopic({ topic: 'cfg', config: { 'segment.bytes': 'lots' } }), 'MR_ERR_INVALID_OPTION', /segment.bytes/)
  assert.not.ok(broker.listTopics().includes('cfg'))
})

bad('unknown topics and partitions, bad options', async ({ broker }) => {
  const producer = broker.producer()
  await rejectsWith(() => producer.send({ topic: 'nope', messages: [{ value: 'x' }] }), 'MR_ERR_UNKNOWN_TOPIC')
  await rejectsWith(() => producer.send({ topic: 'good', messages: [{ value: 'x', partition: 7 }] }), 'MR_ERR_UNKNOWN_PARTITION', /has 2 partitions/)
  await rejectsWith(() => producer.send({ topic: 'good', messages: [] }), 'MR_ERR_INVALID_OPTION')
  await rejectsWith(() => broker.producer({ acks: 2 as never }), 'MR_ERR_INVALID_OPTION', /acks must be 0, 1 or -1/)
  await rejectsWith(() => broker.producer({ compression: 'brotli' as never }), 'MR_ERR_INVALID_OPTION')
  await rejectsWith(() => broker.consumer({ maxWaitMs: -1 }), 'MR_ERR_INVALID_OPTION')
  const consumer = broker.consumer()
  await rejectsWith(() => consumer.assign([{ topic: 'nope', partition: 0 }]), 'MR_ERR_UNKNOWN_TOPIC')
  await rejectsWith(() => consumer.assign([{ topic: 'good', partition: -1 }]), 'MR_ERR_UNKNOWN_PARTITION')
  await rejectsWith(() => consumer.assign([{ topic: 'good', partition: 0, offset: -5n }]), 'MR_ERR_INVALID_OPTION')
  await rejectsWith(() => broker.deleteTopic('nope'), 'MR_ERR_UNKNOWN_TOPIC')
})

bad('an offset past the end is out of range unless a reset policy says otherwise', async ({ broker }) => {
  const strict = broker.consumer({ maxWaitMs: 10 })
  strict.assign([{ topic: 'good', partition: 0, offset: 99n }])
  await rejectsWith(() => strict.poll(), 'MR_ERR_OFFSET_OUT_OF_RANGE')
  const lenient = broker.consumer({ maxWaitMs: 10, autoOffsetReset: 'earliest' })
  lenient.assign([{ topic: 'good', partition: 0, offset: 99n }])
  const got = await collect(lenient, 2)
  assert.is(got[0].offset, 0n)
})

bad('an oversized record is refused and nothing is written', async ({ broker }) => {
  await rejectsWith(() => broker.producer().send({ topic: 'good', messages: [{ value: Buffer.alloc(5000), partition: 0 }] }), 'MR_ERR_RECORD_TOO_LARGE')
  await assertGoodIntact(broker)
})

bad('corrupt batches handed to the engine get a status and harm nothing', async ({ broker }) => {
  const p = broker.dispatcher.partition('good', 0)!
  const builder = new BatchBuilder()
  builder.append(Date.now(), null, Buffer.from('payload'), [])
  const batch = builder.build()
  const flipped = Buffer.from(batch)
  flipped[flipped.length - 2] ^= 0x40
  assert.is((await broker.dispatcher.append(p, flipped)).status, LogStatus.CorruptMessage)
  const badMagic = Buffer.from(batch)
  badMagic[16] = 1
  assert.is((await broker.dispatcher.append(p, badMagic)).status, LogStatus.InvalidRecord)
  assert.is((await broker.dispatcher.append(p, batch.subarray(0, 40))).status, LogStatus.CorruptMessage)
  await assertGoodIntact(broker)
})

bad.run()
