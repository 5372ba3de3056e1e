/**
 * The TCP load generator: producers and consumers over the Kafka protocol, for a Millrace
 * server or any other Kafka broker. Flat-out producers send the same pre-encoded batches
 * again and again (a broker assigns offsets, so a batch of a non-idempotent producer can be
 * resent as is), with several Produce requests in flight per connection. Consumers count
 * records from batch headers; only latency runs decode records, to read the send time each
 * record carries.
 */
import { randomBytes } from 'node:crypto'
import { ApiKey } from '../protocol/api-keys.js'
import type { CreateTopicsResponse } from '../protocol/apis/create-topics.js'
import type { DeleteTopicsResponse } from '../protocol/apis/delete-topics.js'
import type { FetchResponse } from '../protocol/apis/fetch.js'
import type { ProduceResponse } from '../protocol/apis/produce.js'
import { ATTR_CONTROL, attributesOf, baseOffsetOf, batchSizeAt, lastOffsetDeltaOf, recordCountOf } from '../protocol/batch-header.js'
import type { Compression } from '../protocol/compression.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { BatchBuilder, forEachRecord } from '../protocol/record-batch.js'
import type { Endpoint } from '../cli/args.js'
import type { ClientSecurity } from '../cli/client-security.js'
import { KafkaClient, describeKafkaError, type KafkaConnection, type TopicInfo } from '../cli/kafka-client.js'
import type { LatencyHistogram } from './histogram.js'
import { readStamp, writeStamp } from './stamp.js'

export const REQUEST_TIMEOUT_MS = 60_000
/** Bytes a consumer asks for per partition and per Fetch. */
const FETCH_PARTITION_BYTES = 8 * 1024 * 1024
const FETCH_MAX_BYTES = 64 * 1024 * 1024
/** How long a Fetch that finds nothing waits for new records. */
const FETCH_WAIT_MS = 100

export async function connectKafka (endpoint: Endpoint, security?: ClientSecurity): Promise<KafkaClient> {
  return await KafkaClient.connect(endpoint, { requestTimeoutMs: REQUEST_TIMEOUT_MS, security })
}

export async function createKafkaTopic (client: KafkaClient, topic: string, partitions: number, config: Record<string, string>, replicationFactor = 1): Promise<void> {
  const { response } = await client.bootstrap.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
    topics: [{ name: topic, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(config).map(([name, value]) => ({ name, value })) }],
    timeoutMs: REQUEST_TIMEOUT_MS,
    validateOnly: false
  })
  const result = response.topics[0]
  if (result === undefined || result.errorCode !== KafkaCode.NONE) {
    throw new Error(`cannot create topic '${topic}': ${result === undefined ? 'empty response' : describeKafkaError(result.errorCode, result.errorMessage)}`)
  }
  // A broker may answer before every partition has a leader: wait until Metadata shows them.
  for (let i = 0; i < 1000; i++) {
    const info = await client.topic(topic).catch(() => undefined)
    if (info !== undefined && info.partitions.length === partitions && info.partitions.every((p) => p.leaderId >= 0)) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`topic '${topic}' has no leader for every partition after 5 s`)
}

export async function deleteKafkaTopic (client: KafkaClient, topic: string): Promise<void> {
  const { response } = await client.bootstrap.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, { topicNames: [topic], topics: [{ name: topic, topicId: null }], timeoutMs: REQUEST_TIMEOUT_MS })
  const code = response.responses[0]?.errorCode ?? KafkaCode.NONE
  if (code !== KafkaCode.NONE && code !== KafkaCode.UNKNOWN_TOPIC_OR_PARTITION) throw new Error(`cannot delete topic '${topic}': ${describeKafkaError(code)}`)
}

/** Which partitions producer or consumer `index` of `count` handles: every count-th one. */
export function partitionsOf (index: number, count: number, partitions: number): number[] {
  const out: number[] = []
  for (let p = index; p < partitions; p += count) out.push(p)
  // More producers than partitions: several share one.
  if (out.length === 0) out.push(index % partitions)
  return out
}

export interface ProduceSpec {
  topic: string
  /** The partitions this producer writes, each request carrying one batch for each. */
  partitions: number[]
  recordBytes: number
  batchBytes: number
  compression: Compression
  acks: number
  inFlight: number
  /** Stop after this many records, or at `deadline` (performance.now() of this thread). */
  quota: number | undefined
  durationMs: number | undefined
  /** Records per second; undefined = flat out. */
  rate: number | undefined
  lingerMs: number
  /** Put the send time in each record's value (latency runs). */
  stamp: boolean
}

/** Records each flat-out batch holds: as many as fit in `batchBytes`. */
export function recordsPerBatch (recordBytes: number, batchBytes: number): number {
  // A record of v bytes costs v + ~8 bytes of framing (length, attributes, deltas, key, headers).
  return Math.max(1, Math.floor((batchBytes - 61) / (recordBytes + 8 + (recordBytes >= 64 ? 2 : 1))))
}

