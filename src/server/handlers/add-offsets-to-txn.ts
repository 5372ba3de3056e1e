/** AddOffsetsToTxn (25): the group's offsets join the transaction (TxnOffsetCommit follows). */
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/apis/add-offsets-to-txn.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleAddOffsetsToTxn (ctx: RequestContext, req: AddOffsetsToTxnRequest): Promise<AddOffsetsToTxnResponse> {
  return withCoordinator(ctx, (c) => c.addOffsetsToTxn(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, errorCode }))
}
