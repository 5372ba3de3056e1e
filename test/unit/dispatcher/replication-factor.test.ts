import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { replicationFactorError } from '../../../src/dispatcher/replication-factor.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'

test('up to one replica per worker is served; more than the workers and below 1 are INVALID_REPLICATION_FACTOR', () => {
  assert.is(replicationFactorError(1, 1), null)
  assert.is(replicationFactorError(2, 3), null)
  assert.is(replicationFactorError(3, 3), null)
  const refusals: Array<[number, number, string]> = [
    [4, 3, 'replication factor 4 is not possible: 4 replicas need 4 partition workers; this broker has 3'],
    [0, 3, 'replication factor must be an integer of at least 1 (or -1 for default.replication.factor), got 0'],
    [1.5, 3, 'replication factor must be an integer of at least 1 (or -1 for default.replication.factor), got 1.5']
  ]
  for (const [rf, workers, message] of refusals) {
    const err = replicationFactorError(rf, workers)
    assert.ok(err !== null, `rf ${rf}`)
    assert.is(err.kafkaCode, KafkaCode.INVALID_REPLICATION_FACTOR)
    assert.is(err.message, message)
  }
})

test.run()
