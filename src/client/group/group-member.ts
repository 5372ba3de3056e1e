/**
 * One library consumer's membership in a consumer group (Kafka's classic, eager protocol):
 * join (rejoining with the id the coordinator hands out on MEMBER_ID_REQUIRED), run the
 * assignor when chosen leader, sync, then heartbeat every heartbeatIntervalMs until the
 * coordinator asks for a rebalance; give the partitions up (the consumer commits first) and
 * join again. Leaves the group on close.
 *
 * Lives on the thread of the consumer that owns it and talks to the coordinator actor through
 * the same CoordinatorApi the TCP handlers use, so library, kafkajs and librdkafka members
 * share groups with one set of rules. Its loop runs in the background; the consumer waits on
 * `whenStable()`, which rejects once the loop hits an error it cannot recover from.
 */
import { channel } from 'node:diagnostics_channel'
import { MillraceError } from '../../errors.js'
import { KafkaCode, errorName } from '../../protocol/error-codes.js'
import {
  CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription,
  type TopicPartitions
} from '../../protocol/consumer-protocol.js'
import type { CoordinatorApi, JoinedMember } from '../../coordinator/coordinator-api.js'
import type { Assignor, AssignorMember } from './assignors.js'
import { assignorByName } from './assignors.js'

/** API versions used against the coordinator: the newest our codecs know. */
/** Published when this member gets the partitions of a new generation. */
const rebalanceChannel = channel('millrace:group:rebalance')

/** Pause before retrying a request the coordinator could not take yet (loading, not available). */
const RETRY_BACKOFF_MS = 100

export interface GroupMemberOptions {
  groupId: string
  groupInstanceId: string | null
  clientId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  assignors: readonly Assignor[]
}

export interface GroupMemberHooks {
  /** Called before rejoining and on close while partitions are held; commits in auto-commit mode. */
  revoke (): Promise<void>
  /** The partitions of a new generation. */
  assigned (partitions: TopicPartitions[]): Promise<void>
  /** Partition counts of the topics the leader assigns (absent topics are left out). */
  partitionCounts (topics: readonly string[]): Map<string, number>
}

export interface OffsetToCommit {
  topic: string
  partition: number
  /** The next offset to read (Kafka's convention). */
  offset: number
  metadata: string | null
}

/** Shown as each library member's host in DescribeGroups. */
export const LIBRARY_CLIENT_HOST = 'in-process'

interface Deferred { promise: Promise<void>, resolve: () => void, reject: (err: Error) => void }

function deferred (): Deferred {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {}) // observed through whenStable(); never an unhandled rejection
  return { promise, resolve, reject }
}

export function kafkaError (what: string, code: number): MillraceError {
  return new MillraceError('MR_ERR_KAFKA', `${what} failed: ${errorName(code)}`, { kafkaCode: code, retriable: RETRIABLE_GROUP_CODES.has(code) })
}

const RETRIABLE_GROUP_CODES = new Set<number>([
  KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, KafkaCode.COORDINATOR_NOT_AVAILABLE, KafkaCode.NOT_COORDINATOR,
  KafkaCode.REBALANCE_IN_PROGRESS, KafkaCode.UNSTABLE_OFFSET_COMMIT
])

/** Codes after which the member simply joins again. */
const REJOIN_CODES = new Set<number>([KafkaCode.REBALANCE_IN_PROGRESS, KafkaCode.ILLEGAL_GENERATION, KafkaCode.UNKNOWN_MEMBER_ID])

export class GroupMember {
  readonly #coordinator: () => Promise<CoordinatorApi>
  readonly #options: GroupMemberOptions
  readonly #hooks: GroupMemberHooks
  #topics: string[] = []
  #memberId = ''
  #generationId = -1
  #protocol: string | null = null
  #leader = false
  /** Partition counts the leader assigned from; a change makes it rebalance. */
  #assignedCounts = new Map<string, number>()
  #assignment: TopicPartitions[] = []
  #stable = deferred()
  #isStable = false
  #rejoinRequested = false
  #wake: (() => void) | null = null
  #loop: Promise<void> | null = null
  #closed = false
  #failure: Error | null = null

  constructor (coordinator: () => Promise<CoordinatorApi>, options: GroupMemberOptions, hooks: GroupMemberHooks) {
    this.#coordinator = coordinator
    this.#options = options
    this.#hooks = hooks
  }

