/** ListGroups (16): every group, filtered by state (v4+) and type (v5+). */
import type { ListGroupsRequest, ListGroupsResponse } from '../../protocol/apis/list-groups.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleListGroups (ctx: RequestContext, req: ListGroupsRequest): Promise<ListGroupsResponse> {
  return withCoordinator(ctx, (c) => c.listGroups(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }))
}
