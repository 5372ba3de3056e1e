/** LeaveGroup (13): one member (v0-2) or a batch of members by id or instance id (v3+). */
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/apis/leave-group.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleLeaveGroup (ctx: RequestContext, req: LeaveGroupRequest): Promise<LeaveGroupResponse> {
  return withCoordinator(ctx, (c) => c.leaveGroup(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }))
}