  get memberId (): string { return this.#memberId }
  get generationId (): number { return this.#generationId }
  get protocol (): string | null { return this.#protocol }
  get isLeader (): boolean { return this.#leader }
  get assignment (): TopicPartitions[] { return this.#assignment }

  /** Starts the loop, or changes the subscription of a running member (a rebalance follows). */
  subscribe (topics: string[]): void {
    this.#topics = [...topics]
    if (this.#loop === null) {
      this.#loop = this.#run()
    } else {
      this.requestRejoin()
    }
  }

  /** Resolves once the member holds an assignment of the current generation. */
  whenStable (): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure)
    if (this.#closed) return Promise.reject(new MillraceError('MR_ERR_CLOSED', 'the consumer is closed'))
    return this.#stable.promise
  }

  /** Makes the loop give up its partitions and join again (after a failed commit, a new subscription). */
  requestRejoin (): void {
    this.#rejoinRequested = true
    this.#wake?.()
  }

  async #run (): Promise<void> {
    try {
      while (!this.#closed) {
        await this.#joinAndSync()
        if (this.#closed) break
        this.#isStable = true
        this.#stable.resolve()
        await this.#heartbeatUntilRejoin()
        if (this.#closed) break
        this.#isStable = false
        this.#stable = deferred()
        await this.#hooks.revoke().catch(() => {}) // a failed commit must not stop the rejoin
        this.#assignment = []
      }
    } catch (err) {
      this.#failure = err instanceof Error ? err : new Error(String(err))
      this.#isStable = false
      this.#stable.reject(this.#failure)
    }
  }

  async #joinAndSync (): Promise<void> {
    const c = await this.#coordinator()
    const o = this.#options
    for (;;) {
      if (this.#closed) return
      this.#rejoinRequested = false
      const metadata = encodeSubscription({ topics: this.#topics })
      const join = await c.joinGroup({
        groupId: o.groupId,
        sessionTimeoutMs: o.sessionTimeoutMs,
        rebalanceTimeoutMs: o.rebalanceTimeoutMs,
        memberId: this.#memberId,
        groupInstanceId: o.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: o.assignors.map((a) => ({ name: a.name, metadata })),
        requireKnownMemberId: true,
        client: { clientId: o.clientId, clientHost: LIBRARY_CLIENT_HOST }
      })
      if (join.errorCode === KafkaCode.MEMBER_ID_REQUIRED) { this.#memberId = join.memberId; continue }
      if (join.errorCode === KafkaCode.UNKNOWN_MEMBER_ID) { this.#memberId = ''; continue }
      if (RETRIABLE_GROUP_CODES.has(join.errorCode)) { await sleep(RETRY_BACKOFF_MS); continue }
      if (join.errorCode !== KafkaCode.NONE) throw kafkaError(`joining group '${o.groupId}'`, join.errorCode)
      this.#memberId = join.memberId
      this.#generationId = join.generationId
      this.#protocol = join.protocolName
      this.#leader = join.leader === join.memberId
      const assignments = this.#leader && !join.skipAssignment ? this.#assign(join.protocolName ?? '', join.members) : []
      const sync = await c.syncGroup({
        groupId: o.groupId,
        generationId: this.#generationId,
        memberId: this.#memberId,
        groupInstanceId: o.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: this.#protocol,
        assignments
      })
      if (sync.errorCode === KafkaCode.UNKNOWN_MEMBER_ID) this.#memberId = ''
      if (REJOIN_CODES.has(sync.errorCode)) continue
      if (RETRIABLE_GROUP_CODES.has(sync.errorCode)) { await sleep(RETRY_BACKOFF_MS); continue }
      if (sync.errorCode !== KafkaCode.NONE) throw kafkaError(`syncing group '${o.groupId}'`, sync.errorCode)
      this.#assignment = decodeAssignment(sync.assignment).assignedPartitions
      await this.#hooks.assigned(this.#assignment)
      if (rebalanceChannel.hasSubscribers) {
        rebalanceChannel.publish({ groupId: o.groupId, memberId: this.#memberId, generationId: this.#generationId, protocol: this.#protocol, leader: this.#leader, assignment: this.#assignment })
      }
      return
    }
  }

  /** The leader's work: decode every member's subscription, run the chosen assignor, encode. */
  #assign (protocol: string, members: JoinedMember[]): Array<{ memberId: string, assignment: Buffer }> {
    const assignor = this.#options.assignors.find((a) => a.name === protocol) ?? assignorByName(protocol)
    if (assignor === undefined) throw new MillraceError('MR_ERR_PROTOCOL', `group '${this.#options.groupId}' chose assignor '${protocol}', which this consumer does not offer`)
    const subscriptions: AssignorMember[] = members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      topics: decodeSubscription(m.metadata).topics
    }))
    const topics = new Set<string>()
    for (const s of subscriptions) for (const t of s.topics) topics.add(t)
    this.#assignedCounts = this.#hooks.partitionCounts([...topics])
    const result = assignor.assign(subscriptions, this.#assignedCounts)
    return [...result].map(([memberId, assignedPartitions]) => ({ memberId, assignment: encodeAssignment({ version: 0, assignedPartitions }) }))
  }

  /** Heartbeats until the group rebalances, this member must rejoin, or it closes. */
  async #heartbeatUntilRejoin (): Promise<void> {
    const c = await this.#coordinator()
    const o = this.#options
    while (!this.#closed && !this.#rejoinRequested) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.#wake = null; resolve() }, o.heartbeatIntervalMs)
        this.#wake = () => { clearTimeout(timer); this.#wake = null; resolve() }
      })
      if (this.#closed || this.#rejoinRequested) return
      const code = await c.heartbeat({ groupId: o.groupId, generationId: this.#generationId, memberId: this.#memberId, groupInstanceId: o.groupInstanceId })
      if (code === KafkaCode.UNKNOWN_MEMBER_ID) this.#memberId = ''
      if (REJOIN_CODES.has(code)) return
      if (code !== KafkaCode.NONE && !RETRIABLE_GROUP_CODES.has(code)) throw kafkaError(`heartbeat to group '${o.groupId}'`, code)
      if (this.#leader && this.#countsChanged()) return
    }
  }

  /** The leader rebalances when a subscribed topic gains partitions or appears, as Kafka clients do. */
  #countsChanged (): boolean {
    const now = this.#hooks.partitionCounts([...this.#assignedCounts.keys(), ...this.#topics])
    if (now.size !== this.#assignedCounts.size) return true
    for (const [topic, count] of now) if (this.#assignedCounts.get(topic) !== count) return true
    return false
  }

  /** Commits with this member's generation; a stale generation asks for a rejoin and throws. */
  async commit (offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return
    const o = this.#options
    const byTopic = new Map<string, Array<{ partition: number, offset: number, leaderEpoch: number, metadata: string | null }>>()
    for (const x of offsets) {
      let list = byTopic.get(x.topic)
      if (list === undefined) { list = []; byTopic.set(x.topic, list) }
      list.push({ partition: x.partition, offset: x.offset, leaderEpoch: -1, metadata: x.metadata })
    }
    const c = await this.#coordinator()
    const res = await c.commitOffsets({
      groupId: o.groupId,
      generationId: this.#generationId,
      memberId: this.#memberId,
      groupInstanceId: o.groupInstanceId,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions }))
    })
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === KafkaCode.NONE) continue
        if (REJOIN_CODES.has(p.errorCode)) {
          if (p.errorCode === KafkaCode.UNKNOWN_MEMBER_ID) this.#memberId = ''
          this.requestRejoin()
        }
        throw kafkaError(`committing ${t.name}-${p.partition} for group '${o.groupId}'`, p.errorCode)
      }
    }
  }

  /** Committed offsets of `partitions` (-1 = none). */
  async committed (partitions: readonly TopicPartitions[]): Promise<Map<string, { offset: number, metadata: string | null }>> {
    const c = await this.#coordinator()
    for (;;) {
      const [res] = (await c.fetchOffsets({
        groups: [{ groupId: this.#options.groupId, topics: partitions.map((tp) => ({ name: tp.topic, partitions: tp.partitions })) }],
        requireStable: true
      })).groups
      const code = res.errorCode
      if (RETRIABLE_GROUP_CODES.has(code)) { await sleep(RETRY_BACKOFF_MS); continue }
      if (code !== KafkaCode.NONE) throw kafkaError(`fetching committed offsets of group '${this.#options.groupId}'`, code)
      const out = new Map<string, { offset: number, metadata: string | null }>()
      let retry = false
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode === KafkaCode.UNSTABLE_OFFSET_COMMIT) retry = true
          else if (p.errorCode !== KafkaCode.NONE && p.errorCode !== KafkaCode.UNKNOWN_TOPIC_OR_PARTITION) throw kafkaError(`fetching the committed offset of ${t.name}-${p.partition}`, p.errorCode)
          out.set(`${t.name}\0${p.partition}`, { offset: p.offset, metadata: p.metadata })
        }
      }
      if (!retry) return out
      await sleep(RETRY_BACKOFF_MS)
    }
  }

  get stable (): boolean { return this.#isStable }

  /** Stops heartbeating, gives the partitions up (the hook commits) and leaves the group. */
  async close (): Promise<void> {
    if (this.#closed) return
    const held = this.#isStable
    if (held) await this.#hooks.revoke().catch(() => {})
    this.#closed = true
    this.#isStable = false
    this.#wake?.()
    this.#stable.reject(new MillraceError('MR_ERR_CLOSED', 'the consumer is closed'))
    // Leave before waiting for the loop: a JoinGroup in flight returns once the group moves on without us.
    // A static member keeps its place for its session timeout, so a restart does not rebalance (Kafka's rule).
    if (this.#memberId !== '' && this.#options.groupInstanceId === null) {
      try {
        const c = await this.#coordinator()
        await c.leaveGroup({ groupId: this.#options.groupId, members: [{ memberId: this.#memberId, groupInstanceId: null }] })
      } catch {
        // The broker is closing too: the session timeout removes the member.
      }
    }
    await this.#loop?.catch(() => {})
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
