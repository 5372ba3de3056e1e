/**
 * One consumer group of the classic protocol: its members, generation and state. The rules
 * that move it between states live in group-coordinator.ts; this file holds the data and the
 * questions asked of it (which protocol all members share, who has rejoined, …).
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined──▶ CompletingRebalance ──leader syncs──▶ Stable
 *     ▲                    ▲    │                               │                             │
 *     └──last member gone──┘    └───────member joins/leaves/times out (any state)─────────────┘
 */
import type { JoinGroupResult, SyncGroupResult } from './coordinator-api.js'
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from '../protocol/consumer-protocol.js'

export const enum GroupState {
  Empty = 'Empty',
  PreparingRebalance = 'PreparingRebalance',
  CompletingRebalance = 'CompletingRebalance',
  Stable = 'Stable',
  Dead = 'Dead'
}

export interface Protocol {
  name: string
  metadata: Uint8Array
}

/** A parked JoinGroup or SyncGroup: called once with its answer. */
export type JoinWaiter = (res: JoinGroupResult) => void
export type SyncWaiter = (res: SyncGroupResult) => void

export class Member {
  memberId: string
  readonly groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  assignment: Uint8Array = new Uint8Array(0)
  /** Set while the member's JoinGroup is parked until the rebalance completes. */
  awaitingJoin: JoinWaiter | null = null
  /** Set while the member's SyncGroup is parked until the leader's assignment arrives. */
  awaitingSync: SyncWaiter | null = null
  /** Its session ends when this timer fires without a heartbeat. */
  sessionTimer: NodeJS.Timeout | null = null

  constructor (init: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost: string
    sessionTimeoutMs: number
    rebalanceTimeoutMs: number
    protocolType: string
    protocols: Protocol[]
  }) {
    this.memberId = init.memberId
    this.groupInstanceId = init.groupInstanceId
    this.clientId = init.clientId
    this.clientHost = init.clientHost
    this.sessionTimeoutMs = init.sessionTimeoutMs
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs
    this.protocolType = init.protocolType
    this.protocols = init.protocols
  }

  metadataFor (protocolName: string | null): Uint8Array {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? new Uint8Array(0)
  }

  /** Same protocols, same metadata, same order: a rejoin that changes nothing. */
  sameProtocols (protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every((p, i) => p.name === this.protocols[i].name && Buffer.compare(p.metadata, this.protocols[i].metadata) === 0)
  }
}

export class Group {
  readonly groupId: string
  state: GroupState = GroupState.Empty
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  /** When the group last changed state (offset expiry of an empty group counts from here). */
  stateTimestamp: number
  readonly members = new Map<string, Member>()
  /** Member ids handed out by MEMBER_ID_REQUIRED, not yet used to rejoin. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>()
  readonly staticMembers = new Map<string, string>()
  /** The timer that ends the join phase (rebalance timeout or initial delay). */
  joinTimer: NodeJS.Timeout | null = null
  /** The initial delay ends once no member has joined for that long, and never after this time. */
  initialDelayDeadline = 0
  inInitialDelay = false
  /** When the latest member joined (the initial delay restarts from it). */
  lastJoinAt = 0

  constructor (groupId: string, now: number) {
    this.groupId = groupId
    this.stateTimestamp = now
  }

  is (state: GroupState): boolean { return this.state === state }

  transition (state: GroupState, now: number): void {
    this.state = state
    this.stateTimestamp = now
  }

  get size (): number { return this.members.size }

  add (member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    this.leaderId ??= member.memberId
  }

  remove (memberId: string): Member | undefined {
    const member = this.members.get(memberId)
    if (member === undefined) return undefined
    this.members.delete(memberId)
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId)
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null
    return member
  }

  /** Moves a static member to a new member id (a restarted instance), keeping its place. */
  replaceMemberId (member: Member, newMemberId: string): void {
    const oldMemberId = member.memberId
    this.members.delete(oldMemberId)
    member.memberId = newMemberId
    this.members.set(newMemberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, newMemberId)
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId
  }

  staticMember (groupInstanceId: string | null | undefined): Member | undefined {
    if (groupInstanceId === null || groupInstanceId === undefined) return undefined
    const memberId = this.staticMembers.get(groupInstanceId)
    return memberId === undefined ? undefined : this.members.get(memberId)
  }

  /** Protocol names every member supports. */
  candidateProtocols (): Set<string> {
    const members = [...this.members.values()]
    if (members.length === 0) return new Set()
    const names = members[0].protocols.map((p) => p.name)
    return new Set(names.filter((name) => members.every((m) => m.protocols.some((p) => p.name === name))))
  }

  /** Can a member with these protocols join? (Same type, and one protocol in common.) */
  supports (protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0
    if (protocolType !== this.protocolType) return false
    const common = this.candidateProtocols()
    return protocols.some((p) => common.has(p.name))
  }

  /** Kafka's vote: each member votes for its most preferred protocol that all support. */
  selectProtocol (): string {
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name))
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1)
    }
    let best = ''
    let bestVotes = -1
    for (const [name, count] of votes) if (count > bestVotes) { best = name; bestVotes = count }
    return best
  }

  allMembersJoined (): boolean {
    if (this.pendingMembers.size > 0) return false
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false
    return true
  }

  /**
   * The topics the members of a consumer-protocol group subscribe to (their JoinGroup metadata
   * for the chosen protocol); an empty set for a group without members. Null when that cannot be
   * known (another protocol type, no protocol chosen yet, or metadata that does not parse):
   * callers then treat every topic as subscribed, as Kafka does.
   */
  subscribedTopics (): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null
    if (this.members.size === 0) return new Set()
    if (this.protocolName === null) return null
    const topics = new Set<string>()
    try {
      for (const m of this.members.values()) for (const topic of decodeSubscription(m.metadataFor(this.protocolName)).topics) topics.add(topic)
    } catch {
      return null
    }
    return topics
  }

  /** The longest rebalance timeout a member asked for: how long the join phase may last. */
  rebalanceTimeoutMs (): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }
}
