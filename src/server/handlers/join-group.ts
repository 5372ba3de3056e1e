/**
 * JoinGroup (11): parked in the coordinator until the rebalance completes. Versions differ only
 * here: v0 has no rebalance timeout (the session timeout serves for both, as in Kafka), v4+
 * members learn their id first (KIP-394), v7+ answers a null protocol name where older ones
 * answer '', and only v9+ can tell a restarted static leader to skip assigning.
 */
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/apis/join-group.js'
import type { JoinGroup, JoinGroupResult } from '../../coordinator/coordinator-api.js'
import type { RequestContext } from '../context.js'
import { wireBytes, withCoordinator } from './coordinator-call.js'
import { CHECKS } from '../../security/api-operations.js'

export function joinGroupCall (req: JoinGroupRequest, version: number, client: JoinGroup['client']): JoinGroup {
  return {
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    protocolType: req.protocolType,
    protocols: req.protocols,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs !== undefined && req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    requireKnownMemberId: version >= 4,
    client
  }
}

export function joinGroupResponse (res: JoinGroupResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: res.errorCode,
    generationId: res.generationId,
    protocolType: res.protocolType,
    protocolName: res.protocolName ?? (version >= 7 ? null : ''),
    leader: res.leader,
    skipAssignment: version >= 9 && res.skipAssignment,
    memberId: res.memberId,
    members: res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: wireBytes(m.metadata) }))
  }
}

export async function handleJoinGroup (ctx: RequestContext, req: JoinGroupRequest): Promise<JoinGroupResponse> {
  const version = ctx.apiVersion
  const failed = (errorCode: number): JoinGroupResult => ({
    errorCode, memberId: req.memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', members: [], skipAssignment: false
  })
  if (!ctx.access.allows(CHECKS.joinGroup.group, req.groupId)) return joinGroupResponse(failed(CHECKS.joinGroup.group.errorCode), version)
  const client = { clientId: ctx.clientId ?? '', clientHost: `/${ctx.remoteHost}` }
  return joinGroupResponse(await withCoordinator(ctx, (c) => c.joinGroup(joinGroupCall(req, version, client)), failed), version)
}
