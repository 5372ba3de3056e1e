/**
 * The library producer with `idempotent: true`: batches carry its producer id, epoch and
 * per-partition sequences; records sent while a partition worker crashes are stored exactly
 * once, in order; a restarted broker gives a new producer a new id.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { MillraceError } from '../../src/errors.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { storedBatches } from '../helpers/collect.js'

interface Ctx { dir: string, broker: Broker }
const lib = suite<Ctx>('library producer, idempotent')

lib.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-idem-lib-')
  ctx.broker = await Broker.start({ dataDir: ctx.dir })
})
lib.after.each(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})


lib('options: idempotent needs acks -1 and a boolean', ({ broker }) => {
  for (const [options, message] of [
    [{ idempotent: true, acks: 1 }, 'producer options.acks must be -1 (all) when idempotent is true'],
    [{ idempotent: true, acks: 0 }, 'producer options.acks must be -1 (all) when idempotent is true'],
    [{ idempotent: 'yes' }, 'producer options.idempotent must be a boolean']
  ] as const) {
    try {
      broker.producer(options as never)
      assert.unreachable('accepted')
    } catch (err) {
      assert.ok(err instanceof MillraceError)
      assert.is(err.code, 'MR_ERR_INVALID_OPTION')
      assert.is(err.message, message)
    }
  }
})

lib('batches carry the producer id, epoch 0 and each partition\'s sequences', async ({ broker }) => {
  const topic = uniqueTopic('idem-lib')
  await broker.createTopic({ topic, partitions: 2 })
  const producer = broker.producer({ idempotent: true })
  await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }] })
  await producer.send({ topic, messages: [{ value: 'd', partition: 0 }] })
  await producer.send({ topic, messages: [{ value: 'e', partition: 1 }, { value: 'f', partition: 1 }] })
  await producer.close()
  const p0 = await storedBatches(broker, topic, 0)
  const p1 = await storedBatches(broker, topic, 1)
  const id = p0[0].producerId
  assert.ok(id >= 0)
  assert.equal(p0.map((b) => [b.producerId, b.producerEpoch, b.baseSequence, b.records.length]), [[id, 0, 0, 2], [id, 0, 2, 1]])
  assert.equal(p1.map((b) => [b.producerId, b.producerEpoch, b.baseSequence, b.records.length]), [[id, 0, 0, 1], [id, 0, 1, 2]])
  const other = broker.producer({ idempotent: true })
  await other.send({ topic, messages: [{ value: 'g', partition: 0 }] })
  await other.close()
  const again = await storedBatches(broker, topic, 0)
  assert.is.not(again[2].producerId, id, 'each producer has its own id')
  assert.is(again[2].baseSequence, 0)
})

lib('records sent while the partition worker crashes are stored exactly once, in order', async ({ broker }) => {
  const topic = uniqueTopic('idem-lib-crash')
  await broker.createTopic({ topic, partitions: 1 })
  const producer = broker.producer({ idempotent: true, retries: 20, retryBackoffMs: 20 })
  const p = broker.dispatcher.partition(topic, 0)!
  const SENDS = 200
  const sends: Array<Promise<unknown>> = []
  for (let s = 0; s < SENDS; s++) {
    const messages = Array.from({ length: 10 }, (_, i) => ({ value: `v-${s * 10 + i}` }))
    sends.push(producer.send({ topic, messages }))
    if (s === 60 || s === 140) {
      await broker.dispatcher.crashWorkerOf(p)
    } else if (s % 10 === 0) {
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await Promise.all(sends)
  await producer.close()
  await broker.dispatcher.whenOnline()
  const values = (await storedBatches(broker, topic, 0)).flatMap((b) => b.records.map((r) => r.value!.toString()))
  assert.is(values.length, SENDS * 10)
  assert.equal(values, Array.from({ length: SENDS * 10 }, (_, i) => `v-${i}`))
})

lib('a restarted broker never gives a new producer an id in use', async (ctx) => {
  const topic = uniqueTopic('idem-lib-restart')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const ids = new Set<number>()
  for (let round = 0; round < 3; round++) {
    const producer = ctx.broker.producer({ idempotent: true })
    await producer.send({ topic, messages: [{ value: `round-${round}` }] })
    await producer.close()
    await ctx.broker.close()
    ctx.broker = await Broker.start({ dataDir: ctx.dir })
  }
  for (const b of await storedBatches(ctx.broker, topic, 0)) ids.add(b.producerId)
  assert.is(ids.size, 3)
})

lib.run()
