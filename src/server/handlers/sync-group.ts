/** SyncGroup (14): followers wait for the leader's assignment; the leader brings it. */
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/apis/sync-group.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export function handleSyncGroup (ctx: RequestContext, req: SyncGroupRequest): Promise<SyncGroupResponse> {
  const failed = (errorCode: number): SyncGroupResponse => ({
    throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0)
  })
  if (!ctx.access.allows(CHECKS.syncGroup.group, req.groupId)) return Promise.resolve(failed(CHECKS.syncGroup.group.errorCode))
  return withCoordinator(ctx, (c) => c.syncGroup(req, ctx.apiVersion), failed)
}
