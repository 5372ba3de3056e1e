/** The dispatcher's produce-time check: asks the coordinator once per producer, epoch and partition, then answers from its cache. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TxnProduceGate } from '../../../src/transactions/txn-produce-gate.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'

test('a confirmed partition is answered from the cache until the producer is forgotten', async () => {
  const asked: string[] = []
  const gate = new TxnProduceGate(async (pid, epoch, topic, partition) => { asked.push(`${pid}/${epoch}/${topic}-${partition}`); return KafkaCode.NONE })
  assert.is(await gate.check(7, 0, 't', 0), KafkaCode.NONE)
  assert.is(gate.check(7, 0, 't', 0), KafkaCode.NONE, 'answered without a promise')
  assert.is(await gate.check(7, 0, 't', 1), KafkaCode.NONE)
  assert.is(await gate.check(7, 1, 't', 0), KafkaCode.NONE, 'another epoch asks again')
  gate.forget(7)
  assert.is(gate.size, 0)
  assert.is(await gate.check(7, 1, 't', 0), KafkaCode.NONE)
  assert.equal(asked, ['7/0/t-0', '7/0/t-1', '7/1/t-0', '7/1/t-0'])
})

test('refusals are not cached; an unreachable coordinator is NOT_ENOUGH_REPLICAS (retriable)', async () => {
  let answer: number = KafkaCode.INVALID_TXN_STATE
  let calls = 0
  const gate = new TxnProduceGate(async () => { calls++; if (answer === -99) throw new Error('gone'); return answer })
  assert.is(await gate.check(1, 0, 't', 0), KafkaCode.INVALID_TXN_STATE)
  assert.is(await gate.check(1, 0, 't', 0), KafkaCode.INVALID_TXN_STATE)
  assert.is(calls, 2)
  answer = KafkaCode.INVALID_PRODUCER_ID_MAPPING
  assert.is(await gate.check(1, 0, 't', 0), KafkaCode.INVALID_TXN_STATE)
  answer = KafkaCode.INVALID_PRODUCER_EPOCH
  assert.is(await gate.check(1, 0, 't', 0), KafkaCode.INVALID_PRODUCER_EPOCH)
  answer = KafkaCode.COORDINATOR_NOT_AVAILABLE
  assert.is(await gate.check(1, 0, 't', 0), KafkaCode.NOT_ENOUGH_REPLICAS)
  answer = -99
  assert.is(await gate.check(1, 0, 't', 0), KafkaCode.NOT_ENOUGH_REPLICAS)
  assert.is(gate.size, 0)
})

test.run()
