/**
 * Errors that the library throws at its users. Callers test `err.code`, never the message.
 * The brand survives duplicate installs of the package, where `instanceof` would not.
 */
const kMillraceError = Symbol.for('millrace.error')

export type MillraceErrorCode =
  | 'MR_ERR_INVALID_OPTION'
  | 'MR_ERR_CLOSED'
  | 'MR_ERR_PROTOCOL'
  | 'MR_ERR_TIMEOUT'
  | 'MR_ERR_UNKNOWN_TOPIC'
  | 'MR_ERR_UNKNOWN_PARTITION'
  | 'MR_ERR_TOPIC_EXISTS'
  | 'MR_ERR_OFFSET_OUT_OF_RANGE'
  | 'MR_ERR_RECORD_TOO_LARGE'
  | 'MR_ERR_CORRUPT_BATCH'
  | 'MR_ERR_STORAGE'
  | 'MR_ERR_DATA_DIR_LOCKED'
  | 'MR_ERR_DATA_DIR_UNUSABLE'
  | 'MR_ERR_WORKER_FAULT'
  | 'MR_ERR_KAFKA'
  /** Another producer with the same transactional id took over (or the transaction timed out): this one can no longer write. */
  | 'MR_ERR_PRODUCER_FENCED'
  /** A transactional call out of order: send outside a transaction, commit without one, begin twice. */
  | 'MR_ERR_INVALID_TXN_STATE'

export class MillraceError extends Error {
  readonly code: MillraceErrorCode
  /** Kafka error code when the error came from (or maps to) one. */
  readonly kafkaCode: number | undefined
  readonly retriable: boolean

  constructor (code: MillraceErrorCode, message: string, options: { cause?: unknown, kafkaCode?: number, retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MillraceError'
    this.code = code
    this.kafkaCode = options.kafkaCode
    this.retriable = options.retriable ?? false
  }

  get [kMillraceError] (): true { return true }

  static override [Symbol.hasInstance] (value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kMillraceError] === true
  }
}

export function invalidOption (path: string, rule: string): MillraceError {
  return new MillraceError('MR_ERR_INVALID_OPTION', `${path} ${rule}`)
}
