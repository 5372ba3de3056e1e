/** Heartbeat (12): keeps a member's session alive and tells it when to rejoin. */
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/apis/heartbeat.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleHeartbeat (ctx: RequestContext, req: HeartbeatRequest): Promise<HeartbeatResponse> {
  return withCoordinator(ctx, (c) => c.heartbeat(req, ctx.apiVersion), (errorCode) => ({ throttleTimeMs: 0, errorCode }))
}
