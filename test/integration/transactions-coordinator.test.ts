/**
 * The transaction coordinator over the wire, up to the point where markers are needed:
 * FindCoordinator key type 1, InitProducerId with a transactional id (epoch bumps, fencing),
 * AddPartitionsToTxn, DescribeTransactions and ListTransactions, the produce-time check, the
 * order of requests on one connection, the state after a restart, and kafkajs's transactional
 * producer being fenced by a second one. The end-to-end flow with markers lives in
 * transactions-e2e.pending.ts until the partition side lands.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import kafkajs from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import type { AddPartitionsToTxnResponse } from '../../src/protocol/apis/add-partitions-to-txn.js'
import type { DescribeTransactionsResponse } from '../../src/protocol/apis/describe-transactions.js'
import type { ListTransactionsResponse } from '../../src/protocol/apis/list-transactions.js'
import type { FindCoordinatorResponse } from '../../src/protocol/apis/find-coordinator.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import type { EndTxnResponse } from '../../src/protocol/apis/end-txn.js'
import type { ApiVersionsResponse } from '../../src/protocol/apis/api-versions.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { WireClient } from './kafka-wire.js'

const { Kafka, logLevel } = kafkajs

interface Ctx { dir: string, broker: Broker, wire: WireClient, logs: CaptureLogger, topic: string }

async function init (wire: WireClient, transactionalId: string, version = 4, transactionTimeoutMs = 60_000): Promise<InitProducerIdResponse> {
  return await wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, version, { transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1 })
}

async function addPartitions (wire: WireClient, transactionalId: string, p: InitProducerIdResponse, topic: string, partitions: number[], version = 3): Promise<number[]> {
  const res = await wire.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, version, {
    v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }]
  })
  return res.resultsByTopicV3AndBelow[0].resultsByPartition.map((r) => r.partitionErrorCode)
}

async function describe (wire: WireClient, transactionalId: string): Promise<DescribeTransactionsResponse['transactionStates'][number]> {
  return (await wire.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] })).transactionStates[0]
}

function txnBatch (p: InitProducerIdResponse, value: string): Buffer {
  const builder = new BatchBuilder({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true })
  builder.append(1_700_000_000_000, null, Buffer.from(value))
  return builder.build()
}

const txn = suite<Ctx>('transaction coordinator over the wire')

txn.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-txn-')
  ctx.logs = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, logger: ctx.logs.logger })
  ctx.topic = uniqueTopic('txn')
  await ctx.broker.createTopic({ topic: ctx.topic, partitions: 2 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
txn.after.each(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

txn('ApiVersions advertises the transactional APIs (TV1 ranges) and DescribeTransactions/ListTransactions', async ({ wire }) => {
  const res = await wire.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })
  const range = (key: number) => res.apiKeys.find((k) => k.apiKey === key)
  assert.equal([range(ApiKey.AddPartitionsToTxn)?.maxVersion, range(ApiKey.AddOffsetsToTxn)?.maxVersion, range(ApiKey.EndTxn)?.maxVersion, range(ApiKey.TxnOffsetCommit)?.maxVersion], [3, 3, 3, 3])
  assert.is(range(ApiKey.InitProducerId)?.maxVersion, 4)
  assert.ok(range(ApiKey.DescribeTransactions) !== undefined)
  assert.ok(range(ApiKey.ListTransactions) !== undefined)
})

txn('FindCoordinator key type 1 names this broker as the transaction coordinator', async ({ wire, broker }) => {
  const res = await wire.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, { key: 'tx-find', keyType: 1 })
  assert.is(res.errorCode, KafkaCode.NONE)
  assert.is(res.nodeId, 1)
  assert.is(res.port, broker.port)
})

txn('InitProducerId: a new id, then an epoch bump that fences the first producer (v2+ PRODUCER_FENCED, v1 INVALID_PRODUCER_EPOCH)', async ({ wire, topic }) => {
  const first = await init(wire, 'tx-fence')
  assert.is(first.errorCode, KafkaCode.NONE)
  const second = await init(wire, 'tx-fence')
  assert.is(second.producerId, first.producerId)
  assert.is(second.producerEpoch, first.producerEpoch + 1)
  assert.equal(await addPartitions(wire, 'tx-fence', first, topic, [0], 2), [KafkaCode.PRODUCER_FENCED])
  assert.equal(await addPartitions(wire, 'tx-fence', first, topic, [0], 1), [KafkaCode.INVALID_PRODUCER_EPOCH])
  const end = await wire.request<EndTxnResponse>(ApiKey.EndTxn, 3, { transactionalId: 'tx-fence', producerId: first.producerId, producerEpoch: first.producerEpoch, committed: true })
  assert.is(end.errorCode, KafkaCode.PRODUCER_FENCED)
  assert.is((await init(wire, 'tx-fence', 4, 900_001)).errorCode, KafkaCode.INVALID_TRANSACTION_TIMEOUT)
})

txn('AddPartitionsToTxn makes the transaction Ongoing; Describe and List report it; unknown partitions are refused', async ({ wire, topic }) => {
  const p = await init(wire, 'tx-add')
  assert.equal(await addPartitions(wire, 'tx-add', p, topic, [0, 1]), [KafkaCode.NONE, KafkaCode.NONE])
  assert.equal(await addPartitions(wire, 'tx-add', p, topic, [7]), [KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
  const d = await describe(wire, 'tx-add')
  assert.is(d.errorCode, KafkaCode.NONE)
  assert.is(d.transactionState, 'Ongoing')
  assert.is(d.producerId, p.producerId)
  assert.equal(d.topicPartitions, [{ name: topic, partitionIndexes: [0, 1] }])
  const list = await wire.request<ListTransactionsResponse>(ApiKey.ListTransactions, 0, { stateFilters: ['Ongoing'], producerIdFilters: [] })
  assert.ok(list.transactionStates.some((t) => t.transactionalId === 'tx-add' && t.producerId === p.producerId))
})

txn('a transactional batch for a partition outside the transaction is refused with INVALID_TXN_STATE', async ({ wire, topic }) => {
  const p = await init(wire, 'tx-produce')
  await addPartitions(wire, 'tx-produce', p, topic, [0])
  const res = await wire.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: 'tx-produce', acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 1, records: txnBatch(p, 'stray') }] }]
  })
  const r = res.responses[0].partitionResponses[0]
  assert.is(r.errorCode, KafkaCode.INVALID_TXN_STATE)
  assert.match(r.errorMessage ?? '', /not in the producer's ongoing transaction/)
})

txn('a second InitProducerId aborts the ongoing transaction: CONCURRENT_TRANSACTIONS until the abort is written, then a new epoch', async ({ wire, topic }) => {
  const p = await init(wire, 'tx-concurrent')
  await addPartitions(wire, 'tx-concurrent', p, topic, [0])
  assert.is((await init(wire, 'tx-concurrent')).errorCode, KafkaCode.CONCURRENT_TRANSACTIONS)
  const fencing = await describe(wire, 'tx-concurrent')
  assert.ok(['PrepareEpochFence', 'PrepareAbort', 'CompleteAbort'].includes(fencing.transactionState), fencing.transactionState)
  assert.is(fencing.producerEpoch, p.producerEpoch + 1, 'the abort is written with the fencing epoch')
  // The client retries, as Kafka clients do on CONCURRENT_TRANSACTIONS, until the markers are written.
  let again = await init(wire, 'tx-concurrent')
  await until('the abort to finish', async () => {
    if (again.errorCode === KafkaCode.CONCURRENT_TRANSACTIONS) again = await init(wire, 'tx-concurrent')
    return again.errorCode !== KafkaCode.CONCURRENT_TRANSACTIONS
  })
  assert.is(again.errorCode, KafkaCode.NONE)
  assert.is(again.producerId, p.producerId)
  assert.ok(again.producerEpoch > p.producerEpoch + 1, `epoch ${again.producerEpoch} is past the fencing epoch`)
  assert.is((await describe(wire, 'tx-concurrent')).transactionState, 'Empty')
  // The old producer is fenced.
  assert.equal(await addPartitions(wire, 'tx-concurrent', p, topic, [0]), [KafkaCode.PRODUCER_FENCED])
})

txn('request N+1 on a connection is not applied before request N: AddPartitionsToTxn waits behind a parked Fetch', async ({ wire, topic, broker }) => {
  const p = await init(wire, 'tx-order')
  const other = await WireClient.connect(broker.port!)
  try {
    const fetch = wire.request(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: ''
    })
    const added = addPartitions(wire, 'tx-order', p, topic, [0])
    // Should an assertion below fail, these reject when the connection closes: not unhandled.
    fetch.catch(() => {})
    added.catch(() => {})
    for (let i = 0; i < 3; i++) assert.is((await describe(other, 'tx-order')).transactionState, 'Empty', 'applied before the Fetch ahead of it finished')
    // A record wakes the Fetch; only then is the AddPartitionsToTxn behind it applied.
    const builder = new BatchBuilder()
    builder.append(1_700_000_000_000, null, Buffer.from('wake'))
    await other.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 1, records: builder.build() }] }] })
    await fetch
    assert.equal(await added, [KafkaCode.NONE])
    assert.is((await describe(other, 'tx-order')).transactionState, 'Ongoing')
  } finally {
    other.close()
  }
})

txn('transactions survive a restart: the Ongoing transaction, its partitions and the producer epoch', async (ctx) => {
  const p = await init(ctx.wire, 'tx-restart')
  await addPartitions(ctx.wire, 'tx-restart', p, ctx.topic, [1])
  ctx.wire.close()
  await ctx.broker.close()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, logger: ctx.logs.logger })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
  const d = await describe(ctx.wire, 'tx-restart')
  assert.is(d.transactionState, 'Ongoing')
  assert.is(d.producerEpoch, p.producerEpoch)
  assert.equal(d.topicPartitions, [{ name: ctx.topic, partitionIndexes: [1] }])
  const next = await init(ctx.wire, 'tx-restart')
  assert.is(next.errorCode, KafkaCode.CONCURRENT_TRANSACTIONS)
})

txn('kafkajs: a second transactional producer with the same id fences the first', async ({ broker, topic }) => {
  const kafka = new Kafka({ clientId: 'txn-fence', brokers: [`127.0.0.1:${broker.port!}`], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } })
  const transactionalId = `kjs-${topic}`
  const first = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  const second = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  try {
    await first.connect()
    await second.connect()
    // kafkajs initialises a transactional producer (InitProducerId) at its first transaction.
    const t = await first.transaction()
    await second.transaction()
    const err = await t.sendOffsets({ consumerGroupId: `g-${topic}`, topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] }).then(() => null, (e: unknown) => e as { type?: string })
    assert.ok(err !== null, 'the fenced producer was accepted')
    assert.ok(err.type === 'INVALID_PRODUCER_EPOCH' || err.type === 'PRODUCER_FENCED', `got ${String(err.type)}`)
  } finally {
    await first.disconnect().catch(() => {})
    await second.disconnect().catch(() => {})
  }
})

txn.run()
