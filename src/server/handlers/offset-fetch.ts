/**
 * OffsetFetch (9): one group (v0-7) or several (v8+); -1 where nothing was committed. A group
 * the principal may not Describe answers GROUP_AUTHORIZATION_FAILED; a topic it may not
 * Describe answers TOPIC_AUTHORIZATION_FAILED when asked for by name and is left out of an
 * all-topics answer, as Kafka does.
 */
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/offset-fetch.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

interface TopicOffsets<P> { name: string, partitions: P[] }
interface PartitionOffset { committedOffset: number, metadata: string | null, errorCode: number }

/** The topics the principal may see: refused ones marked (asked by name) or dropped (all topics). */
function visibleTopics<P extends PartitionOffset, T extends TopicOffsets<P>> (ctx: RequestContext, topics: T[], byName: boolean): T[] {
  const check = CHECKS.offsetFetch.topic
  if (!byName) return topics.filter((t) => ctx.access.allows(check, t.name, false))
  return topics.map((t) => ctx.access.allows(check, t.name)
    ? t
    : { ...t, partitions: t.partitions.map((p) => ({ ...p, committedOffset: -1, metadata: null, errorCode: check.errorCode })) })
}

export async function handleOffsetFetch (ctx: RequestContext, req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
  const check = CHECKS.offsetFetch.group
  if (ctx.apiVersion < 8 && !ctx.access.allows(check, req.groupId!)) return { throttleTimeMs: 0, errorCode: check.errorCode, topics: [] }
  const res = await withCoordinator(ctx, (c) => c.offsetFetch(req, ctx.apiVersion), (errorCode) => ctx.apiVersion >= 8
    ? { throttleTimeMs: 0, groups: (req.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) }
    : { throttleTimeMs: 0, errorCode, topics: [] })
  if (ctx.access.authorizer === null) return res
  if (ctx.apiVersion < 8) return { ...res, topics: visibleTopics(ctx, res.topics ?? [], req.topics !== null) }
  const asked = new Map((req.groups ?? []).map((g) => [g.groupId, g.topics !== null]))
  return {
    ...res,
    groups: (res.groups ?? []).map((g) => ctx.access.allows(check, g.groupId)
      ? { ...g, topics: visibleTopics(ctx, g.topics, asked.get(g.groupId) ?? false) }
      : { groupId: g.groupId, errorCode: check.errorCode, topics: [] })
  }
}
