/**
 * FindCoordinator (10): this single broker coordinates every group and every transactional id.
 * v0-3 ask for one key, v4+ for a list.
 */
import type { Coordinator, FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/apis/find-coordinator.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { NODE_ID, type RequestContext } from '../context.js'
import { advertisedAddress } from './metadata.js'
import { CHECKS } from '../../security/api-operations.js'

const KEY_TYPE_GROUP = 0
const KEY_TYPE_TRANSACTION = 1

export function handleFindCoordinator (ctx: RequestContext, req: FindCoordinatorRequest): FindCoordinatorResponse {
  // The client's JoinGroup (or InitProducerId) follows: start the coordinator thread now, so it
  // is loading while the client connects to it.
  void ctx.dispatcher.coordinator().catch(() => {})
  const { host, port } = advertisedAddress(ctx)
  const keyType = req.keyType ?? KEY_TYPE_GROUP
  const find = (key: string): Coordinator => {
    const problem = keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION
      ? `unknown coordinator key type ${keyType}`
      : key.length === 0 ? 'the coordinator key must not be empty' : null
    if (problem !== null) return { key, nodeId: -1, host: '', port: -1, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: problem }
    const check = keyType === KEY_TYPE_GROUP ? CHECKS.findCoordinator.group : CHECKS.findCoordinator.transactionalId
    if (!ctx.access.allows(check, key)) return { key, nodeId: -1, host: '', port: -1, errorCode: check.errorCode, errorMessage: null }
    return { key, nodeId: NODE_ID, host, port, errorCode: KafkaCode.NONE, errorMessage: null }
  }
  if (ctx.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: (req.coordinatorKeys ?? []).map(find) }
  const c = find(req.key ?? '')
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port }
}
