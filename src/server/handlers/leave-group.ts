/** LeaveGroup (13): one member (v0-2) or a batch of members by id or instance id (v3+). */
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/apis/leave-group.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export function handleLeaveGroup (ctx: RequestContext, req: LeaveGroupRequest): Promise<LeaveGroupResponse> {
  const failed = (errorCode: number): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members: [] })
  if (!ctx.access.allows(CHECKS.leaveGroup.group, req.groupId)) return Promise.resolve(failed(CHECKS.leaveGroup.group.errorCode))
  return withCoordinator(ctx, (c) => c.leaveGroup(req, ctx.apiVersion), failed)
}
