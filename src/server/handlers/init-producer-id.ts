/**
 * InitProducerId (22): the coordinator actor gives out producer ids (coordinator/producer-ids.ts);
 * a transactional id goes to the transaction coordinator (transactions/transaction-coordinator.ts).
 * When it cannot be reached the answer is a retriable COORDINATOR_NOT_AVAILABLE.
 */
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/apis/init-producer-id.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleInitProducerId (ctx: RequestContext, req: InitProducerIdRequest): Promise<InitProducerIdResponse> {
  return withCoordinator(ctx,
    (c) => req.transactionalId !== null ? c.initTransactionalProducerId(req, ctx.apiVersion) : c.initProducerId(req, ctx.apiVersion),
    (errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }))
}
