/** Turns an engine status into the error library-mode users see. */
import { MillraceError } from '../errors.js'
import { LogStatus } from '../log/errors.js'

export function statusError (status: LogStatus, where: string): MillraceError {
  switch (status) {
    case LogStatus.CorruptMessage: return new MillraceError('MR_ERR_CORRUPT_BATCH', `${where}: the batch failed its CRC or length check`)
    case LogStatus.InvalidRecord: return new MillraceError('MR_ERR_CORRUPT_BATCH', `${where}: the batch is not a valid record batch v2`)
    case LogStatus.RecordTooLarge: return new MillraceError('MR_ERR_RECORD_TOO_LARGE', `${where}: the batch is larger than max.message.bytes`)
    case LogStatus.OffsetOutOfRange: return new MillraceError('MR_ERR_OFFSET_OUT_OF_RANGE', `${where}: offset out of range`)
    case LogStatus.OffsetBeyondHighWatermark: return new MillraceError('MR_ERR_OFFSET_OUT_OF_RANGE', `${where}: offset beyond the high watermark`)
    case LogStatus.UnknownPartition: return new MillraceError('MR_ERR_UNKNOWN_PARTITION', `${where}: unknown partition`, { retriable: true })
    case LogStatus.WorkerFault: return new MillraceError('MR_ERR_WORKER_FAULT', `${where}: the partition's worker failed; it is restarting`, { retriable: true })
    case LogStatus.Closed: return new MillraceError('MR_ERR_CLOSED', `${where}: the partition is closed`)
    default: return new MillraceError('MR_ERR_STORAGE', `${where}: storage error (status ${status})`)
  }
}

export function isRetriable (status: LogStatus): boolean {
  return status === LogStatus.WorkerFault || status === LogStatus.UnknownPartition
}
