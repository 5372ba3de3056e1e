/**
 * Back-to-back transactions of the library producer: the next transaction's first send meets
 * the previous one still writing its markers (CONCURRENT_TRANSACTIONS) and must not sit out a
 * long fixed backoff each time, or transactional throughput collapses.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { AddPartitionsToTxnResponse } from '../../src/protocol/apis/add-partitions-to-txn.js'
import type { EndTxnResponse } from '../../src/protocol/apis/end-txn.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'
import { WireClient } from './kafka-wire.js'

const TRANSACTIONS = 50
/** The old fixed backoff was 20 ms: 50 transactions that each waited it took at least 49 × 20 ms. */
const BUDGET_MS = 900

const backToBack = suite('back-to-back transactions')

backToBack('50 one-record transactions in a row each retry their first send briefly, then all read back committed', async () => {
  const broker = await Broker.start({ dataDir: null })
  try {
    const topic = uniqueTopic('txn-b2b')
    await broker.createTopic({ topic, partitions: 1 })
    const producer = broker.producer({ transactionalId: `b2b-${topic}` })
    // The first transaction pays for InitProducerId and the first AddPartitionsToTxn: not timed.
    await producer.beginTransaction()
    await producer.send({ topic, messages: [{ value: 'warm-up', partition: 0 }] })
    await producer.commitTransaction()
    const t0 = performance.now()
    for (let i = 0; i < TRANSACTIONS; i++) {
      await producer.beginTransaction()
      await producer.send({ topic, messages: [{ value: `v${i}`, partition: 0 }] })
      await producer.commitTransaction()
    }
    const elapsed = performance.now() - t0
    await producer.close()
    assert.ok(elapsed < BUDGET_MS, `${TRANSACTIONS} transactions took ${Math.round(elapsed)} ms (budget ${BUDGET_MS} ms)`)

    const consumer = broker.consumer({ isolationLevel: 'read_committed', maxWaitMs: 100 })
    consumer.assign([{ topic, partition: 0, offset: 0n }])
    const values: string[] = []
    while (values.length < TRANSACTIONS + 1) for (const m of await consumer.poll()) values.push(m.value!.toString())
    await consumer.close()
    assert.equal(values, ['warm-up', ...Array.from({ length: TRANSACTIONS }, (_, i) => `v${i}`)])
  } finally {
    await broker.close()
  }
})

backToBack('AddPartitionsToTxn right after EndTxn waits for the markers instead of answering CONCURRENT_TRANSACTIONS', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0 })
  const wire = await WireClient.connect(broker.port!)
  try {
    const topic = uniqueTopic('txn-b2b-wire')
    await broker.createTopic({ topic, partitions: 2 })
    const id = `b2b-wire-${topic}`
    const { producerId, producerEpoch } = await wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    const codes: number[] = []
    for (let i = 0; i < 20; i++) {
      const added = await wire.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, {
        v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0, 1] }]
      })
      codes.push(...added.resultsByTopicV3AndBelow[0].resultsByPartition.map((p) => p.partitionErrorCode))
      const ended = await wire.request<EndTxnResponse>(ApiKey.EndTxn, 3, { transactionalId: id, producerId, producerEpoch, committed: i % 2 === 0 })
      assert.is(ended.errorCode, KafkaCode.NONE)
    }
    assert.equal(codes.filter((c) => c !== KafkaCode.NONE), [], 'every AddPartitionsToTxn answered NONE at once')
  } finally {
    wire.close()
    await broker.close()
  }
})

backToBack.run()
