/**
 * The consumer protocol: what group members of protocol type "consumer" put in JoinGroup
 * metadata (a subscription) and what the leader hands out through SyncGroup (an assignment).
 * The broker only relays these bytes; every member (library, kafkajs, librdkafka) reads them,
 * so they must match Kafka's layout exactly.
 *
 * Subscription follows ../shared/kafka/schemas/ConsumerProtocolSubscription.json, versions 0-3,
 * never flexible:
 *  version           int16
 *  topics            [string]
 *  userData          bytes nullable
 *  ownedPartitions   [] v1+: topic string, partitions [int32]
 *  generationId      int32, v2+ (default -1)
 *  rackId            string nullable, v3+
 *
 * Assignment follows ../shared/kafka/schemas/ConsumerProtocolAssignment.json, versions 0-3
 * (v1-3 only mark what the subscription of that version carries):
 *  version           int16
 *  assignedPartitions [] topic string, partitions [int32]
 *  userData          bytes nullable
 *
 * Decoding is lenient the way Kafka's is: a newer version is read as the newest we know, and
 * fields missing at the end take their defaults (kafkajs sends v1 without ownedPartitions).
 * An empty assignment buffer means "nothing assigned".
 */
import { Reader } from './reader.js'
import { Writer } from './writer.js'

export const CONSUMER_PROTOCOL_TYPE = 'consumer'
export const CONSUMER_PROTOCOL_MAX_VERSION = 3

export interface TopicPartitions {
  topic: string
  partitions: number[]
}

export interface ConsumerSubscription {
  version: number
  topics: string[]
  userData: Buffer | null
  ownedPartitions: TopicPartitions[]
  generationId: number
  rackId: string | null
}

export interface ConsumerAssignment {
  version: number
  assignedPartitions: TopicPartitions[]
  userData: Buffer | null
}

function checkVersion (version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) {
    throw new RangeError(`consumer protocol version ${version} is not in 0-${CONSUMER_PROTOCOL_MAX_VERSION}`)
  }
}

function writeTopicPartitions (w: Writer, list: readonly TopicPartitions[]): void {
  w.int32(list.length)
  for (const tp of list) {
    w.string(tp.topic)
    w.int32(tp.partitions.length)
    for (const p of tp.partitions) w.int32(p)
  }
}

function readTopicPartitions (r: Reader): TopicPartitions[] {
  const n = r.int32()
  const out: TopicPartitions[] = []
  for (let i = 0; i < n; i++) {
    const topic = r.string()
    const count = r.int32()
    const partitions: number[] = []
    for (let j = 0; j < count; j++) partitions.push(r.int32())
    out.push({ topic, partitions })
  }
  return out
}

export function encodeSubscription (s: Partial<ConsumerSubscription> & { topics: string[] }): Buffer {
  const version = s.version ?? CONSUMER_PROTOCOL_MAX_VERSION
  checkVersion(version)
  const w = new Writer(64)
  w.int16(version)
  w.int32(s.topics.length)
  for (const t of s.topics) w.string(t)
  w.nullableBytes(s.userData ?? null)
  if (version >= 1) writeTopicPartitions(w, s.ownedPartitions ?? [])
  if (version >= 2) w.int32(s.generationId ?? -1)
  if (version >= 3) w.nullableString(s.rackId ?? null)
  return w.toBuffer()
}

export function decodeSubscription (data: Uint8Array): ConsumerSubscription {
  const bytes = asBuffer(data)
  const r = new Reader(bytes)
  const version = r.int16()
  if (version < 0) throw new RangeError(`consumer protocol version ${version} is negative`)
  const n = r.int32()
  const topics: string[] = []
  for (let i = 0; i < n; i++) topics.push(r.string())
  const userData = r.pos < bytes.length ? copyOrNull(r.nullableBytes()) : null
  const ownedPartitions = version >= 1 && r.pos < bytes.length ? readTopicPartitions(r) : []
  const generationId = version >= 2 && r.pos < bytes.length ? r.int32() : -1
  const rackId = version >= 3 && r.pos < bytes.length ? r.nullableString() : null
  return { version, topics, userData, ownedPartitions, generationId, rackId }
}

export function encodeAssignment (a: Partial<ConsumerAssignment> & { assignedPartitions: TopicPartitions[] }): Buffer {
  const version = a.version ?? CONSUMER_PROTOCOL_MAX_VERSION
  checkVersion(version)
  const w = new Writer(64)
  w.int16(version)
  writeTopicPartitions(w, a.assignedPartitions)
  w.nullableBytes(a.userData ?? null)
  return w.toBuffer()
}

export function decodeAssignment (data: Uint8Array): ConsumerAssignment {
  const bytes = asBuffer(data)
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null }
  const r = new Reader(bytes)
  const version = r.int16()
  if (version < 0) throw new RangeError(`consumer protocol version ${version} is negative`)
  const assignedPartitions = readTopicPartitions(r)
  const userData = r.pos < bytes.length ? copyOrNull(r.nullableBytes()) : null
  return { version, assignedPartitions, userData }
}

/** Bytes that crossed a thread arrive as a plain Uint8Array (structured clone drops Buffer). */
function asBuffer (data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/** userData outlives the buffer it came in (a socket or ring chunk). */
function copyOrNull (b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b)
}
