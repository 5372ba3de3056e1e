import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { KAFKA_ERRORS, KafkaCode, errorByCode, errorName, isRetriable } from '../../../src/protocol/error-codes.js'

const codes = suite('Kafka error codes')

codes('names map to the wire codes', () => {
  assert.is(KafkaCode.NONE, 0)
  assert.is(KafkaCode.UNKNOWN_SERVER_ERROR, -1)
  assert.is(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, 3)
  assert.is(KafkaCode.UNSUPPORTED_VERSION, 35)
  assert.is(KafkaCode.MEMBER_ID_REQUIRED, 79)
  assert.is(KafkaCode.INVALID_RECORD, 87)
  assert.is(KafkaCode.UNKNOWN_TOPIC_ID, 100)
})

codes('retriable flags follow the client reaction', () => {
  assert.ok(isRetriable(KafkaCode.LEADER_NOT_AVAILABLE))
  assert.ok(isRetriable(KafkaCode.NOT_COORDINATOR))
  assert.ok(isRetriable(KafkaCode.CONCURRENT_TRANSACTIONS))
  assert.not.ok(isRetriable(KafkaCode.NONE))
  assert.not.ok(isRetriable(KafkaCode.TOPIC_ALREADY_EXISTS))
  assert.not.ok(isRetriable(12345))
})

codes('lookup by code; the table is sorted and has no duplicates', () => {
  assert.equal(errorByCode(36), { code: 36, name: 'TOPIC_ALREADY_EXISTS', retriable: false })
  assert.is(errorByCode(12345), undefined)
  assert.is(errorName(2), 'CORRUPT_MESSAGE')
  assert.is(errorName(12345), 'UNKNOWN_CODE_12345')
  const list = KAFKA_ERRORS.map(e => e.code)
  assert.equal(list, [...new Set(list)].sort((a, b) => a - b))
  for (const e of KAFKA_ERRORS) assert.is(KafkaCode[e.name], e.code)
})

codes.run()
