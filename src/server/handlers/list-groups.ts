/**
 * ListGroups (16): every group, filtered by state (v4+) and type (v5+). Describe on the cluster
 * lists them all; otherwise only the groups the principal may Describe are listed, as in Kafka.
 */
import type { ListGroupsRequest, ListGroupsResponse } from '../../protocol/apis/list-groups.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME } from '../../security/acl.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export async function handleListGroups (ctx: RequestContext, req: ListGroupsRequest): Promise<ListGroupsResponse> {
  const filter = { states: req.statesFilter ?? null, types: req.typesFilter ?? null }
  const listed = await withCoordinator(ctx, (c) => c.listGroups(filter), (errorCode) => ({ errorCode, groups: [] }))
  const res: ListGroupsResponse = {
    throttleTimeMs: 0,
    errorCode: listed.errorCode,
    groups: listed.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type }))
  }
  const check = CHECKS.listGroups
  if (ctx.access.authorizer === null || ctx.access.allows(check.cluster, CLUSTER_NAME, false)) return res
  return { ...res, groups: res.groups.filter((g) => ctx.access.allows(check.group, g.groupId, false)) }
}
