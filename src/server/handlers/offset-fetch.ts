/**
 * OffsetFetch (9): one group (v0-7) or several (v8+); -1 where nothing was committed; stable
 * offsets only from v7 (KIP-447). A group the principal may not Describe answers
 * GROUP_AUTHORIZATION_FAILED; a topic it may not Describe answers TOPIC_AUTHORIZATION_FAILED
 * when asked for by name and is left out of an all-topics answer, as Kafka does.
 */
import type { OffsetFetchRequest, OffsetFetchResponse, OffsetFetchResponsePartitions } from '../../protocol/apis/offset-fetch.js'
import type { FetchOffsets, GroupOffsets } from '../../coordinator/coordinator-api.js'
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

export function fetchOffsetsCall (req: OffsetFetchRequest, version: number): FetchOffsets {
  const topicsOf = (topics: Array<{ name: string, partitionIndexes: number[] }> | null | undefined): Array<{ name: string, partitions: number[] }> | null =>
    topics?.map((t) => ({ name: t.name, partitions: t.partitionIndexes })) ?? null
  const groups = version >= 8
    ? (req.groups ?? []).map((g) => ({ groupId: g.groupId, topics: topicsOf(g.topics) }))
    : [{ groupId: req.groupId ?? '', topics: topicsOf(req.topics) }]
  return { groups, requireStable: version >= 7 && req.requireStable === true }
}

function wireTopics (g: GroupOffsets): Array<{ name: string, partitions: OffsetFetchResponsePartitions[] }> {
  return g.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode }))
  }))
}

export function offsetFetchResponse (groups: GroupOffsets[], version: number): OffsetFetchResponse {
  if (version >= 8) return { throttleTimeMs: 0, groups: groups.map((g) => ({ groupId: g.groupId, errorCode: g.errorCode, topics: wireTopics(g) })) }
  return { throttleTimeMs: 0, errorCode: groups[0].errorCode, topics: wireTopics(groups[0]) }
}

export async function handleOffsetFetch (ctx: RequestContext, req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
  const check = CHECKS.offsetFetch.group
  if (ctx.apiVersion < 8 && !ctx.access.allows(check, req.groupId!)) return { throttleTimeMs: 0, errorCode: check.errorCode, topics: [] }
  const call = fetchOffsetsCall(req, ctx.apiVersion)
  const groups = await withCoordinator(ctx, async (c) => (await c.fetchOffsets(call)).groups,
    (errorCode) => call.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })))
  const res = offsetFetchResponse(groups, ctx.apiVersion)
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
