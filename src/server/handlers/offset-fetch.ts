/** OffsetFetch (9): one group (v0-7) or several (v8+); -1 where nothing was committed. */
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/offset-fetch.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleOffsetFetch (ctx: RequestContext, req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
  return withCoordinator(ctx, (c) => c.offsetFetch(req, ctx.apiVersion), (errorCode) => ctx.apiVersion >= 8
    ? { throttleTimeMs: 0, groups: (req.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) }
    : { throttleTimeMs: 0, errorCode, topics: [] })
}
