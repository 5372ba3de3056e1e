/** Turns an engine status into the error library-mode users see. */
import { MillraceError } from '../errors.js'
import { LogStatus } from '../log/errors.js'
import { KafkaCode } from '../protocol/error-codes.js'

/** `detail`, when the broker said why it refused a batch, replaces the generic reason. */
export function statusError (status: LogStatus, where: string, detail: string | null = null): MillraceError {
  const why = (generic: string): string => `${where}: ${detail ?? generic}`
  switch (status) {
    case LogStatus.CorruptMessage: return new MillraceError('MR_ERR_CORRUPT_BATCH', why('a batch failed its CRC, length or offset checks'))
    case LogStatus.InvalidRecord: return new MillraceError('MR_ERR_CORRUPT_BATCH', why('the batch is not a valid record batch v2'))
    case LogStatus.RecordTooLarge: return new MillraceError('MR_ERR_RECORD_TOO_LARGE', why('the batch is larger than max.message.bytes'))
    case LogStatus.OffsetOutOfRange: return new MillraceError('MR_ERR_OFFSET_OUT_OF_RANGE', `${where}: offset out of range`)
    case LogStatus.OffsetBeyondHighWatermark: return new MillraceError('MR_ERR_OFFSET_OUT_OF_RANGE', `${where}: offset beyond the high watermark`)
    case LogStatus.UnknownPartition: return new MillraceError('MR_ERR_UNKNOWN_PARTITION', `${where}: unknown partition`, { retriable: true })
    case LogStatus.WorkerFault: return new MillraceError('MR_ERR_WORKER_FAULT', `${where}: the partition's worker failed; it is restarting`, { retriable: true })
    case LogStatus.OutOfOrderSequence: return new MillraceError('MR_ERR_KAFKA', `${where}: out of order sequence number (a batch of this idempotent producer is missing)`, { kafkaCode: KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    case LogStatus.InvalidProducerEpoch: return new MillraceError('MR_ERR_KAFKA', `${where}: the producer was fenced by a newer epoch of the same producer id`, { kafkaCode: KafkaCode.INVALID_PRODUCER_EPOCH })
    case LogStatus.InvalidTxnState: return new MillraceError('MR_ERR_KAFKA', why('transactional batches are not supported'), { kafkaCode: KafkaCode.INVALID_TXN_STATE })
    case LogStatus.UnsupportedCompression: return new MillraceError('MR_ERR_KAFKA', why('the compression codec is not available on this broker'), { kafkaCode: KafkaCode.UNSUPPORTED_COMPRESSION_TYPE })
    case LogStatus.NotLeader: return new MillraceError('MR_ERR_KAFKA', `${where}: the partition's leader moved (failover); retry`, { kafkaCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, retriable: true })
    case LogStatus.NotEnoughReplicas: return new MillraceError('MR_ERR_KAFKA', `${where}: fewer in-sync replicas than min.insync.replicas; nothing was appended`, { kafkaCode: KafkaCode.NOT_ENOUGH_REPLICAS, retriable: true })
    case LogStatus.NotEnoughReplicasAfterAppend: return new MillraceError('MR_ERR_KAFKA', `${where}: appended, but the in-sync replicas fell below min.insync.replicas before it was committed`, { kafkaCode: KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, retriable: true })
    case LogStatus.Closed: return new MillraceError('MR_ERR_CLOSED', `${where}: the partition is closed`)
    default: return new MillraceError('MR_ERR_STORAGE', `${where}: storage error (status ${status})`)
  }
}

export function isRetriable (status: LogStatus): boolean {
  return status === LogStatus.WorkerFault || status === LogStatus.UnknownPartition || status === LogStatus.NotLeader ||
    status === LogStatus.NotEnoughReplicas || status === LogStatus.NotEnoughReplicasAfterAppend
}
