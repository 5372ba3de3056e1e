/**
 * Partition assignors the library consumer offers in JoinGroup. Only the group leader runs one,
 * over every member's subscription; the broker just relays the result. Names and algorithms
 * follow the Java client and librdkafka ('range', 'roundrobin'), plus 'RoundRobinAssigner',
 * the name kafkajs gives its round-robin, so a group mixing library and kafkajs members finds
 * a protocol every member supports.
 */
import type { TopicPartitions } from '../../protocol/consumer-protocol.js'

export interface AssignorMember {
  memberId: string
  groupInstanceId: string | null
  topics: readonly string[]
}

/** Member id → its partitions, topics in name order, partitions ascending. */
export type GroupAssignment = Map<string, TopicPartitions[]>

export interface Assignor {
  readonly name: AssignorName
  /** `partitionCounts`: topic → partitions; subscribed topics missing from it are skipped. */
  assign (members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment
}

export const ASSIGNOR_NAMES = ['range', 'roundrobin', 'RoundRobinAssigner'] as const
export type AssignorName = typeof ASSIGNOR_NAMES[number]

/** Static members sort by instance id so their partitions survive a restart with a new member id (as in Kafka). */
function sortKey (m: AssignorMember): string { return m.groupInstanceId ?? m.memberId }

function byKey (a: AssignorMember, b: AssignorMember): number {
  const ka = sortKey(a)
  const kb = sortKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0
}

function byName (a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0 }

/** Collects per-member maps into sorted TopicPartitions lists; every member gets an entry. */
function finish (members: readonly AssignorMember[], raw: Map<string, Map<string, number[]>>): GroupAssignment {
  const out: GroupAssignment = new Map()
  for (const m of members) {
    const topics = raw.get(m.memberId) ?? new Map<string, number[]>()
    out.set(m.memberId, [...topics.keys()].sort(byName).map((topic) => ({ topic, partitions: topics.get(topic)!.sort((a, b) => a - b) })))
  }
  return out
}

function add (raw: Map<string, Map<string, number[]>>, memberId: string, topic: string, partition: number): void {
  let topics = raw.get(memberId)
  if (topics === undefined) { topics = new Map(); raw.set(memberId, topics) }
  let list = topics.get(topic)
  if (list === undefined) { list = []; topics.set(topic, list) }
  list.push(partition)
}

/**
 * Range: per topic, the members subscribed to it in order split its partitions into
 * contiguous ranges; the first (partitions % members) members get one extra.
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  assign (members, partitionCounts) {
    const raw = new Map<string, Map<string, number[]>>()
    const topics = new Set<string>()
    for (const m of members) for (const t of m.topics) topics.add(t)
    for (const topic of [...topics].sort(byName)) {
      const count = partitionCounts.get(topic)
      if (count === undefined || count <= 0) continue
      const subscribed = members.filter((m) => m.topics.includes(topic)).sort(byKey)
      const per = Math.floor(count / subscribed.length)
      const extra = count % subscribed.length
      for (const [i, m] of subscribed.entries()) {
        const start = per * i + Math.min(i, extra)
        const length = per + (i < extra ? 1 : 0)
        for (let p = start; p < start + length; p++) add(raw, m.memberId, topic, p)
      }
    }
    return finish(members, raw)
  }
}

/**
 * Round robin: every partition of every subscribed topic, sorted by topic then partition, dealt
 * in turn to the members in order, skipping members not subscribed to that topic.
 */
function roundRobin (name: AssignorName): Assignor {
  return {
    name,
    assign (members, partitionCounts) {
      const raw = new Map<string, Map<string, number[]>>()
      const sorted = [...members].sort(byKey)
      const topics = new Set<string>()
      for (const m of members) for (const t of m.topics) topics.add(t)
      let next = 0
      for (const topic of [...topics].sort(byName)) {
        const count = partitionCounts.get(topic) ?? 0
        for (let p = 0; p < count; p++) {
          // Some member is subscribed to `topic` (it came from a subscription), so this ends.
          while (!sorted[next % sorted.length].topics.includes(topic)) next++
          add(raw, sorted[next % sorted.length].memberId, topic, p)
          next++
        }
      }
      return finish(members, raw)
    }
  }
}

export const roundRobinAssignor: Assignor = roundRobin('roundrobin')
/** Same dealing as kafkajs's RoundRobinAssigner when every member subscribes to the same topics. */
export const kafkajsRoundRobinAssignor: Assignor = roundRobin('RoundRobinAssigner')

export function assignorByName (name: string): Assignor | undefined {
  switch (name) {
    case 'range': return rangeAssignor
    case 'roundrobin': return roundRobinAssignor
    case 'RoundRobinAssigner': return kafkajsRoundRobinAssignor
    default: return undefined
  }
}
