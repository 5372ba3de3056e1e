import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LogStatus } from '../../../src/log/errors.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import { kafkaCodeOf } from '../../../src/server/status.js'

const TABLE: Array<[LogStatus, number]> = [
  [LogStatus.Ok, KafkaCode.NONE],
  [LogStatus.CorruptMessage, KafkaCode.CORRUPT_MESSAGE],
  [LogStatus.InvalidRecord, KafkaCode.INVALID_RECORD],
  [LogStatus.RecordTooLarge, KafkaCode.MESSAGE_TOO_LARGE],
  [LogStatus.OffsetOutOfRange, KafkaCode.OFFSET_OUT_OF_RANGE],
  [LogStatus.StorageError, KafkaCode.KAFKA_STORAGE_ERROR],
  [LogStatus.Closed, KafkaCode.NOT_LEADER_OR_FOLLOWER],
  [LogStatus.NotFound, KafkaCode.NONE],
  [LogStatus.UnknownPartition, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION],
  [LogStatus.WorkerFault, KafkaCode.NOT_LEADER_OR_FOLLOWER],
  [LogStatus.BadRequest, KafkaCode.UNKNOWN_SERVER_ERROR],
  [LogStatus.OffsetBeyondHighWatermark, KafkaCode.OFFSET_OUT_OF_RANGE],
  [LogStatus.OutOfOrderSequence, KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER],
  [LogStatus.InvalidProducerEpoch, KafkaCode.INVALID_PRODUCER_EPOCH],
  [LogStatus.InvalidTxnState, KafkaCode.INVALID_TXN_STATE],
  [LogStatus.UnsupportedCompression, KafkaCode.UNSUPPORTED_COMPRESSION_TYPE],
  [LogStatus.NotLeader, KafkaCode.NOT_LEADER_OR_FOLLOWER],
  [LogStatus.FencedLeaderEpoch, KafkaCode.FENCED_LEADER_EPOCH],
  [LogStatus.UnknownLeaderEpoch, KafkaCode.UNKNOWN_LEADER_EPOCH],
  [LogStatus.NotEnoughReplicas, KafkaCode.NOT_ENOUGH_REPLICAS],
  [LogStatus.NotEnoughReplicasAfterAppend, KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]
]

test('every LogStatus maps to its Kafka code', () => {
  const statuses = Object.values(LogStatus).filter((v): v is LogStatus => typeof v === 'number')
  assert.is(TABLE.length, statuses.length, 'a LogStatus is missing from the table')
  for (const [status, code] of TABLE) assert.is(kafkaCodeOf(status), code, LogStatus[status])
})

test('an unknown status becomes UNKNOWN_SERVER_ERROR', () => {
  assert.is(kafkaCodeOf(999 as LogStatus), KafkaCode.UNKNOWN_SERVER_ERROR)
  assert.is(kafkaCodeOf(-1 as LogStatus), KafkaCode.UNKNOWN_SERVER_ERROR)
})

test('retriable faults stay retriable for clients', async () => {
  const { isRetriable } = await import('../../../src/protocol/error-codes.js')
  assert.ok(isRetriable(kafkaCodeOf(LogStatus.WorkerFault)))
  assert.ok(isRetriable(kafkaCodeOf(LogStatus.Closed)))
  // Replication: a client caught by a failover retries against the new leader.
  assert.ok(isRetriable(kafkaCodeOf(LogStatus.NotLeader)))
  assert.ok(isRetriable(kafkaCodeOf(LogStatus.FencedLeaderEpoch)))
  assert.ok(isRetriable(kafkaCodeOf(LogStatus.StorageError)))
})

test.run()
