/**
 * Transactions with kafkajs on both ends: the transaction coordinator (InitProducerId with a
 * transactional id, AddPartitionsToTxn, EndTxn) and the partition side (markers, LSO, .txnindex,
 * read_committed) together.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'

interface Ctx { dir: string, broker: Broker, kafka: Kafka }
const e2e = suite<Ctx>('transactions end to end (kafkajs)')

e2e.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-txn-e2e-')
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0 })
  ctx.kafka = new Kafka({ clientId: 'txn-e2e', brokers: [`127.0.0.1:${ctx.broker.port!}`], logLevel: logLevel.NOTHING })
})
e2e.after.each(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

async function readCommitted (ctx: Ctx, topic: string, count: number): Promise<string[]> {
  const consumer = ctx.kafka.consumer({ groupId: uniqueTopic('txn-e2e-group'), readUncommitted: false, maxWaitTimeInMs: 200 })
  const seen: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
    await until(`${count} committed records`, () => seen.length >= count)
  } finally {
    await consumer.disconnect()
  }
  return seen
}

e2e('committed transactions are read, aborted ones are not, in order', async (ctx) => {
  const topic = uniqueTopic('txn-e2e')
  await ctx.broker.createTopic({ topic, partitions: 2 })
  const producer = ctx.kafka.producer({ transactionalId: uniqueTopic('txn-id'), idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const committed = await producer.transaction()
    await committed.send({ topic, messages: [{ key: 'a', value: 'c1' }, { key: 'a', value: 'c2' }] })
    await committed.commit()
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: [{ key: 'a', value: 'x1' }] })
    await aborted.abort()
    const last = await producer.transaction()
    await last.send({ topic, messages: [{ key: 'a', value: 'c3' }] })
    await last.commit()
  } finally {
    await producer.disconnect()
  }
  assert.equal(await readCommitted(ctx, topic, 3), ['c1', 'c2', 'c3'])
})

e2e('a second producer with the same transactional id fences the first; its open transaction is aborted', async (ctx) => {
  const topic = uniqueTopic('txn-e2e-fence')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const transactionalId = uniqueTopic('txn-id')
  const first = ctx.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  await first.connect()
  const zombie = await first.transaction()
  await zombie.send({ topic, messages: [{ key: 'k', value: 'zombie' }] })
  const second = ctx.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  await second.connect()
  const txn = await second.transaction()
  await txn.send({ topic, messages: [{ key: 'k', value: 'winner' }] })
  await txn.commit()
  let fenced: unknown = null
  try { await zombie.commit() } catch (err) { fenced = err }
  assert.ok(fenced !== null, 'the fenced producer cannot commit')
  await first.disconnect().catch(() => {})
  await second.disconnect()
  assert.equal(await readCommitted(ctx, topic, 1), ['winner'])
})

e2e.run()
