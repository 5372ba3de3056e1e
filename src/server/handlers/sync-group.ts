/** SyncGroup (14): followers wait for the leader's assignment; the leader brings it. */
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/apis/sync-group.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleSyncGroup (ctx: RequestContext, req: SyncGroupRequest): Promise<SyncGroupResponse> {
  return withCoordinator(ctx, (c) => c.syncGroup(req, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0)
  }))
}
