/**
 * OffsetCommit (8): stored in the coordinator log before it is answered; errors per partition.
 * v0 carries no generation (a commit outside any group membership). Needs Read on the group
 * (else every partition answers GROUP_AUTHORIZATION_FAILED) and Read on each topic (else that
 * topic's partitions answer TOPIC_AUTHORIZATION_FAILED and the rest commit).
 */
import type { OffsetCommitRequest, OffsetCommitRequestTopic, OffsetCommitResponse, OffsetCommitResponseTopic } from '../../protocol/apis/offset-commit.js'
import type { CommitOffsets, PartitionResults } from '../../coordinator/coordinator-api.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

function answered (topics: OffsetCommitRequestTopic[], errorCode: number): OffsetCommitResponseTopic[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }))
}

export function commitOffsetsCall (req: OffsetCommitRequest, topics: OffsetCommitRequestTopic[], version: number): CommitOffsets {
  return {
    groupId: req.groupId,
    generationId: version >= 1 ? (req.generationIdOrMemberEpoch ?? -1) : -1,
    memberId: req.memberId ?? '',
    groupInstanceId: req.groupInstanceId ?? null,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata }))
    }))
  }
}

/** Per partition results in the shape of OffsetCommit's and OffsetDelete's responses. */
export function wirePartitionResults (topics: PartitionResults): OffsetCommitResponseTopic[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) }))
}

export async function handleOffsetCommit (ctx: RequestContext, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  const check = CHECKS.offsetCommit
  if (!ctx.access.allows(check.group, req.groupId)) return { throttleTimeMs: 0, topics: answered(req.topics, check.group.errorCode) }
  const allowed = req.topics.filter((t) => ctx.access.allows(check.topic, t.name))
  const denied = answered(req.topics.filter((t) => !allowed.includes(t)), check.topic.errorCode)
  if (allowed.length === 0 && denied.length > 0) return { throttleTimeMs: 0, topics: denied }
  const topics = await withCoordinator(ctx,
    async (c) => wirePartitionResults((await c.commitOffsets(commitOffsetsCall(req, allowed, ctx.apiVersion))).topics),
    (errorCode) => answered(allowed, errorCode))
  return { throttleTimeMs: 0, topics: denied.length === 0 ? topics : [...topics, ...denied] }
}
