/** DeleteGroups (42): only empty groups; their committed offsets go with them. */
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/apis/delete-groups.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleDeleteGroups (ctx: RequestContext, req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  return withCoordinator(ctx, (c) => c.deleteGroups(req, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode }))
  }))
}
