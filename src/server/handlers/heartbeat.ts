/** Heartbeat (12): keeps a member's session alive and tells it when to rejoin. */
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/apis/heartbeat.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export function handleHeartbeat (ctx: RequestContext, req: HeartbeatRequest): Promise<HeartbeatResponse> {
  const failed = (errorCode: number): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode })
  if (!ctx.access.allows(CHECKS.heartbeat.group, req.groupId)) return Promise.resolve(failed(CHECKS.heartbeat.group.errorCode))
  return withCoordinator(ctx, (c) => c.heartbeat(req, ctx.apiVersion), failed)
}
