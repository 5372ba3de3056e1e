/**
 * InitProducerId (22): the coordinator actor gives out producer ids (coordinator/producer-ids.ts);
 * a transactional id goes to the transaction coordinator (transactions/transaction-coordinator.ts).
 * When it cannot be reached the answer is a retriable COORDINATOR_NOT_AVAILABLE.
 */
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/apis/init-producer-id.js'
import type { NewProducerId } from '../../coordinator/coordinator-api.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME } from '../../security/acl.js'

/** Transactional: Write on the id. Idempotent: IdempotentWrite on the cluster, or Write on some topic (Kafka 3's rule). */
function denied (ctx: RequestContext, req: InitProducerIdRequest): number | null {
  const check = CHECKS.initProducerId
  if (req.transactionalId !== null) return ctx.access.allows(check.transactionalId, req.transactionalId) ? null : check.transactionalId.errorCode
  if (ctx.access.allows(check.idempotentCluster, CLUSTER_NAME, false) || ctx.access.allowsSome(check.idempotentTopics)) return null
  return check.idempotentCluster.errorCode
}

/** v3+ may name the producer's current id and epoch (KIP-360); older versions carry neither. */
export function newProducerIdCall (req: InitProducerIdRequest, version: number): NewProducerId {
  return version >= 3 ? { producerId: req.producerId ?? -1, producerEpoch: req.producerEpoch ?? -1 } : { producerId: -1, producerEpoch: -1 }
}

export async function handleInitProducerId (ctx: RequestContext, req: InitProducerIdRequest): Promise<InitProducerIdResponse> {
  const failed = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 })
  const refused = denied(ctx, req)
  if (refused !== null) return failed(refused)
  if (req.transactionalId !== null) return await withCoordinator(ctx, (c) => c.initTransactionalProducerId(req, ctx.apiVersion), failed)
  const res = await withCoordinator(ctx, (c) => c.initProducerId(newProducerIdCall(req, ctx.apiVersion)), failed)
  return { throttleTimeMs: 0, errorCode: res.errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch }
}
