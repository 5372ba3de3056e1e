/**
 * The one place where storage-engine statuses become Kafka error codes, per partition.
 * A status this table does not know becomes UNKNOWN_SERVER_ERROR.
 */
import { LogStatus } from '../log/errors.js'
import { KafkaCode } from '../protocol/error-codes.js'

export function kafkaCodeOf (status: LogStatus): number {
  switch (status) {
    case LogStatus.Ok: return KafkaCode.NONE
    case LogStatus.CorruptMessage: return KafkaCode.CORRUPT_MESSAGE
    case LogStatus.InvalidRecord: return KafkaCode.INVALID_RECORD
    case LogStatus.RecordTooLarge: return KafkaCode.MESSAGE_TOO_LARGE
    case LogStatus.OffsetOutOfRange: return KafkaCode.OFFSET_OUT_OF_RANGE
    case LogStatus.OffsetBeyondHighWatermark: return KafkaCode.OFFSET_OUT_OF_RANGE
    case LogStatus.StorageError: return KafkaCode.KAFKA_STORAGE_ERROR
    // A partition closed under the request (topic deleted, worker restarting): retriable, the
    // client refreshes its metadata and learns what happened.
    case LogStatus.Closed: return KafkaCode.NOT_LEADER_OR_FOLLOWER
    case LogStatus.WorkerFault: return KafkaCode.NOT_LEADER_OR_FOLLOWER
    case LogStatus.UnknownPartition: return KafkaCode.UNKNOWN_TOPIC_OR_PARTITION
    case LogStatus.OutOfOrderSequence: return KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    case LogStatus.InvalidProducerEpoch: return KafkaCode.INVALID_PRODUCER_EPOCH
    case LogStatus.InvalidTxnState: return KafkaCode.INVALID_TXN_STATE
    case LogStatus.UnsupportedCompression: return KafkaCode.UNSUPPORTED_COMPRESSION_TYPE
    case LogStatus.NotLeader: return KafkaCode.NOT_LEADER_OR_FOLLOWER
    case LogStatus.FencedLeaderEpoch: return KafkaCode.FENCED_LEADER_EPOCH
    case LogStatus.UnknownLeaderEpoch: return KafkaCode.UNKNOWN_LEADER_EPOCH
    case LogStatus.NotEnoughReplicas: return KafkaCode.NOT_ENOUGH_REPLICAS
    case LogStatus.NotEnoughReplicasAfterAppend: return KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
    // ListOffsets answers "no such record" as offset -1 without an error.
    case LogStatus.NotFound: return KafkaCode.NONE
    default: return KafkaCode.UNKNOWN_SERVER_ERROR
  }
}
