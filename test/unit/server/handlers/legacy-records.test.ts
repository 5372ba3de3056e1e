import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import { MESSAGE_SET_FAILURES, type MessageSetFailure } from '../../../../src/protocol/message-set.js'
import { messageSetKafkaCode } from '../../../../src/server/handlers/legacy-records.js'

const TABLE: Array<[MessageSetFailure, number]> = [
  ['corrupt', KafkaCode.CORRUPT_MESSAGE],
  ['bad-crc', KafkaCode.CORRUPT_MESSAGE],
  ['bad-magic', KafkaCode.INVALID_RECORD],
  ['unsupported-compression', KafkaCode.UNSUPPORTED_COMPRESSION_TYPE],
  ['too-large', KafkaCode.MESSAGE_TOO_LARGE]
]

test('every message set failure maps to its Kafka code', () => {
  assert.equal(TABLE.map(([reason]) => reason).sort(), [...MESSAGE_SET_FAILURES].sort(), 'a failure is missing from the table')
  for (const [reason, code] of TABLE) assert.is(messageSetKafkaCode(reason), code, reason)
})

test.run()
