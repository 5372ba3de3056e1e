/**
 * The edge between clients older than Kafka 0.11 (Produce v0-2, Fetch v0-3: message sets v0/v1)
 * and the log, which holds record batches v2 only. Produce and Fetch call in here for those
 * versions alone; newer versions never pass through this file.
 */
import { KafkaCode } from '../../protocol/error-codes.js'
import { kMagic } from '../../protocol/batch-header.js'
import { downConvert, MessageSetError, type MessageSetFailure, upConvert } from '../../protocol/message-set.js'
import { LogRateLimiter } from '../../logger.js'
import type { RequestContext } from '../context.js'

/** First Produce version whose records are a record batch v2. */
export const PRODUCE_BATCH_V2_FROM_VERSION = 3
/** First Fetch version whose records are sent as stored (batches v2). */
export const FETCH_BATCH_V2_FROM_VERSION = 4
/** First Fetch version answered with magic 1 messages (timestamps) rather than magic 0. */
const FETCH_MAGIC_1_FROM_VERSION = 2

interface Limiters { served: LogRateLimiter, refused: LogRateLimiter }
/** Per broker, so one broker's lines never hold back another's in the same process. */
const limitersOf = new WeakMap<object, Limiters>()

function limiters (ctx: RequestContext): Limiters {
  let l = limitersOf.get(ctx.dispatcher)
  if (l === undefined) {
    // One line per client and direction per minute tells the operator old clients are converted.
    l = { served: new LogRateLimiter(60_000), refused: new LogRateLimiter() }
    limitersOf.set(ctx.dispatcher, l)
  }
  return l
}

function noteServed (ctx: RequestContext, api: string): void {
  const suppressed = limiters(ctx).served.admit(`${api}:${ctx.clientId ?? ''}`)
  if (suppressed !== null) ctx.dispatcher.logger.info({ clientId: ctx.clientId, api, apiVersion: ctx.apiVersion, suppressed }, 'serving a pre-0.11 client: message format v0/v1 converted at the edge')
}

export interface LegacyProduce {
  records: Buffer | null
  problem: { code: number, message: string } | null
}

/** The Kafka code a refused message set is answered with. */
export function messageSetKafkaCode (reason: MessageSetFailure): number {
  switch (reason) {
    case 'bad-crc': return KafkaCode.CORRUPT_MESSAGE
    case 'corrupt': return KafkaCode.CORRUPT_MESSAGE
    case 'bad-magic': return KafkaCode.INVALID_RECORD
    case 'unsupported-compression': return KafkaCode.UNSUPPORTED_COMPRESSION_TYPE
    case 'too-large': return KafkaCode.MESSAGE_TOO_LARGE
    default: return KafkaCode.UNKNOWN_SERVER_ERROR
  }
}

/**
 * The record batch v2 a Produce v0-2 partition's records become. A message set is up-converted;
 * a batch v2 (older requests could carry one, as Kafka 3.x accepted) passes through unchanged.
 */
export function upConvertProduce (ctx: RequestContext, topic: string, records: Buffer | null): LegacyProduce {
  if (records === null || records.length <= kMagic) return { records, problem: null }
  // Offset 16 is the magic byte in both layouts: offset, size, crc vs. baseOffset, length, epoch.
  if (records[kMagic] === 2) return { records, problem: null }
  noteServed(ctx, 'Produce')
  try {
    return { records: upConvert(records).batch, problem: null }
  } catch (err) {
    if (!(err instanceof MessageSetError)) throw err
    const suppressed = limiters(ctx).refused.admit(`${err.reason}:${ctx.clientId ?? ''}`)
    if (suppressed !== null) ctx.dispatcher.logger.warn({ clientId: ctx.clientId, topic, apiVersion: ctx.apiVersion, reason: err.reason, err: err.message, suppressed }, 'Produce message set refused')
    return { records: null, problem: { code: messageSetKafkaCode(err.reason), message: err.message } }
  }
}

/**
 * The stored batches of one partition as the message set a Fetch v0-3 expects, within
 * `maxBytes` (always at least one message). Null when the stored bytes do not decode, which
 * the caller answers with an error: it must never pass as an empty partition.
 */
export function downConvertFetch (ctx: RequestContext, topic: string, partition: number, batches: Uint8Array, fetchOffset: number, maxBytes: number): Buffer | null {
  if (batches.length === 0) return Buffer.alloc(0)
  noteServed(ctx, 'Fetch')
  try {
    return downConvert(batches, ctx.apiVersion >= FETCH_MAGIC_1_FROM_VERSION ? 1 : 0, fetchOffset, maxBytes)
  } catch (err) {
    ctx.dispatcher.logger.error({ clientId: ctx.clientId, topic, partition, fetchOffset, err: (err as Error).message }, 'stored batches could not be down-converted for an old Fetch')
    return null
  }
}
