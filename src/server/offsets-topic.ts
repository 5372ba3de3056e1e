/**
 * `__consumer_offsets` as clients see it: an internal topic of one partition, led by this broker,
 * whose records are the coordinator's log (offset commits and group metadata in Kafka's layout).
 * Lag monitors read it; nobody writes to it but the coordinator. Metadata lists it without
 * starting the coordinator; a Fetch or ListOffsets starts it if it is not running yet.
 */
import type { PartitionData } from '../protocol/apis/fetch.js'
import type { ListOffsetsPartitionResponse } from '../protocol/apis/list-offsets.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { LogStatus } from '../log/errors.js'
import { LogRateLimiter } from '../logger.js'
import { OFFSETS_PARTITIONS, OFFSETS_TOPIC, OFFSETS_TOPIC_ID } from '../coordinator/offsets-topic.js'
import type { RequestContext } from './context.js'
import { kafkaCodeOf } from './status.js'

const EMPTY = Buffer.alloc(0)
const refusals = new LogRateLimiter()
const readFailures = new LogRateLimiter()

export function isOffsetsTopic (name: string | null | undefined): boolean {
  return name === OFFSETS_TOPIC
}

export function isOffsetsTopicId (topicId: Buffer | undefined): boolean {
  return topicId !== undefined && topicId.toString('hex') === OFFSETS_TOPIC_ID
}

/**
 * Logs a refused write to the internal topic (Produce, DeleteRecords, DeleteTopics), at most one
 * line a second per kind; the client gets Kafka's code with the same words.
 */
export function refuseOffsetsTopic (ctx: RequestContext, what: string): string {
  const message = `${what} internal topic ${OFFSETS_TOPIC}`
  const suppressed = refusals.admit(what)
  if (suppressed !== null) ctx.dispatcher.logger.warn({ topic: OFFSETS_TOPIC, clientId: ctx.clientId, suppressed }, `refused: ${message}`)
  return message
}

/** Fetch of one partition of the internal topic: the coordinator log's batches, as stored. */
export async function fetchOffsetsTopic (ctx: RequestContext, partition: number, offset: number, maxBytes: number): Promise<PartitionData> {
  const failed = (errorCode: number, hw = -1, logStartOffset = -1): PartitionData => ({
    partitionIndex: partition, errorCode, highWatermark: hw, lastStableOffset: hw, logStartOffset, abortedTransactions: null, preferredReadReplica: -1, records: EMPTY
  })
  if (partition < 0 || partition >= OFFSETS_PARTITIONS) return failed(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
  let read
  try {
    read = await (await ctx.dispatcher.coordinator()).readOffsetsLog(offset, maxBytes)
  } catch (err) {
    logReadFailure(ctx, err)
    // Retriable: the client refreshes its metadata and fetches again once the coordinator is back.
    return failed(KafkaCode.NOT_LEADER_OR_FOLLOWER)
  }
  if (read.status !== LogStatus.Ok) return failed(kafkaCodeOf(read.status), read.highWatermark, read.logStartOffset)
  return {
    partitionIndex: partition,
    errorCode: KafkaCode.NONE,
    highWatermark: read.highWatermark,
    lastStableOffset: read.highWatermark,
    logStartOffset: read.logStartOffset,
    abortedTransactions: null,
    preferredReadReplica: -1,
    // Bytes that crossed a thread arrive as a plain Uint8Array: view them as a Buffer, no copy.
    records: Buffer.from(read.bytes.buffer, read.bytes.byteOffset, read.bytes.byteLength)
  }
}

/** ListOffsets of one partition of the internal topic. */
export async function listOffsetsTopic (ctx: RequestContext, partition: number, timestamp: number): Promise<ListOffsetsPartitionResponse> {
  const failed = (errorCode: number): ListOffsetsPartitionResponse => ({ partitionIndex: partition, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 })
  if (partition < 0 || partition >= OFFSETS_PARTITIONS) return failed(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
  let found
  try {
    found = await (await ctx.dispatcher.coordinator()).lookupOffsetsLog(timestamp)
  } catch (err) {
    logReadFailure(ctx, err)
    return failed(KafkaCode.NOT_LEADER_OR_FOLLOWER)
  }
  if (found.status === LogStatus.NotFound) return { partitionIndex: partition, errorCode: KafkaCode.NONE, timestamp: -1, offset: -1, leaderEpoch: 0 }
  if (found.status !== LogStatus.Ok) return failed(kafkaCodeOf(found.status))
  return { partitionIndex: partition, errorCode: KafkaCode.NONE, timestamp: found.timestamp, offset: found.offset, leaderEpoch: 0 }
}

function logReadFailure (ctx: RequestContext, err: unknown): void {
  const suppressed = readFailures.admit('coordinator')
  if (suppressed !== null) ctx.dispatcher.logger.warn({ topic: OFFSETS_TOPIC, err, suppressed }, 'cannot read the internal topic: the coordinator is not available; the client retries')
}
