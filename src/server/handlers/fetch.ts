/**
 * Fetch (1): reads every requested partition, and when less than `minBytes` came back parks
 * until an append lands on one of them or `maxWaitMs` passes, then reads again. Batches are
 * returned whole and by reference (no copy into the response). The response stays within
 * `maxBytes`, except that the first partition with data is always included so that a batch
 * larger than the limit cannot stall a consumer. Sessions are not kept: session id 0 always.
 * v9+: a `currentLeaderEpoch` other than the partition's is fenced before the read
 * (leader-epoch.ts). v12+ diverging epochs are not reported: nothing here truncates a log yet.
 * Fetch v0-3 answers are down-converted to message sets v0/v1 (legacy-records.ts).
 */
import type { FetchPartition, FetchRequest, FetchResponse, FetchableTopicResponse, PartitionData } from '../../protocol/apis/fetch.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { LogStatus } from '../../log/errors.js'
import type { PartitionState, TopicState } from '../../dispatcher/topic-table.js'
import type { RequestContext } from '../context.js'
import { kafkaCodeOf } from '../status.js'
import { fetchOffsetsTopic, isOffsetsTopic, isOffsetsTopicId } from '../offsets-topic.js'
import { OFFSETS_TOPIC } from '../../coordinator/offsets-topic.js'
import { CHECKS } from '../../security/api-operations.js'
import { downConvertFetch, FETCH_BATCH_V2_FROM_VERSION } from './legacy-records.js'
import { countOut } from '../../dispatcher/traffic.js'
import { leaderEpochError, OFFSETS_TOPIC_LEADER_EPOCH } from '../leader-epoch.js'

const EMPTY = Buffer.alloc(0)
const READ_COMMITTED = 1
/** First Fetch version that names topics by id. */
const TOPIC_IDS_FROM_VERSION = 13

interface Wanted {
  topic: TopicState | undefined
  request: FetchPartition
  p: PartitionState | undefined
  /** A partition of `__consumer_offsets`: read from the coordinator's log. */
  internal: boolean
  /** The authorization error to answer, when the principal may not Read the topic. */
  denied: number | null
}

function errorData (index: number, errorCode: number, p?: PartitionState): PartitionData {
  return {
    partitionIndex: index,
    errorCode,
    highWatermark: p?.highWatermark ?? -1,
    lastStableOffset: p?.lastStableOffset ?? -1,
    logStartOffset: p?.logStartOffset ?? -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY
  }
}

async function readOne (ctx: RequestContext, w: Wanted, isolation: number, maxBytes: number, unknownCode: number): Promise<PartitionData> {
  const { dispatcher } = ctx
  const index = w.request.partition
  if (w.denied !== null) return errorData(index, w.denied)
  if (w.internal) {
    const fenced = leaderEpochError(w.request.currentLeaderEpoch, OFFSETS_TOPIC_LEADER_EPOCH)
    return fenced !== KafkaCode.NONE ? errorData(index, fenced) : await fetchOffsetsTopic(ctx, index, w.request.fetchOffset, maxBytes)
  }
  if (w.p === undefined) return errorData(index, unknownCode)
  const fenced = leaderEpochError(w.request.currentLeaderEpoch, w.p.leaderEpoch)
  if (fenced !== KafkaCode.NONE) return errorData(index, fenced, w.p)
  let answer
  try {
    answer = await dispatcher.router.fetch(w.p, w.request.fetchOffset, maxBytes, isolation)
  } catch {
    return errorData(index, KafkaCode.NOT_LEADER_OR_FOLLOWER, w.p)
  }
  if (answer.status !== LogStatus.Ok) return errorData(index, kafkaCodeOf(answer.status), w.p)
  return {
    partitionIndex: index,
    errorCode: KafkaCode.NONE,
    highWatermark: answer.highWatermark,
    lastStableOffset: answer.lastStableOffset >= 0 ? answer.lastStableOffset : answer.highWatermark,
    logStartOffset: answer.logStartOffset,
    // read_committed lists the aborted transactions its batches overlap; read_uncommitted gets null, as Kafka.
    abortedTransactions: isolation === READ_COMMITTED ? answer.abortedTransactions ?? [] : null,
    preferredReadReplica: -1,
    records: answer.bytes ?? EMPTY
  }
}

