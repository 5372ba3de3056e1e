/** TxnOffsetCommit (28): offsets held by the transaction until its marker; errors per partition. */
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/apis/txn-offset-commit.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleTxnOffsetCommit (ctx: RequestContext, req: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponse> {
  return withCoordinator(ctx, (c) => c.txnOffsetCommit(req, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }))
  }))
}
