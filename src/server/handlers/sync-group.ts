/** SyncGroup (14): followers wait for the leader's assignment; the leader brings it. */
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/apis/sync-group.js'
import type { SyncGroupResult } from '../../coordinator/coordinator-api.js'
import type { RequestContext } from '../context.js'
import { wireBytes, withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

function syncGroupResponse (res: SyncGroupResult): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode: res.errorCode, protocolType: res.protocolType, protocolName: res.protocolName, assignment: wireBytes(res.assignment) }
}

export async function handleSyncGroup (ctx: RequestContext, req: SyncGroupRequest): Promise<SyncGroupResponse> {
  const failed = (errorCode: number): SyncGroupResult => ({ errorCode, protocolType: null, protocolName: null, assignment: new Uint8Array(0) })
  if (!ctx.access.allows(CHECKS.syncGroup.group, req.groupId)) return syncGroupResponse(failed(CHECKS.syncGroup.group.errorCode))
  return syncGroupResponse(await withCoordinator(ctx, (c) => c.syncGroup({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    protocolType: req.protocolType ?? null,
    protocolName: req.protocolName ?? null,
    assignments: req.assignments
  }), failed))
}
