/**
 * Transactions end to end with unmodified clients: records, markers, read_committed readers.
 *
 * - kafkajs: transaction with send + sendOffsets, committed, read by a read_committed kafkajs
 *   consumer; an aborted transaction's records are never delivered; the group's offset moves only
 *   with the commit.
 * - confluent-kafka (librdkafka, Debian's python3-confluent-kafka, run with /usr/bin/python3):
 *   consume → produce → send_offsets_to_transaction → commit_transaction, a copy read exactly once.
 * - kcat -X transactional.id: records produced in a transaction are read back by a
 *   read_committed kcat.
 * - the transaction timeout aborts a producer that vanished mid-transaction, and its records stay
 *   invisible to read_committed readers.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import kafkajs from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { DescribeTransactionsResponse } from '../../src/protocol/apis/describe-transactions.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import type { AddPartitionsToTxnResponse } from '../../src/protocol/apis/add-partitions-to-txn.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { WireClient, kcat } from './kafka-wire.js'

const { Kafka, logLevel } = kafkajs
const PYTHON = '/usr/bin/python3'

interface Ctx { dir: string, broker: Broker, wire: WireClient, bootstrap: string }

async function stateOf (wire: WireClient, id: string): Promise<string> {
  const res = await wire.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })
  return res.transactionStates[0].transactionState
}

/** Every value a read_committed kafkajs consumer of a fresh group sees in `topic`, once `count` arrived (or the wait ends). */
async function readCommitted (bootstrap: string, topic: string, count: number, waitMs = 3000): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'rc-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `rc-${topic}-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 100 })
  const values: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value?.toString() ?? '') } })
    const deadline = Date.now() + waitMs
    await until(`${count} committed records in ${topic}`, () => values.length >= count || Date.now() > deadline, waitMs + 5000)
  } finally {
    await consumer.disconnect()
  }
  return values
}

function python (script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', script, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`python failed: ${stderr}`))
      else resolve(stdout)
    })
  })
}

const e2e = suite<Ctx>('transactions end to end')

e2e.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-txn-e2e-')
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, advertisedHost: '127.0.0.1' })
  ctx.bootstrap = `127.0.0.1:${ctx.broker.port!}`
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
e2e.after.each(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

e2e('kafkajs: send + sendOffsets + commit are seen by read_committed; an aborted transaction never is', async ({ broker, bootstrap, wire }) => {
  const input = uniqueTopic('e2e-in')
  const output = uniqueTopic('e2e-out')
  const groupId = `copier-${output}`
  await broker.createTopic({ topic: input, partitions: 1 })
  await broker.createTopic({ topic: output, partitions: 2 })
  const kafka = new Kafka({ clientId: 'e2e', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const transactionalId = `kjs-${output}`
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const committed = await producer.transaction()
    await committed.send({ topic: output, messages: [{ key: 'a', value: 'c1' }, { key: 'b', value: 'c2' }] })
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }] })
    await committed.commit()

    const aborted = await producer.transaction()
    await aborted.send({ topic: output, messages: [{ key: 'a', value: 'x1' }, { key: 'b', value: 'x2' }] })
    await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '99' }] }] })
    await aborted.abort()
    await until('the abort to complete', async () => await stateOf(wire, transactionalId) === 'CompleteAbort')

    const seen = await readCommitted(bootstrap, output, 2)
    assert.equal(seen.sort(), ['c1', 'c2'])
    const admin = kafka.admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [input] })
      assert.is(offsets[0].partitions[0].offset, '2')
    } finally {
      await admin.disconnect()
    }
  } finally {
    await producer.disconnect()
  }
})

e2e('confluent-kafka: consume → produce → send_offsets_to_transaction → commit copies every record exactly once', async ({ broker, bootstrap }) => {
  const input = uniqueTopic('py-in')
  const output = uniqueTopic('py-out')
  await broker.createTopic({ topic: input, partitions: 1 })
  await broker.createTopic({ topic: output, partitions: 1 })
  const producer = broker.producer({})
  await producer.send({ topic: input, messages: Array.from({ length: 20 }, (_, i) => ({ value: `r${i}` })) })
  await producer.close()
  const script = `
import sys
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap, src, dst, group = sys.argv[1:5]
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                     'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed'})
producer = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'py-' + dst})
producer.init_transactions(30)
consumer.assign([TopicPartition(src, 0)])
copied = 0
while copied < 20:
    msgs = consumer.consume(10, 5)
    if not msgs:
        continue
    producer.begin_transaction()
    for m in msgs:
        if m.error():
            raise Exception(m.error())
        producer.produce(dst, m.value())
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
    producer.commit_transaction(30)
    copied += len(msgs)
consumer.close()
print(copied)
`
  const out = await python(script, [bootstrap, input, output, `py-group-${output}`])
  assert.is(out.trim(), '20')
  const seen = await readCommitted(bootstrap, output, 20)
  assert.equal(seen.sort(), Array.from({ length: 20 }, (_, i) => `r${i}`).sort())
})

e2e('kcat -X transactional.id: the records of its transaction are read back by a read_committed kcat', async ({ broker, bootstrap }) => {
  const topic = uniqueTopic('kcat-txn')
  await broker.createTopic({ topic, partitions: 1 })
  await kcat(['-P', '-b', bootstrap, '-t', topic, '-X', `transactional.id=kcat-${topic}`], 'k1\nk2\nk3\n')
  const out = await kcat(['-C', '-b', bootstrap, '-t', topic, '-e', '-o', 'beginning', '-X', 'isolation.level=read_committed', '-f', '%s\n'])
  assert.equal(out.trim().split('\n'), ['k1', 'k2', 'k3'])
})

e2e('a producer that vanishes mid-transaction is aborted by the timeout; its records stay invisible and it is fenced', async ({ broker, bootstrap, wire }) => {
  const topic = uniqueTopic('timeout')
  await broker.createTopic({ topic, partitions: 1 })
  const id = `vanish-${topic}`
  const p = await wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 })
  assert.is(p.errorCode, KafkaCode.NONE)
  const added = await wire.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, {
    v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }]
  })
  assert.is(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, KafkaCode.NONE)
  const builder = new BatchBuilder({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true })
  builder.append(Date.now(), null, Buffer.from('zombie'))
  const produced = await wire.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: builder.build() }] }] })
  assert.is(produced.responses[0].partitionResponses[0].errorCode, KafkaCode.NONE)
  // Nobody ends the transaction: the coordinator aborts it.
  await until('the timeout abort', async () => await stateOf(wire, id) === 'CompleteAbort', 15_000)
  const late = new BatchBuilder({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 1, transactional: true })
  late.append(Date.now(), null, Buffer.from('late'))
  const refused = await wire.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: late.build() }] }] })
  assert.ok([KafkaCode.INVALID_PRODUCER_EPOCH, KafkaCode.PRODUCER_FENCED].includes(refused.responses[0].partitionResponses[0].errorCode as 47 | 90))
  const committed = broker.producer({})
  await committed.send({ topic, messages: [{ value: 'after' }] })
  await committed.close()
  assert.equal(await readCommitted(bootstrap, topic, 1), ['after'])
})

e2e.run()
