/** JoinGroup (11): parked in the coordinator until the rebalance completes. */
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/apis/join-group.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export function handleJoinGroup (ctx: RequestContext, req: JoinGroupRequest): Promise<JoinGroupResponse> {
  const client = { clientId: ctx.clientId ?? '', clientHost: `/${ctx.remoteHost}` }
  const failed = (errorCode: number): JoinGroupResponse => ({
    throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: ctx.apiVersion >= 7 ? null : '', leader: '', skipAssignment: false, memberId: req.memberId, members: []
  })
  if (!ctx.access.allows(CHECKS.joinGroup.group, req.groupId)) return Promise.resolve(failed(CHECKS.joinGroup.group.errorCode))
  return withCoordinator(ctx, (c) => c.joinGroup(req, ctx.apiVersion, client), failed)
}
