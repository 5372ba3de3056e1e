/** AddOffsetsToTxn (25): the group's offsets join the transaction (TxnOffsetCommit follows). */
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/apis/add-offsets-to-txn.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleAddOffsetsToTxn (ctx: RequestContext, req: AddOffsetsToTxnRequest): Promise<AddOffsetsToTxnResponse> {
  const { transactionalId, group } = CHECKS.addOffsetsToTxn
  if (!ctx.access.allows(transactionalId, req.transactionalId)) return Promise.resolve({ throttleTimeMs: 0, errorCode: transactionalId.errorCode })
  if (!ctx.access.allows(group, req.groupId)) return Promise.resolve({ throttleTimeMs: 0, errorCode: group.errorCode })
  return withCoordinator(ctx, (c) => c.addOffsetsToTxn(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, errorCode }))
}