/**
 * One producer connection (its partitions' leaders). `onAcked` hears of every acknowledged
 * request's record count; resolves with the total once the quota or the deadline is reached
 * and every request is answered.
 */
export async function runKafkaProducer (client: KafkaClient, spec: ProduceSpec, onAcked: (records: number) => void): Promise<number> {
  const topic = await client.topic(spec.topic)
  const value = randomBytes(spec.recordBytes)
  const builder = new BatchBuilder({ compression: spec.compression })
  const build = (count: number): Buffer => {
    builder.reset()
    const now = Date.now()
    if (spec.stamp) {
      for (let i = 0; i < count; i++) { writeStamp(value); builder.append(now, null, value) }
    } else {
      for (let i = 0; i < count; i++) builder.append(now, null, value)
    }
    return builder.build()
  }
  const byLeader = new Map<number, number[]>()
  for (const p of spec.partitions) {
    const leaderId = topic.partitions[p]?.leaderId
    if (leaderId === undefined) throw new Error(`topic '${spec.topic}' has no partition ${p}`)
    byLeader.set(leaderId, [...(byLeader.get(leaderId) ?? []), p])
  }
  const deadline = spec.durationMs === undefined ? Infinity : performance.now() + spec.durationMs
  const quota = spec.quota ?? Infinity
  const state = { sent: 0, acked: 0 }
  const lanes = await Promise.all([...byLeader].map(async ([leaderId, partitions]) => ({ conn: await client.leader(leaderId), partitions })))
  const laneShare = (lane: number): number => quota === Infinity ? Infinity : Math.floor(quota / lanes.length) + (lane < quota % lanes.length ? 1 : 0)
  if (spec.rate === undefined) {
    await Promise.all(lanes.map(async (lane, i) => await flatOut(lane.conn, topic, lane.partitions, laneShare(i), deadline, spec, build, state, onAcked)))
  } else {
    await paced(lanes, topic, quota, deadline, spec, build, state, onAcked)
  }
  return state.acked
}

async function sendProduce (conn: KafkaConnection, topic: TopicInfo, partitionData: Array<{ index: number, records: Buffer }>, acks: number): Promise<void> {
  const request = { transactionalId: null, acks, timeoutMs: REQUEST_TIMEOUT_MS, topicData: [{ name: topic.name, partitionData }] }
  if (acks === 0) { await conn.send(ApiKey.Produce, request); return }
  const { response } = await conn.request<ProduceResponse>(ApiKey.Produce, request)
  for (const t of response.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== KafkaCode.NONE) throw new Error(`produce to ${topic.name}-${p.index} failed: ${describeKafkaError(p.errorCode, p.errorMessage)}`)
    }
  }
}

/** Flat out: pre-encoded full batches, `inFlight` requests outstanding on the connection. */
async function flatOut (conn: KafkaConnection, topic: TopicInfo, partitions: number[], quota: number, deadline: number,
  spec: ProduceSpec, build: (n: number) => Buffer, state: { sent: number, acked: number }, onAcked: (n: number) => void): Promise<void> {
  const perBatch = recordsPerBatch(spec.recordBytes, spec.batchBytes)
  const full = partitions.map((index) => ({ index, records: build(perBatch) }))
  const perRequest = perBatch * partitions.length
  let sent = 0
  const next = (): { data: Array<{ index: number, records: Buffer }>, count: number } | null => {
    if (sent >= quota || performance.now() >= deadline) return null
    if (spec.stamp) {
      const data = partitions.map((index) => ({ index, records: build(perBatch) }))
      sent += perRequest
      return { data, count: perRequest }
    }
    const left = quota - sent
    if (left >= perRequest) { sent += perRequest; return { data: full, count: perRequest } }
    // The last request: spread what is left over the partitions.
    const data = []
    let count = 0
    for (let i = 0; i < partitions.length && count < left; i++) {
      const n = Math.min(perBatch, Math.ceil((left - count) / (partitions.length - i)))
      data.push({ index: partitions[i], records: build(n) })
      count += n
    }
    sent += count
    return { data, count }
  }
  const worker = async (): Promise<void> => {
    for (let req = next(); req !== null; req = next()) {
      state.sent += req.count
      await sendProduce(conn, topic, req.data, spec.acks)
      state.acked += req.count
      onAcked(req.count)
    }
  }
  await Promise.all(Array.from({ length: spec.inFlight }, worker))
}

/**
 * At a fixed rate: every linger interval (at least one timer tick), send what is due since the
 * start, spread over the partitions. Requests do not wait for each other; at most `inFlight`
 * are outstanding, past that the due records wait for the next tick.
 */
