/**
 * How the console's JSON API answers a failure: an HTTP status and a body `{ error, code }`.
 * Library errors keep their MillraceError code; refusals the console makes itself (bad input)
 * are MR_ERR_INVALID_OPTION, so a client tests one field whatever refused it.
 */
import { MillraceError } from '../../errors.js'
import { KafkaCode, errorName } from '../../protocol/error-codes.js'

export interface ApiErrorBody {
  error: string
  code: string
  /** Kafka's error name when the broker refused with one (e.g. NON_EMPTY_GROUP). */
  kafkaError?: string
}

/** A refusal the console makes before asking the broker (a malformed offset, a missing field). */
export class ApiError extends Error {
  readonly statusCode: number
  readonly code: string

  constructor (statusCode: number, message: string, code = 'MR_ERR_INVALID_OPTION') {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
  }
}

export function badRequest (message: string): ApiError {
  return new ApiError(400, message)
}

/** Kafka codes that are the caller's doing, with the status that says so. */
const KAFKA_STATUS = new Map<number, number>([
  [KafkaCode.GROUP_ID_NOT_FOUND, 404],
  [KafkaCode.NON_EMPTY_GROUP, 409],
  [KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC, 409],
  [KafkaCode.INVALID_GROUP_ID, 400]
])

/** The HTTP status for a MillraceError; 500 for anything that is the broker's fault. */
export function statusOfMillraceError (err: MillraceError): number {
  switch (err.code) {
    case 'MR_ERR_UNKNOWN_TOPIC': return 404
    case 'MR_ERR_UNKNOWN_PARTITION': return 404
    case 'MR_ERR_INVALID_OPTION': return 400
    case 'MR_ERR_OFFSET_OUT_OF_RANGE': return 400
    case 'MR_ERR_RECORD_TOO_LARGE': return 413
    case 'MR_ERR_TOPIC_EXISTS': return 409
    case 'MR_ERR_CLOSED': return 503
    case 'MR_ERR_WORKER_FAULT': return 503
    case 'MR_ERR_KAFKA': return (err.kafkaCode === undefined ? undefined : KAFKA_STATUS.get(err.kafkaCode)) ?? 500
    default: return 500
  }
}

/** Status and body for any error a console handler threw (fastify's own 4xx included). */
export function apiErrorOf (err: unknown): { status: number, body: ApiErrorBody } {
  if (err instanceof ApiError) return { status: err.statusCode, body: { error: err.message, code: err.code } }
  if (err instanceof MillraceError) {
    const body: ApiErrorBody = { error: err.message, code: err.code }
    if (err.kafkaCode !== undefined) body.kafkaError = errorName(err.kafkaCode)
    return { status: statusOfMillraceError(err), body }
  }
  const e = err as { statusCode?: unknown, message?: unknown }
  // fastify's own refusals (malformed JSON, a body too large) carry a 4xx statusCode.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: String(e.message), code: 'MR_ERR_INVALID_OPTION' } }
  }
  return { status: 500, body: { error: err instanceof Error ? err.message : String(err), code: 'MR_ERR_INTERNAL' } }
}
