/** DescribeGroups (15): state, protocol and members (with metadata and assignment when stable). */
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/apis/describe-groups.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleDescribeGroups (ctx: RequestContext, req: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
  return withCoordinator(ctx, (c) => c.describeGroups(req, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }))
  }))
}