function byteLength (d: PartitionData): number {
  return d.records instanceof Uint8Array ? d.records.length : 0
}

/** Fetch v0-3: each partition's batches become the message set an old client reads. */
function downConvertAll (ctx: RequestContext, groups: Array<{ request: { topic?: string }, wanted: Wanted[] }>, results: PartitionData[][]): void {
  groups.forEach((g, i) => {
    const list = results[i]
    for (let j = 0; j < list.length; j++) {
      const d = list[j]
      if (!(d.records instanceof Uint8Array) || d.records.length === 0) continue
      const { fetchOffset, partitionMaxBytes } = g.wanted[j].request
      const set = downConvertFetch(ctx, g.request.topic!, d.partitionIndex, d.records, fetchOffset, partitionMaxBytes)
      list[j] = set === null ? errorData(d.partitionIndex, KafkaCode.UNKNOWN_SERVER_ERROR, g.wanted[j].p) : { ...d, records: set }
    }
  })
}

export async function handleFetch (ctx: RequestContext, req: FetchRequest): Promise<FetchResponse> {
  const { dispatcher, apiVersion } = ctx
  const byId = apiVersion >= TOPIC_IDS_FROM_VERSION
  const groups = req.topics.map((t) => {
    const topic = byId ? dispatcher.topics.byTopicId(t.topicId!.toString('hex')) : dispatcher.topic(t.topic!)
    const internal = byId ? isOffsetsTopicId(t.topicId) : isOffsetsTopic(t.topic)
    // A topic id that names no topic has nothing to check: it answers UNKNOWN_TOPIC_ID.
    const name = internal ? OFFSETS_TOPIC : byId ? topic?.name : t.topic!
    const denied = name === undefined || ctx.access.allows(CHECKS.fetch.topic, name) ? null : CHECKS.fetch.topic.errorCode
    return { request: t, wanted: t.partitions.map((fp): Wanted => ({ topic, request: fp, p: topic?.partitions[fp.partition], internal, denied })) }
  })
  const unknownCode = byId ? KafkaCode.UNKNOWN_TOPIC_ID : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION
  const isolation = req.isolationLevel === READ_COMMITTED ? READ_COMMITTED : 0
  const deadline = Date.now() + Math.max(0, req.maxWaitMs)
  const maxBytes = req.maxBytes !== undefined && req.maxBytes > 0 ? req.maxBytes : Number.MAX_SAFE_INTEGER

  const watched = groups.flatMap((g) => g.wanted.map((w) => w.p)).filter((p): p is PartitionState => p !== undefined)
  let results: PartitionData[][]
  for (;;) {
    const seen = dispatcher.router.appendCounts(watched)
    results = await Promise.all(groups.map((g) => Promise.all(g.wanted.map((w) =>
      readOne(ctx, w, isolation, Math.max(0, Math.min(w.request.partitionMaxBytes, maxBytes)), unknownCode)))))
    const flat = results.flat()
    const total = flat.reduce((n, d) => n + byteLength(d), 0)
    const anyError = flat.some((d) => d.errorCode !== KafkaCode.NONE)
    const remaining = deadline - Date.now()
    if (total >= req.minBytes || anyError || remaining <= 0 || flat.length === 0) break
    await dispatcher.router.waitForData(watched, remaining, seen, ctx.stopWaiting)
    if (ctx.stopWaiting.aborted) break
  }

  // Keep the response within maxBytes; the first partition with data always goes in.
  let used = 0
  let first = true
  for (let g = 0; g < results.length; g++) {
    const list = results[g]
    for (let i = 0; i < list.length; i++) {
      const n = byteLength(list[i])
      if (n === 0) continue
      if (!first && used + n > maxBytes) { list[i] = { ...list[i], records: EMPTY }; continue }
      first = false
      used += n
      const p = groups[g].wanted[i].p
      if (p !== undefined) countOut(p, list[i].records as Uint8Array)
    }
  }
  if (apiVersion < FETCH_BATCH_V2_FROM_VERSION) downConvertAll(ctx, groups, results)
  const responses: FetchableTopicResponse[] = groups.map((g, i) => byId
    ? { topicId: g.request.topicId!, partitions: results[i] }
    : { topic: g.request.topic!, partitions: results[i] })
  return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, sessionId: 0, responses }
}
