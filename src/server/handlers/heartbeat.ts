/** Heartbeat (12): keeps a member's session alive and tells it when to rejoin. */
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/apis/heartbeat.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export async function handleHeartbeat (ctx: RequestContext, req: HeartbeatRequest): Promise<HeartbeatResponse> {
  if (!ctx.access.allows(CHECKS.heartbeat.group, req.groupId)) return { throttleTimeMs: 0, errorCode: CHECKS.heartbeat.group.errorCode }
  const member = { groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, groupInstanceId: req.groupInstanceId ?? null }
  return { throttleTimeMs: 0, errorCode: await withCoordinator(ctx, (c) => c.heartbeat(member), (errorCode) => errorCode) }
}
