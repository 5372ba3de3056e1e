/**
 * DeleteGroups (42): only empty groups; their committed offsets go with them. A group the
 * principal may not Delete answers GROUP_AUTHORIZATION_FAILED and stays.
 */
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/apis/delete-groups.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export async function handleDeleteGroups (ctx: RequestContext, req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  const check = CHECKS.deleteGroups.group
  const allowed = req.groupsNames.filter((groupId) => ctx.access.allows(check, groupId))
  const results = allowed.length === 0
    ? []
    : await withCoordinator(ctx, (c) => c.deleteGroups(allowed), (errorCode) => allowed.map((groupId) => ({ groupId, errorCode })))
  if (allowed.length === req.groupsNames.length) return { throttleTimeMs: 0, results }
  const denied = req.groupsNames.filter((g) => !allowed.includes(g)).map((groupId) => ({ groupId, errorCode: check.errorCode }))
  return { throttleTimeMs: 0, results: [...results, ...denied] }
}
