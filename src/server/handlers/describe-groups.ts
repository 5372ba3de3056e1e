/**
 * DescribeGroups (15): state, protocol and members (with metadata and assignment when stable).
 * A group the principal may not Describe answers GROUP_AUTHORIZATION_FAILED in its own entry.
 * v3+ may ask for the operations allowed on each group.
 */
import type { DescribeGroupsRequest, DescribeGroupsResponse, DescribedGroup } from '../../protocol/apis/describe-groups.js'
import type { GroupDetails } from '../../coordinator/coordinator-api.js'
import { CHECKS } from '../../security/api-operations.js'
import { ResourceType } from '../../security/acl.js'
import { GROUP_OPERATIONS, authorizedOperationsField } from '../../protocol/acl-operations.js'
import type { RequestContext } from '../context.js'
import { wireBytes, withCoordinator } from './coordinator-call.js'

export function describedGroup (g: GroupDetails, authorizedOperations: number | undefined): DescribedGroup {
  return {
    errorCode: g.errorCode,
    groupId: g.groupId,
    groupState: g.state,
    protocolType: g.protocolType,
    protocolData: g.protocolName,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: wireBytes(m.metadata),
      memberAssignment: wireBytes(m.assignment)
    })),
    authorizedOperations
  }
}

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
  const authorizedOperations = ctx.apiVersion >= 3 ? authorizedOperationsField(req.includeAuthorizedOperations, GROUP_OPERATIONS) : undefined
  const describe = async (groupIds: string[]): Promise<DescribedGroup[]> => groupIds.length === 0
    ? []
    : await withCoordinator(ctx, async (c) => (await c.describeGroups(groupIds)).map((g) => describedGroup(g, authorizedOperations)),
      (errorCode) => groupIds.map((g) => failed(g, errorCode)))
  const allowed = req.groups.filter((groupId) => ctx.access.allows(check, groupId))
  if (allowed.length === req.groups.length) return { throttleTimeMs: 0, groups: await describe(req.groups) }
  const byId = new Map((await describe(allowed)).map((g) => [g.groupId, g]))
  return { throttleTimeMs: 0, groups: req.groups.map((g) => byId.get(g) ?? failed(g, check.errorCode)) }
}
