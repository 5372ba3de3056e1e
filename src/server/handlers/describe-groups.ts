/**
 * DescribeGroups (15): state, protocol and members (with metadata and assignment when stable).
 * A group the principal may not Describe answers GROUP_AUTHORIZATION_FAILED in its own entry.
 */
import type { DescribeGroupsRequest, DescribeGroupsResponse, DescribedGroup } from '../../protocol/apis/describe-groups.js'
import { CHECKS } from '../../security/api-operations.js'
import { ResourceType } from '../../security/acl.js'
import { GROUP_OPERATIONS } from '../../protocol/acl-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export async function handleDescribeGroups (ctx: RequestContext, req: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
  const res = await describeAllowed(ctx, req)
  // Asked for (v3+), each group carries what this principal may do with it, not every operation.
  if (ctx.access.authorizer !== null && req.includeAuthorizedOperations === true) {
    for (const g of res.groups) if (g.errorCode === 0 && g.authorizedOperations !== undefined) g.authorizedOperations = ctx.access.operations(ResourceType.GROUP, g.groupId, GROUP_OPERATIONS)
  }
  return res
}

async function describeAllowed (ctx: RequestContext, req: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
  const check = CHECKS.describeGroups.group
  const failed = (groupId: string, errorCode: number): DescribedGroup => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })
  const allowed = req.groups.filter((groupId) => ctx.access.allows(check, groupId))
  if (allowed.length === req.groups.length) {
    return await withCoordinator(ctx, (c) => c.describeGroups(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, groups: req.groups.map((g) => failed(g, errorCode)) }))
  }
  const described = allowed.length === 0
    ? []
    : (await withCoordinator(ctx, (c) => c.describeGroups({ ...req, groups: allowed }, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, groups: allowed.map((g) => failed(g, errorCode)) }))).groups
  const byId = new Map(described.map((g) => [g.groupId, g]))
  return { throttleTimeMs: 0, groups: req.groups.map((g) => byId.get(g) ?? failed(g, check.errorCode)) }
}
