import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MillraceError, type MillraceErrorCode } from '../../../../src/errors.js'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import { ApiError, apiErrorOf, statusOfMillraceError } from '../../../../src/http/console/api-errors.js'

// A Record over the union: adding a MillraceErrorCode without a status here fails to compile.
const STATUS: Record<MillraceErrorCode, number> = {
  MR_ERR_INVALID_OPTION: 400,
  MR_ERR_CLOSED: 503,
  MR_ERR_PROTOCOL: 500,
  MR_ERR_TIMEOUT: 500,
  MR_ERR_UNKNOWN_TOPIC: 404,
  MR_ERR_UNKNOWN_PARTITION: 404,
  MR_ERR_TOPIC_EXISTS: 409,
  MR_ERR_OFFSET_OUT_OF_RANGE: 400,
  MR_ERR_RECORD_TOO_LARGE: 413,
  MR_ERR_CORRUPT_BATCH: 500,
  MR_ERR_STORAGE: 500,
  MR_ERR_DATA_DIR_LOCKED: 500,
  MR_ERR_DATA_DIR_UNUSABLE: 500,
  MR_ERR_WORKER_FAULT: 503,
  MR_ERR_KAFKA: 500,
  // The console's producer is never transactional: these would be the broker's fault.
  MR_ERR_PRODUCER_FENCED: 500,
  MR_ERR_INVALID_TXN_STATE: 500
}

const statuses = suite('HTTP status of a library error')

statuses('each MillraceError code has its status', () => {
  for (const [code, status] of Object.entries(STATUS)) {
    assert.is(statusOfMillraceError(new MillraceError(code as MillraceErrorCode, 'x')), status, code)
  }
})

statuses('Kafka refusals that are the caller\'s doing are 4xx; others 500', () => {
  const kafka = (kafkaCode: number): number => statusOfMillraceError(new MillraceError('MR_ERR_KAFKA', 'x', { kafkaCode }))
  assert.is(kafka(KafkaCode.GROUP_ID_NOT_FOUND), 404)
  assert.is(kafka(KafkaCode.NON_EMPTY_GROUP), 409)
  assert.is(kafka(KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC), 409)
  assert.is(kafka(KafkaCode.COORDINATOR_NOT_AVAILABLE), 500)
})

statuses.run()

// ---

const bodies = suite('the { error, code } body')

bodies('a MillraceError keeps its code and names the Kafka error', () => {
  const { status, body } = apiErrorOf(new MillraceError('MR_ERR_KAFKA', 'not empty', { kafkaCode: KafkaCode.NON_EMPTY_GROUP }))
  assert.is(status, 409)
  assert.equal(body, { error: 'not empty', code: 'MR_ERR_KAFKA', kafkaError: 'NON_EMPTY_GROUP' })
})

bodies('the console\'s own refusal and fastify\'s 4xx are bad input', () => {
  assert.equal(apiErrorOf(new ApiError(400, 'offset must be…')), { status: 400, body: { error: 'offset must be…', code: 'MR_ERR_INVALID_OPTION' } })
  const parseError = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 })
  assert.equal(apiErrorOf(parseError), { status: 400, body: { error: 'Body is not valid JSON', code: 'MR_ERR_INVALID_OPTION' } })
})

bodies('anything else is a 500 that still says what happened', () => {
  assert.equal(apiErrorOf(new TypeError('boom')), { status: 500, body: { error: 'boom', code: 'MR_ERR_INTERNAL' } })
})

bodies.run()
