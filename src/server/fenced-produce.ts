/**
 * The broker's log line for a Produce refused because of its producer: a fenced epoch (a newer
 * producer took the transactional id, or the transaction timed out) or a transactional batch for
 * a partition outside the transaction. The client gets the Kafka code; the operator gets this,
 * at most one line a second per producer id and code, with how many were held back.
 */
import { errorName } from '../protocol/error-codes.js'
import { LogRateLimiter } from '../logger.js'
import type { RequestContext } from './context.js'

/** Per broker, so one broker's lines never hold back another's in the same process. */
const limiters = new WeakMap<object, LogRateLimiter>()

export function noteProducerRefusal (ctx: RequestContext, topic: string, partition: number, producerId: number, producerEpoch: number, errorCode: number): void {
  let limiter = limiters.get(ctx.dispatcher)
  if (limiter === undefined) limiters.set(ctx.dispatcher, limiter = new LogRateLimiter())
  const suppressed = limiter.admit(`${producerId}:${errorCode}`)
  if (suppressed === null) return
  ctx.dispatcher.logger.warn({ clientId: ctx.clientId, topic, partition, producerId, producerEpoch, error: errorName(errorCode), suppressed },
    'refused a produce: the producer epoch is fenced or the partition is not in its transaction')
}