async function paced (lanes: Array<{ conn: KafkaConnection, partitions: number[] }>, topic: TopicInfo, quota: number, deadline: number,
  spec: ProduceSpec, build: (n: number) => Buffer, state: { sent: number, acked: number }, onAcked: (n: number) => void): Promise<void> {
  const rate = spec.rate!
  const start = performance.now()
  const all = lanes.flatMap((lane) => lane.partitions.map((index) => ({ lane, index })))
  const perBatch = recordsPerBatch(spec.recordBytes, spec.batchBytes)
  let outstanding = 0
  let failure: Error | null = null
  const pending = new Set<Promise<void>>()
  let turn = 0
  while (failure === null) {
    const now = performance.now()
    if (state.sent >= quota || now >= deadline) break
    const due = Math.min(quota, Math.floor((now - start) / 1000 * rate)) - state.sent
    if (due > 0 && outstanding < spec.inFlight * lanes.length) {
      let left = due
      const perLane = new Map<KafkaConnection, Array<{ index: number, records: Buffer }>>()
      const counts = new Map<KafkaConnection, number>()
      while (left > 0) {
        const { lane, index } = all[turn++ % all.length]
        const n = Math.min(left, perBatch)
        const list = perLane.get(lane.conn) ?? []
        list.push({ index, records: build(n) })
        perLane.set(lane.conn, list)
        counts.set(lane.conn, (counts.get(lane.conn) ?? 0) + n)
        left -= n
      }
      state.sent += due
      for (const [conn, data] of perLane) {
        const count = counts.get(conn)!
        outstanding++
        const p = sendProduce(conn, topic, data, spec.acks).then(() => {
          state.acked += count
          onAcked(count)
        }, (err: Error) => { failure ??= err }).finally(() => { outstanding--; pending.delete(p) })
        pending.add(p)
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, spec.lingerMs)))
  }
  await Promise.all(pending)
  if (failure !== null) throw failure
}

export interface ConsumeSpec {
  topic: string
  partitions: number[]
  /** Stop once this many records were read; the producer side may raise it while running. */
  expected: { count: number }
  /** Records read so far by every consumer of the run, this one included: the stop condition is on the total. */
  readByAll: { count: number }
  signal: AbortSignal
  /** Latency runs: decode every record and record now − its send time. */
  histogram: LatencyHistogram | undefined
}

/** Reads the partitions from offset 0 until the run's consumers together read `expected.count` records, or the signal. */
export async function runKafkaConsumer (client: KafkaClient, spec: ConsumeSpec, onRecords: (n: number) => void): Promise<number> {
  const topic = await client.topic(spec.topic)
  const byLeader = new Map<number, number[]>()
  for (const p of spec.partitions) {
    const leaderId = topic.partitions[p]?.leaderId ?? -1
    byLeader.set(leaderId, [...(byLeader.get(leaderId) ?? []), p])
  }
  let got = 0
  const offsets = new Map<number, number>(spec.partitions.map((p) => [p, 0]))
  const hist = spec.histogram
  const onRecord = hist === undefined
    ? undefined
    : (_o: number, _t: number, _k: Buffer | null, value: Buffer | null) => { if (value !== null) hist.record(readStamp(value)) }
  await Promise.all([...byLeader].map(async ([leaderId, partitions]) => {
    const conn = await client.leader(leaderId)
    while (spec.readByAll.count < spec.expected.count && !spec.signal.aborted) {
      const { response } = await conn.request<FetchResponse>(ApiKey.Fetch, {
        replicaId: -1,
        maxWaitMs: FETCH_WAIT_MS,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: spec.topic, partitions: partitions.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: offsets.get(partition)!, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_PARTITION_BYTES })) }],
        forgottenTopicsData: [],
        rackId: ''
      }, { timeoutMs: REQUEST_TIMEOUT_MS + FETCH_WAIT_MS })
      for (const t of response.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== KafkaCode.NONE) throw new Error(`fetch ${spec.topic}-${p.partitionIndex} failed: ${describeKafkaError(p.errorCode)}`)
          const bytes = p.records as Buffer | null
          if (bytes === null || bytes.length === 0) continue
          const from = offsets.get(p.partitionIndex)!
          let next = from
          let n = 0
          for (let at = 0; at + 61 <= bytes.length;) {
            const size = batchSizeAt(bytes, at)
            if (size < 0 || at + size > bytes.length) break // a partial batch at the end
            const base = baseOffsetOf(bytes, at)
            const last = base + lastOffsetDeltaOf(bytes, at)
            if (last >= from && (attributesOf(bytes, at) & ATTR_CONTROL) === 0) {
              if (onRecord !== undefined) {
                forEachRecord(bytes, at, (offset, ts, key, value) => { if (offset >= from) { n++; onRecord(offset, ts, key, value) } })
              } else {
                n += base >= from ? recordCountOf(bytes, at) : last - from + 1
              }
            }
            next = Math.max(next, last + 1)
            at += size
          }
          offsets.set(p.partitionIndex, next)
          if (n > 0) { got += n; spec.readByAll.count += n; onRecords(n) }
        }
      }
    }
  }))
  return got
}
