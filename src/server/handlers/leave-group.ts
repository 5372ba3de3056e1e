/**
 * LeaveGroup (13): one member (v0-2, answered with its own error code) or a batch of members by
 * id or instance id (v3+, answered per member).
 */
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/apis/leave-group.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import type { LeaveGroup, LeaveGroupResult } from '../../coordinator/coordinator-api.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export function leaveGroupCall (req: LeaveGroupRequest, version: number): LeaveGroup {
  const members = version >= 3
    ? (req.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
    : [{ memberId: req.memberId ?? '', groupInstanceId: null }]
  return { groupId: req.groupId, members }
}

export function leaveGroupResponse (res: LeaveGroupResult, version: number): LeaveGroupResponse {
  if (version >= 3) return { throttleTimeMs: 0, errorCode: res.errorCode, members: res.members }
  return { throttleTimeMs: 0, errorCode: res.errorCode !== KafkaCode.NONE ? res.errorCode : (res.members[0]?.errorCode ?? KafkaCode.NONE) }
}

export async function handleLeaveGroup (ctx: RequestContext, req: LeaveGroupRequest): Promise<LeaveGroupResponse> {
  const failed = (errorCode: number): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members: [] })
  if (!ctx.access.allows(CHECKS.leaveGroup.group, req.groupId)) return failed(CHECKS.leaveGroup.group.errorCode)
  return await withCoordinator(ctx, async (c) => leaveGroupResponse(await c.leaveGroup(leaveGroupCall(req, ctx.apiVersion)), ctx.apiVersion), failed)
}
