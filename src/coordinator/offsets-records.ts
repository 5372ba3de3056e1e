/**
 * The records of the coordinator's log, in the layout Kafka uses for `__consumer_offsets`, so the
 * log can be read with the same eyes (and tools) as Kafka's:
 *
 *  offset commit   key   version int16 (1), group string, topic string, partition int32
 *                  value version int16 (3), offset int64, leaderEpoch int32, metadata string,
 *                        commitTimestamp int64
 *  group metadata  key   version int16 (2), group string
 *                  value version int16 (3), protocolType string, generation int32,
 *                        protocol nullable string, leader nullable string, stateTimestamp int64,
 *                        members [memberId, groupInstanceId nullable, clientId, clientHost,
 *                        rebalanceTimeoutMs int32, sessionTimeoutMs int32, subscription bytes,
 *                        assignment bytes]
 *
 * A null value is a tombstone: the offset (or the group) is gone, and compaction drops it later.
 */
import { Reader } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'

const OFFSET_KEY_VERSION = 1
const GROUP_KEY_VERSION = 2
const OFFSET_VALUE_VERSION = 3
const GROUP_VALUE_VERSION = 3

export interface CommittedOffset {
  offset: number
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
}

export interface StoredMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  subscription: Uint8Array
  assignment: Uint8Array
}

export interface StoredGroup {
  protocolType: string
  generationId: number
  protocolName: string | null
  leaderId: string | null
  stateTimestamp: number
  members: StoredMember[]
}

export type CoordinatorKey =
  | { type: 'offset', groupId: string, topic: string, partition: number }
  | { type: 'group', groupId: string }

export function offsetKey (groupId: string, topic: string, partition: number): Buffer {
  return new Writer(64).int16(OFFSET_KEY_VERSION).string(groupId).string(topic).int32(partition).toBuffer()
}

export function groupKey (groupId: string): Buffer {
  return new Writer(32).int16(GROUP_KEY_VERSION).string(groupId).toBuffer()
}

export function offsetValue (o: CommittedOffset): Buffer {
  return new Writer(64).int16(OFFSET_VALUE_VERSION).int64(o.offset).int32(o.leaderEpoch).string(o.metadata).int64(o.commitTimestamp).toBuffer()
}

export function groupValue (g: StoredGroup): Buffer {
  const w = new Writer(256).int16(GROUP_VALUE_VERSION).string(g.protocolType).int32(g.generationId)
    .nullableString(g.protocolName).nullableString(g.leaderId).int64(g.stateTimestamp).int32(g.members.length)
  for (const m of g.members) {
    w.string(m.memberId).nullableString(m.groupInstanceId).string(m.clientId).string(m.clientHost)
      .int32(m.rebalanceTimeoutMs).int32(m.sessionTimeoutMs).bytes(m.subscription).bytes(m.assignment)
  }
  return w.toBuffer()
}

/** Decodes a key; null for a key version this broker does not know (skipped, as Kafka does). */
export function decodeKey (key: Buffer): CoordinatorKey | null {
  const r = new Reader(key)
  const version = r.int16()
  if (version === 0 || version === OFFSET_KEY_VERSION) return { type: 'offset', groupId: r.string(), topic: r.string(), partition: r.int32() }
  if (version === GROUP_KEY_VERSION) return { type: 'group', groupId: r.string() }
  return null
}

/** Value versions 1 and 3 are what Kafka writes today; 3 adds the leader epoch, 1 an expiry we ignore. */
export function decodeOffsetValue (value: Buffer): CommittedOffset {
  const r = new Reader(value)
  const version = r.int16()
  const offset = r.int64Number()
  const leaderEpoch = version >= 3 ? r.int32() : -1
  const metadata = r.string()
  const commitTimestamp = r.int64Number()
  return { offset, leaderEpoch, metadata, commitTimestamp }
}

export function decodeGroupValue (value: Buffer): StoredGroup {
  const r = new Reader(value)
  const version = r.int16()
  const protocolType = r.string()
  const generationId = r.int32()
  const protocolName = r.nullableString()
  const leaderId = r.nullableString()
  const stateTimestamp = version >= 2 ? r.int64Number() : -1
  const count = r.int32()
  const members: StoredMember[] = []
  for (let i = 0; i < count; i++) {
    const memberId = r.string()
    const groupInstanceId = version >= 3 ? r.nullableString() : null
    const clientId = r.string()
    const clientHost = r.string()
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1
    const sessionTimeoutMs = r.int32()
    const subscription = Buffer.from(r.bytes())
    const assignment = Buffer.from(r.bytes())
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription, assignment })
  }
  return { protocolType, generationId, protocolName, leaderId, stateTimestamp, members }
}
