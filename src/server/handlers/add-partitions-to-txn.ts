/** AddPartitionsToTxn (24, v0-3): the transaction coordinator records the partitions; errors per partition. */
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../protocol/apis/add-partitions-to-txn.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleAddPartitionsToTxn (ctx: RequestContext, req: AddPartitionsToTxnRequest): Promise<AddPartitionsToTxnResponse> {
  return withCoordinator(ctx, (c) => c.addPartitionsToTxn(req, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode }))
    }))
  }))
}
