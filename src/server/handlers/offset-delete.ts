/** OffsetDelete (47): removes a group's committed offsets; the coordinator applies Kafka's rules. */
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/apis/offset-delete.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleOffsetDelete (ctx: RequestContext, req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
  return withCoordinator(ctx, (c) => c.offsetDelete(req, ctx.apiVersion), (errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }))
}
