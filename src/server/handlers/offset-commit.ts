/** OffsetCommit (8): stored in the coordinator log before it is answered; errors per partition. */
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/apis/offset-commit.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleOffsetCommit (ctx: RequestContext, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  return withCoordinator(ctx, (c) => c.offsetCommit(req, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }))
  }))
}
