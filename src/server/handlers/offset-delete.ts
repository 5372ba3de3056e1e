/**
 * OffsetDelete (47): removes a group's committed offsets; the coordinator applies Kafka's rules.
 * Needs Delete on the group (else GROUP_AUTHORIZATION_FAILED) and Read on each topic (else that
 * topic's partitions answer TOPIC_AUTHORIZATION_FAILED and keep their offsets).
 */
import type { OffsetDeleteRequest, OffsetDeleteRequestTopic, OffsetDeleteResponse, OffsetDeleteResponseTopic } from '../../protocol/apis/offset-delete.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'
import { wirePartitionResults } from './offset-commit.js'

function answered (topics: OffsetDeleteRequestTopic[], errorCode: number): OffsetDeleteResponseTopic[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }))
}

export async function handleOffsetDelete (ctx: RequestContext, req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
  const check = CHECKS.offsetDelete
  if (!ctx.access.allows(check.group, req.groupId)) return { errorCode: check.group.errorCode, throttleTimeMs: 0, topics: [] }
  const allowed = req.topics.filter((t) => ctx.access.allows(check.topic, t.name))
  const denied = answered(req.topics.filter((t) => !allowed.includes(t)), check.topic.errorCode)
  if (allowed.length === 0 && denied.length > 0) return { errorCode: KafkaCode.NONE, throttleTimeMs: 0, topics: denied }
  const call = { groupId: req.groupId, topics: allowed.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })) }
  const res = await withCoordinator(ctx, (c) => c.deleteOffsets(call), (errorCode) => ({ errorCode, topics: [] }))
  const topics = wirePartitionResults(res.topics)
  return { errorCode: res.errorCode, throttleTimeMs: 0, topics: denied.length === 0 ? topics : [...topics, ...denied] }
}
