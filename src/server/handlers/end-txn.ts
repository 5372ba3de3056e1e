/**
 * EndTxn (26): answered once PrepareCommit/PrepareAbort is in the transaction log; the
 * coordinator then has the markers written (Dispatcher.writeTxnMarkers) and completes.
 */
import type { EndTxnRequest, EndTxnResponse } from '../../protocol/apis/end-txn.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleEndTxn (ctx: RequestContext, req: EndTxnRequest): Promise<EndTxnResponse> {
  const check = CHECKS.endTxn.transactionalId
  if (!ctx.access.allows(check, req.transactionalId)) return Promise.resolve({ throttleTimeMs: 0, errorCode: check.errorCode })
  return withCoordinator(ctx, (c) => c.endTxn(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, errorCode }))
}
