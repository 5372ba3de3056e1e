/**
 * OffsetCommit (8): stored in the coordinator log before it is answered; errors per partition.
 * Needs Read on the group (else every partition answers GROUP_AUTHORIZATION_FAILED) and Read on
 * each topic (else that topic's partitions answer TOPIC_AUTHORIZATION_FAILED and the rest commit).
 */
import type { OffsetCommitRequest, OffsetCommitRequestTopic, OffsetCommitResponse, OffsetCommitResponseTopic } from '../../protocol/apis/offset-commit.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

function answered (topics: OffsetCommitRequestTopic[], errorCode: number): OffsetCommitResponseTopic[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }))
}

export async function handleOffsetCommit (ctx: RequestContext, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  const check = CHECKS.offsetCommit
  if (!ctx.access.allows(check.group, req.groupId)) return { throttleTimeMs: 0, topics: answered(req.topics, check.group.errorCode) }
  const allowed = req.topics.filter((t) => ctx.access.allows(check.topic, t.name))
  const denied = answered(req.topics.filter((t) => !allowed.includes(t)), check.topic.errorCode)
  if (allowed.length === 0 && denied.length > 0) return { throttleTimeMs: 0, topics: denied }
  const res = await withCoordinator(ctx, (c) => c.offsetCommit(denied.length === 0 ? req : { ...req, topics: allowed }, ctx.apiVersion),
    (errorCode) => ({ throttleTimeMs: 0, topics: answered(allowed, errorCode) }))
  return denied.length === 0 ? res : { ...res, topics: [...res.topics, ...denied] }
}
