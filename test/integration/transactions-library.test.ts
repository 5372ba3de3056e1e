/**
 * The library's transactional producer: option checks, calls out of order, fencing by a second
 * producer with the same transactional id, and sendOffsets committed or aborted (offsets need no
 * partition markers, so this runs end to end today; records in transactions are covered by
 * transactions-e2e.pending.ts).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker, MillraceError } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { DescribeTransactionsResponse } from '../../src/protocol/apis/describe-transactions.js'
import type { OffsetFetchResponse } from '../../src/protocol/apis/offset-fetch.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { WireClient } from './kafka-wire.js'

interface Ctx { dir: string, broker: Broker, wire: WireClient, topic: string }

async function codeOf (p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (err) {
    return err instanceof MillraceError ? err.code : String(err)
  }
}

function codeOfSync (fn: () => unknown): string {
  try {
    fn()
    return 'returned'
  } catch (err) {
    return err instanceof MillraceError ? err.code : String(err)
  }
}

async function stateOf (wire: WireClient, id: string): Promise<string> {
  const res = await wire.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })
  return res.transactionStates[0].transactionState
}

async function committed (wire: WireClient, groupId: string, topic: string, requireStable = true): Promise<{ offset: number, errorCode: number }> {
  const res = await wire.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId, topics: [{ name: topic, partitionIndexes: [0] }], requireStable })
  const p = res.topics![0].partitions[0]
  return { offset: p.committedOffset, errorCode: p.errorCode }
}

const lib = suite<Ctx>('library transactional producer')

lib.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-txnlib-')
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0 })
  ctx.topic = uniqueTopic('txnlib')
  await ctx.broker.createTopic({ topic: ctx.topic, partitions: 1 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
lib.after.each(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

lib('options are checked: an empty transactional id, idempotent false, acks other than -1', ({ broker }) => {
  assert.is(codeOfSync(() => broker.producer({ transactionalId: '' })), 'MR_ERR_INVALID_OPTION')
  assert.is(codeOfSync(() => broker.producer({ transactionalId: 'x', idempotent: false })), 'MR_ERR_INVALID_OPTION')
  assert.is(codeOfSync(() => broker.producer({ transactionalId: 'x', acks: 1 })), 'MR_ERR_INVALID_OPTION')
  assert.is(codeOfSync(() => broker.producer({ transactionalId: 'x', transactionTimeoutMs: 0 })), 'MR_ERR_INVALID_OPTION')
})

lib('calls out of order are MR_ERR_INVALID_TXN_STATE', async ({ broker, topic }) => {
  const p = broker.producer({ transactionalId: `order-${topic}` })
  assert.is(await codeOf(p.send({ topic, messages: [{ value: 'x' }] })), 'MR_ERR_INVALID_TXN_STATE')
  assert.is(await codeOf(p.commitTransaction()), 'MR_ERR_INVALID_TXN_STATE')
  assert.is(await codeOf(p.sendOffsets({ groupId: 'g', offsets: [] })), 'MR_ERR_INVALID_TXN_STATE')
  await p.beginTransaction()
  assert.is(await codeOf(p.beginTransaction()), 'MR_ERR_INVALID_TXN_STATE')
  await p.abortTransaction()
  const plain = broker.producer({})
  assert.is(await codeOf(plain.beginTransaction()), 'MR_ERR_INVALID_TXN_STATE')
  await p.close()
  await plain.close()
})

lib('a second producer with the same transactional id fences the first (MR_ERR_PRODUCER_FENCED, for good)', async ({ broker, topic }) => {
  const id = `fence-${topic}`
  const first = broker.producer({ transactionalId: id })
  const second = broker.producer({ transactionalId: id })
  await first.beginTransaction()
  await second.beginTransaction()
  assert.is(await codeOf(first.sendOffsets({ groupId: `g-${topic}`, offsets: [{ topic, partition: 0, offset: 3n }] })), 'MR_ERR_PRODUCER_FENCED')
  assert.is(await codeOf(first.abortTransaction()), 'MR_ERR_PRODUCER_FENCED')
  assert.is(await codeOf(first.beginTransaction()), 'MR_ERR_PRODUCER_FENCED')
  await second.abortTransaction()
  await first.close()
  await second.close()
})

lib('sendOffsets then commit: pending (UNSTABLE_OFFSET_COMMIT) until the commit, then the group\'s offset', async ({ broker, wire, topic }) => {
  const id = `commit-${topic}`
  const groupId = `g-${topic}`
  const p = broker.producer({ transactionalId: id })
  await p.beginTransaction()
  const consumer = broker.consumer({ groupId })
  await p.sendOffsets({ consumer, offsets: [{ topic, partition: 0, offset: 5n }] })
  assert.equal(await committed(wire, groupId, topic), { offset: -1, errorCode: KafkaCode.UNSTABLE_OFFSET_COMMIT })
  assert.is(await stateOf(wire, id), 'Ongoing')
  await p.commitTransaction()
  await until('the commit to complete', async () => await stateOf(wire, id) === 'CompleteCommit')
  assert.equal(await committed(wire, groupId, topic), { offset: 5, errorCode: KafkaCode.NONE })
  await consumer.close()
  await p.close()
})

lib('sendOffsets then abort: the offsets are dropped', async ({ broker, wire, topic }) => {
  const id = `abort-${topic}`
  const groupId = `g-${topic}`
  const p = broker.producer({ transactionalId: id })
  await p.beginTransaction()
  await p.sendOffsets({ groupId, offsets: [{ topic, partition: 0, offset: 8 }] })
  await p.abortTransaction()
  await until('the abort to complete', async () => await stateOf(wire, id) === 'CompleteAbort')
  assert.equal(await committed(wire, groupId, topic), { offset: -1, errorCode: KafkaCode.NONE })
  await p.close()
})

lib.run()
