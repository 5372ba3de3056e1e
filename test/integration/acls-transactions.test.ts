/**
 * Transactions under the authorizer: a transactional producer needs Write on its transactional
 * id (Kafka's TRANSACTIONAL_ID_AUTHORIZATION_FAILED otherwise) and Write on the topics it adds,
 * and another principal may neither end its transaction nor see it in DescribeTransactions or
 * ListTransactions.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/broker.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { DescribeTransactionsResponse } from '../../src/protocol/apis/describe-transactions.js'
import type { ListTransactionsResponse } from '../../src/protocol/apis/list-transactions.js'
import type { EndTxnResponse } from '../../src/protocol/apis/end-txn.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import type { AddPartitionsToTxnResponse } from '../../src/protocol/apis/add-partitions-to-txn.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { WireClient } from './kafka-wire.js'

const acls = suite('transactions under the authorizer')

acls('Write on the transactional id and the topic is needed; without them nothing of the transaction is served', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, port: 0, authorizer: true })
  const topic = uniqueTopic('acl-txn')
  const transactionalId = uniqueTopic('acl-txn-id')
  const wire = await WireClient.connect(broker.port!)
  try {
    await broker.createTopic({ topic })
    await broker.acls.create([{ resourceType: 'Topic', resourceName: topic, principal: 'User:ANONYMOUS', operation: 'All' }])
    const init = (): Promise<InitProducerIdResponse> => wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    assert.is((await init()).errorCode, KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)

    const kafka = new Kafka({ clientId: 'acl-txn', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 1 } })
    const refusedProducer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
    // Already FindCoordinator for the id needs Describe on it (kafkajs reports "failed to find group coordinator").
    let refusal: unknown = null
    await refusedProducer.connect().then(async () => await refusedProducer.transaction()).catch((err: unknown) => { refusal = err })
    assert.ok(refusal !== null, 'kafkajs cannot begin a transaction on an id it may not write')
    await refusedProducer.disconnect()

    await broker.acls.create([{ resourceType: 'TransactionalId', resourceName: transactionalId, principal: 'User:ANONYMOUS', operation: 'Write' }])
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const txn = await producer.transaction()
    await txn.send({ topic, messages: [{ value: 'allowed' }] })
    await txn.commit()
    await producer.disconnect()

    // Write covers Describe: the id is listed. A topic without Write is not added.
    const listed = await wire.request<ListTransactionsResponse>(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] })
    assert.ok(listed.transactionStates.some((t) => t.transactionalId === transactionalId))
    // Until the commit's markers are written the id answers CONCURRENT_TRANSACTIONS; clients retry.
    let p = await init()
    await until('the commit to complete', async () => {
      if (p.errorCode === KafkaCode.CONCURRENT_TRANSACTIONS) p = await init()
      return p.errorCode !== KafkaCode.CONCURRENT_TRANSACTIONS
    })
    assert.is(p.errorCode, KafkaCode.NONE)
    const other = uniqueTopic('acl-txn-other')
    await broker.createTopic({ topic: other })
    const added = await wire.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions: [0] }, { name: other, partitions: [0] }]
    })
    const codes = Object.fromEntries(added.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0].partitionErrorCode]))
    assert.equal(codes, { [topic]: KafkaCode.OPERATION_NOT_ATTEMPTED, [other]: KafkaCode.TOPIC_AUTHORIZATION_FAILED })

    // Once the id's ACL is gone, its producer id is of no use to anyone.
    await broker.acls.delete({ resourceType: 'TransactionalId', resourceName: transactionalId })
    const ended = await wire.request<EndTxnResponse>(ApiKey.EndTxn, 3, { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false })
    assert.is(ended.errorCode, KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    const described = await wire.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] })
    assert.is(described.transactionStates[0].errorCode, KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    const hidden = await wire.request<ListTransactionsResponse>(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] })
    assert.not.ok(hidden.transactionStates.some((t) => t.transactionalId === transactionalId), 'an id the principal may not Describe is not listed')
  } finally {
    wire.close()
    await broker.close()
  }
})

acls.run()
