/**
 * GroupCoordinator: consumer groups of the classic protocol and their committed offsets.
 *
 * Thread: the coordinator actor's (workers/coordinator.ts), never the dispatcher's, so group
 * state machines stay off the produce/fetch path. Everything here is plain single-threaded
 * code with timers, testable on one thread with a fake clock.
 *
 * The broker picks the protocol all members share and relays the leader's assignment; it never
 * runs an assignor. State changes that must survive a restart (commits, a completed rebalance,
 * a group becoming empty or deleted) are written to the coordinator log before they are
 * answered.
 */
import { randomUUID } from 'node:crypto'
import { KafkaCode } from '../protocol/error-codes.js'
import { CONSUMER_PROTOCOL_TYPE } from '../protocol/consumer-protocol.js'
import { LogStatus } from '../log/errors.js'
import type { StoredTxnOffset } from '../transactions/txn-records.js'
import type {
  CommitOffsets, CommitOffsetsResult, CommittedOffsetOf, CoordinatorApi, DeleteOffsets, DeleteOffsetsResult, FetchOffsets,
  FetchOffsetsResult, GroupDetails, Heartbeat, JoinGroup, JoinGroupResult, LeaveGroup, LeaveGroupResult, ListGroups,
  ListGroupsResult, NewProducerId, OffsetsLogLookup, OffsetsLogRead, ProducerIdResult, SyncGroup, SyncGroupResult, TxnCommitCheck
} from './coordinator-api.js'
import { Group, GroupState, Member } from './group.js'
import type { CoordinatorLog, CoordinatorRecord } from './coordinator-log.js'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import { silentLogger, type Logger } from '../logger.js'
import {
  decodeGroupValue, decodeKey, decodeOffsetValue, groupKey, groupValue, offsetKey, offsetValue,
  type CommittedOffset, type StoredGroup
} from './offsets-records.js'

/** Kafka's offsets.retention.check.interval.ms. */
const OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600_000

export interface GroupCoordinatorOptions {
  log: CoordinatorLog
  initialRebalanceDelayMs: number
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  offsetsRetentionMs: number
  offsetMetadataMaxBytes: number
  /** Producer ids for InitProducerId; without it InitProducerId answers COORDINATOR_NOT_AVAILABLE. */
  producerIds?: { initProducerId (req: NewProducerId): ProducerIdResult }
  now?: () => number
  /** Where offset deletions and refusals are logged (on the coordinator thread: a workerLogger). */
  logger?: Logger
}

type PartitionOffsets = Map<number, CommittedOffset>
/** groupId → topic → partition → committed offset. */
type GroupOffsets = Map<string, PartitionOffsets>

export class GroupCoordinator implements CoordinatorApi {
  readonly #log: CoordinatorLog
  readonly #options: GroupCoordinatorOptions
  readonly #now: () => number
  readonly #logger: Logger
  readonly #groups = new Map<string, Group>()
  readonly #offsets = new Map<string, GroupOffsets>()
  #topics = new Map<string, number>()
  /** Offsets a transaction holds until its marker (the transaction coordinator): OffsetFetch require_stable waits on them. */
  #pendingTxnOffsets: { hasPendingOffset (groupId: string, topic: string, partition: number): boolean } | null = null
  #expiryTimer: NodeJS.Timeout | null = null
  #closed = false

  private constructor (options: GroupCoordinatorOptions) {
    this.#options = options
    this.#log = options.log
    this.#now = options.now ?? Date.now
    this.#logger = options.logger ?? silentLogger
  }

  /** Rebuilds groups and offsets from the log, then starts the expiry timer. */
  static load (options: GroupCoordinatorOptions): GroupCoordinator {
    const coordinator = new GroupCoordinator(options)
    coordinator.#replay()
    coordinator.#expiryTimer = setInterval(() => coordinator.expireOffsets(), OFFSETS_RETENTION_CHECK_INTERVAL_MS)
    coordinator.#expiryTimer.unref()
    return coordinator
  }

  #replay (): void {
    const stored = new Map<string, StoredGroup>()
    this.#log.replay((key, value) => {
      const k = decodeKey(key)
      if (k === null) return
      if (k.type === 'group') {
        if (value === null) stored.delete(k.groupId)
        else stored.set(k.groupId, decodeGroupValue(value))
        return
      }
      if (value === null) this.#forgetOffset(k.groupId, k.topic, k.partition)
      else this.#remember(k.groupId, k.topic, k.partition, decodeOffsetValue(value))
    })
    const now = this.#now()
    for (const [groupId, g] of stored) {
      const group = this.#groupOrCreate(groupId)
      group.generationId = g.generationId
      group.protocolType = g.protocolType.length > 0 ? g.protocolType : null
      group.stateTimestamp = g.stateTimestamp >= 0 ? g.stateTimestamp : now
      if (g.members.length === 0 || g.protocolName === null) continue
      group.protocolName = g.protocolName
      for (const m of g.members) {
        const member = new Member({ ...m, protocolType: g.protocolType, protocols: [{ name: g.protocolName, metadata: m.subscription }] })
        member.assignment = m.assignment
        group.add(member)
        this.#scheduleSession(group, member)
      }
      if (g.leaderId !== null && group.members.has(g.leaderId)) group.leaderId = g.leaderId
      group.state = GroupState.Stable
    }
    // Groups known only by their offsets (standalone commits) exist as empty groups, as in Kafka.
    for (const groupId of this.#offsets.keys()) this.#groupOrCreate(groupId)
  }

  // --- membership

  joinGroup (req: JoinGroup): Promise<JoinGroupResult> {
    return new Promise((resolve) => { this.#join(req, resolve) })
  }

  #join (req: JoinGroup, respond: (res: JoinGroupResult) => void): void {
    const fail = (code: number): void => { respond(joinError(code, req.memberId)) }
    if (this.#closed) return fail(KafkaCode.NOT_COORDINATOR)
    if (req.groupId.length === 0) return fail(KafkaCode.INVALID_GROUP_ID)
    if (req.sessionTimeoutMs < this.#options.minSessionTimeoutMs || req.sessionTimeoutMs > this.#options.maxSessionTimeoutMs) {
      return fail(KafkaCode.INVALID_SESSION_TIMEOUT)
    }
    let group = this.#groups.get(req.groupId)
    if (group === undefined) {
      if (req.memberId !== '') return fail(KafkaCode.UNKNOWN_MEMBER_ID)
      group = this.#groupOrCreate(req.groupId)
    }
    if (group.is(GroupState.Dead)) return fail(KafkaCode.COORDINATOR_NOT_AVAILABLE)
    if (!group.supports(req.protocolType, req.protocols)) return fail(KafkaCode.INCONSISTENT_GROUP_PROTOCOL)
    if (req.memberId === '') this.#joinNewMember(group, req, respond)
    else this.#joinKnownMember(group, req, respond)
  }

  #joinNewMember (group: Group, req: JoinGroup, respond: (res: JoinGroupResult) => void): void {
    const memberId = `${req.client.clientId}-${randomUUID()}`
    const instanceId = req.groupInstanceId
    if (instanceId !== null) {
      const existing = group.staticMember(instanceId)
      if (existing !== undefined) return this.#replaceStaticMember(group, existing, memberId, req, respond)
      return this.#addMemberAndRebalance(group, memberId, req, respond)
    }
    if (req.requireKnownMemberId) {
      // KIP-394: a new member first learns its id and must come back with it; until then the
      // rebalance waits for it, and a member that never returns is forgotten after its session.
      const timer = setTimeout(() => {
        group.pendingMembers.delete(memberId)
        this.#tryCompleteJoin(group)
      }, req.sessionTimeoutMs)
      group.pendingMembers.set(memberId, timer)
      return respond(joinError(KafkaCode.MEMBER_ID_REQUIRED, memberId))
    }
    this.#addMemberAndRebalance(group, memberId, req, respond)
  }

  #joinKnownMember (group: Group, req: JoinGroup, respond: (res: JoinGroupResult) => void): void {
    const pending = group.pendingMembers.get(req.memberId)
    if (pending !== undefined) {
      clearTimeout(pending)
      group.pendingMembers.delete(req.memberId)
      return this.#addMemberAndRebalance(group, req.memberId, req, respond)
    }
    if (isFenced(group, req.groupInstanceId, req.memberId)) return respond(joinError(KafkaCode.FENCED_INSTANCE_ID, req.memberId))
    const member = group.members.get(req.memberId)
    if (member === undefined || group.is(GroupState.Empty)) return respond(joinError(KafkaCode.UNKNOWN_MEMBER_ID, req.memberId))
    const unchanged = member.sameProtocols(req.protocols)
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.#updateMemberAndRebalance(group, member, req, respond)
      case GroupState.CompletingRebalance:
        // A retried join of the rebalance that just completed: answer it again.
        if (unchanged) return respond(this.#joinAnswer(group, member, member.memberId === group.leaderId))
        return this.#updateMemberAndRebalance(group, member, req, respond)
      case GroupState.Stable:
        // Followers rejoining with nothing changed get the current generation; the leader's
        // rejoin (or a changed subscription) starts a rebalance so it can assign again.
        if (unchanged && member.memberId !== group.leaderId) return respond(this.#joinAnswer(group, member, false))
        return this.#updateMemberAndRebalance(group, member, req, respond)
      default:
        return respond(joinError(KafkaCode.UNKNOWN_MEMBER_ID, req.memberId))
    }
  }

  /** A restarted static member takes over its old place; a stable group does not rebalance. */
  #replaceStaticMember (group: Group, member: Member, newMemberId: string, req: JoinGroup, respond: (res: JoinGroupResult) => void): void {
    const oldMemberId = member.memberId
    if (member.awaitingJoin !== null) { member.awaitingJoin(joinError(KafkaCode.FENCED_INSTANCE_ID, oldMemberId)); member.awaitingJoin = null }
    if (member.awaitingSync !== null) { member.awaitingSync(syncError(KafkaCode.FENCED_INSTANCE_ID)); member.awaitingSync = null }
    group.replaceMemberId(member, newMemberId)
    member.sessionTimeoutMs = req.sessionTimeoutMs
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
    const unchanged = member.sameProtocols(req.protocols)
    if (group.is(GroupState.Stable) && unchanged) {
      const isLeader = member.memberId === group.leaderId
      this.#persistGroup(group)
      this.#scheduleSession(group, member)
      const answer = this.#joinAnswer(group, member, isLeader)
      // The leader keeps the current assignment (clients that can be told so skip assigning).
      answer.skipAssignment = isLeader
      return respond(answer)
    }
    this.#updateMemberAndRebalance(group, member, req, respond)
  }

  #addMemberAndRebalance (group: Group, memberId: string, req: JoinGroup, respond: (res: JoinGroupResult) => void): void {
    const member = new Member({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.client.clientId,
      clientHost: req.client.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata }))
    })
    member.awaitingJoin = respond
    group.add(member)
    group.lastJoinAt = this.#now()
    this.#maybePrepareRebalance(group)
    this.#tryCompleteJoin(group)
  }

  #updateMemberAndRebalance (group: Group, member: Member, req: JoinGroup, respond: (res: JoinGroupResult) => void): void {
    member.protocols = req.protocols.map((p) => ({ name: p.name, metadata: p.metadata }))
    member.sessionTimeoutMs = req.sessionTimeoutMs
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
    // A second join from the same member replaces the first; the first learns it was superseded.
    if (member.awaitingJoin !== null) member.awaitingJoin(joinError(KafkaCode.UNKNOWN_MEMBER_ID, member.memberId))
    member.awaitingJoin = respond
    this.#maybePrepareRebalance(group)
    this.#tryCompleteJoin(group)
  }

  #maybePrepareRebalance (group: Group): void {
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance) || group.is(GroupState.Empty)) this.#prepareRebalance(group)
  }

  #prepareRebalance (group: Group): void {
    if (group.is(GroupState.CompletingRebalance)) this.#failSyncs(group, KafkaCode.REBALANCE_IN_PROGRESS)
    const initial = group.is(GroupState.Empty)
    group.transition(GroupState.PreparingRebalance, this.#now())
    if (group.joinTimer !== null) clearTimeout(group.joinTimer)
    const delayMs = this.#options.initialRebalanceDelayMs
    if (initial && delayMs > 0) {
      // The initial delay lets a starting fleet join in one rebalance: it lasts until no new
      // member has joined for `delayMs`, and never longer than the rebalance timeout.
      group.inInitialDelay = true
      group.initialDelayDeadline = this.#now() + group.rebalanceTimeoutMs()
      group.joinTimer = setTimeout(() => this.#onInitialDelay(group), delayMs)
    } else {
      group.inInitialDelay = false
      group.joinTimer = setTimeout(() => this.#completeJoin(group), group.rebalanceTimeoutMs())
      // Everyone may be in already (or nobody left): then the rebalance completes now.
      this.#tryCompleteJoin(group)
    }
  }

  #onInitialDelay (group: Group): void {
    const now = this.#now()
    const quietUntil = Math.min(group.lastJoinAt + this.#options.initialRebalanceDelayMs, group.initialDelayDeadline)
    if (quietUntil > now) {
      group.joinTimer = setTimeout(() => this.#onInitialDelay(group), quietUntil - now)
      return
    }
    group.inInitialDelay = false
    this.#completeJoin(group)
  }

  #tryCompleteJoin (group: Group): void {
    if (group.is(GroupState.PreparingRebalance) && !group.inInitialDelay && group.allMembersJoined()) this.#completeJoin(group)
  }

  #completeJoin (group: Group): void {
    if (group.joinTimer !== null) { clearTimeout(group.joinTimer); group.joinTimer = null }
    group.inInitialDelay = false
    if (!group.is(GroupState.PreparingRebalance)) return
    const now = this.#now()
    // Members that did not rejoin within the rebalance timeout are out of the new generation.
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null) this.#dropMember(group, member, KafkaCode.UNKNOWN_MEMBER_ID)
    }
    for (const timer of group.pendingMembers.values()) clearTimeout(timer)
    group.pendingMembers.clear()
    group.generationId++
    if (group.size === 0) {
      group.protocolName = null
      group.leaderId = null
      group.transition(GroupState.Empty, now)
      this.#persistGroup(group)
      return
    }
    group.protocolName = group.selectProtocol()
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? null
    group.transition(GroupState.CompletingRebalance, now)
    // A leader that never sends its assignment must not hold the group forever.
    const generation = group.generationId
    group.joinTimer = setTimeout(() => {
      group.joinTimer = null
      if (group.is(GroupState.CompletingRebalance) && group.generationId === generation) this.#prepareRebalance(group)
    }, group.rebalanceTimeoutMs())
    for (const member of group.members.values()) {
      const respond = member.awaitingJoin
      if (respond === null) continue
      member.awaitingJoin = null
      respond(this.#joinAnswer(group, member, member.memberId === group.leaderId))
      this.#scheduleSession(group, member)
    }
  }

  #joinAnswer (group: Group, member: Member, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: KafkaCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName) }))
        : []
    }
  }

  syncGroup (req: SyncGroup): Promise<SyncGroupResult> {
    return new Promise((resolve) => { this.#sync(req, resolve) })
  }

  #sync (req: SyncGroup, respond: (res: SyncGroupResult) => void): void {
    const fail = (code: number): void => { respond(syncError(code)) }
    if (this.#closed) return fail(KafkaCode.NOT_COORDINATOR)
    if (req.groupId.length === 0) return fail(KafkaCode.INVALID_GROUP_ID)
    const group = this.#groups.get(req.groupId)
    if (group === undefined) return fail(KafkaCode.UNKNOWN_MEMBER_ID)
    if (group.is(GroupState.Dead)) return fail(KafkaCode.COORDINATOR_NOT_AVAILABLE)
    if (isFenced(group, req.groupInstanceId, req.memberId)) return fail(KafkaCode.FENCED_INSTANCE_ID)
    const member = group.members.get(req.memberId)
    if (member === undefined) return fail(KafkaCode.UNKNOWN_MEMBER_ID)
    if (req.generationId !== group.generationId) return fail(KafkaCode.ILLEGAL_GENERATION)
    if ((req.protocolType != null && req.protocolType !== group.protocolType) || (req.protocolName != null && req.protocolName !== group.protocolName)) {
      return fail(KafkaCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    switch (group.state) {
      case GroupState.Empty: return fail(KafkaCode.UNKNOWN_MEMBER_ID)
      case GroupState.PreparingRebalance: return fail(KafkaCode.REBALANCE_IN_PROGRESS)
      case GroupState.Stable:
        this.#scheduleSession(group, member)
        return respond(this.#syncAnswer(group, member))
      case GroupState.CompletingRebalance: {
        if (member.awaitingSync !== null) member.awaitingSync(syncError(KafkaCode.REBALANCE_IN_PROGRESS))
        member.awaitingSync = respond
        this.#scheduleSession(group, member)
        if (member.memberId !== group.leaderId) return
        const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]))
        for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? new Uint8Array(0)
        if (!this.#persistGroup(group)) {
          this.#failSyncs(group, KafkaCode.COORDINATOR_NOT_AVAILABLE)
          this.#prepareRebalance(group)
          return
        }
        group.transition(GroupState.Stable, this.#now())
        if (group.joinTimer !== null) { clearTimeout(group.joinTimer); group.joinTimer = null }
        for (const m of group.members.values()) {
          if (m.awaitingSync === null) continue
          const waiter = m.awaitingSync
          m.awaitingSync = null
          waiter(this.#syncAnswer(group, m))
        }
      }
    }
  }

  #syncAnswer (group: Group, member: Member): SyncGroupResult {
    return { errorCode: KafkaCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
  }

  #failSyncs (group: Group, code: number): void {
    for (const m of group.members.values()) {
      if (m.awaitingSync === null) continue
      const waiter = m.awaitingSync
      m.awaitingSync = null
      waiter(syncError(code))
    }
  }

  async heartbeat (req: Heartbeat): Promise<number> {
    return this.#heartbeat(req)
  }

  #heartbeat (req: Heartbeat): number {
    if (this.#closed) return KafkaCode.NOT_COORDINATOR
    if (req.groupId.length === 0) return KafkaCode.INVALID_GROUP_ID
    const group = this.#groups.get(req.groupId)
    if (group === undefined) return KafkaCode.UNKNOWN_MEMBER_ID
    if (group.is(GroupState.Dead)) return KafkaCode.COORDINATOR_NOT_AVAILABLE
    if (isFenced(group, req.groupInstanceId, req.memberId)) return KafkaCode.FENCED_INSTANCE_ID
    const member = group.members.get(req.memberId)
    if (member === undefined || group.is(GroupState.Empty)) return KafkaCode.UNKNOWN_MEMBER_ID
    if (req.generationId !== group.generationId) return KafkaCode.ILLEGAL_GENERATION
    this.#scheduleSession(group, member)
    return group.is(GroupState.PreparingRebalance) ? KafkaCode.REBALANCE_IN_PROGRESS : KafkaCode.NONE
  }

  async leaveGroup (req: LeaveGroup): Promise<LeaveGroupResult> {
    if (req.groupId.length === 0) return { errorCode: KafkaCode.INVALID_GROUP_ID, members: [] }
    const group = this.#groups.get(req.groupId)
    const members = req.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: this.#closed ? KafkaCode.NOT_COORDINATOR : group === undefined ? KafkaCode.UNKNOWN_MEMBER_ID : this.#leave(group, m.memberId, m.groupInstanceId)
    }))
    return { errorCode: KafkaCode.NONE, members }
  }

  #leave (group: Group, memberId: string, groupInstanceId: string | null): number {
    if (group.is(GroupState.Dead)) return KafkaCode.COORDINATOR_NOT_AVAILABLE
    if (groupInstanceId !== null) {
      const member = group.staticMember(groupInstanceId)
      if (member === undefined) return KafkaCode.UNKNOWN_MEMBER_ID
      if (memberId !== '' && memberId !== member.memberId) return KafkaCode.FENCED_INSTANCE_ID
      this.#removeMemberAndUpdateGroup(group, member)
      return KafkaCode.NONE
    }
    const pending = group.pendingMembers.get(memberId)
    if (pending !== undefined) {
      clearTimeout(pending)
      group.pendingMembers.delete(memberId)
      this.#tryCompleteJoin(group)
      return KafkaCode.NONE
    }
    const member = group.members.get(memberId)
    if (member === undefined) return KafkaCode.UNKNOWN_MEMBER_ID
    this.#removeMemberAndUpdateGroup(group, member)
    return KafkaCode.NONE
  }

  #scheduleSession (group: Group, member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer)
    member.sessionTimer = setTimeout(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs)
  }

  #onSessionExpired (group: Group, member: Member): void {
    member.sessionTimer = null
    if (group.members.get(member.memberId) !== member) return
    // A member parked in a join or sync is alive: the rebalance timeout decides its fate.
    if (member.awaitingJoin !== null || member.awaitingSync !== null) return this.#scheduleSession(group, member)
    this.#removeMemberAndUpdateGroup(group, member)
  }

  /** Takes a member out and answers anything it had parked; the caller decides about rebalancing. */
  #dropMember (group: Group, member: Member, code: number): void {
    if (member.sessionTimer !== null) { clearTimeout(member.sessionTimer); member.sessionTimer = null }
    if (member.awaitingJoin !== null) { member.awaitingJoin(joinError(code, member.memberId)); member.awaitingJoin = null }
    if (member.awaitingSync !== null) { member.awaitingSync(syncError(code)); member.awaitingSync = null }
    group.remove(member.memberId)
  }

  #removeMemberAndUpdateGroup (group: Group, member: Member): void {
    this.#dropMember(group, member, KafkaCode.UNKNOWN_MEMBER_ID)
    switch (group.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        return this.#prepareRebalance(group)
      case GroupState.PreparingRebalance:
        return this.#tryCompleteJoin(group)
    }
  }

  // --- offsets

  async commitOffsets (req: CommitOffsets): Promise<CommitOffsetsResult> {
    const now = this.#now()
    const groupError = this.#commitError(req.groupId, req.generationId, req.memberId, req.groupInstanceId)
    const records: CoordinatorRecord[] = []
    const accepted: Array<{ topic: string, partition: number, committed: CommittedOffset }> = []
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode = groupError
        if (errorCode === KafkaCode.NONE) errorCode = this.#partitionProblem(t.name, p.partition)
        if (errorCode === KafkaCode.NONE && p.metadata !== null && Buffer.byteLength(p.metadata) > this.#options.offsetMetadataMaxBytes) {
          errorCode = KafkaCode.OFFSET_METADATA_TOO_LARGE
        }
        if (errorCode === KafkaCode.NONE) {
          const committed = { offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata ?? '', commitTimestamp: now }
          records.push([offsetKey(req.groupId, t.name, p.partition), offsetValue(committed)])
          accepted.push({ topic: t.name, partition: p.partition, committed })
        }
        return { partition: p.partition, errorCode }
      })
    }))
    if (records.length > 0) {
      if (this.#log.write(records, now) !== LogStatus.Ok) {
        // Nothing was stored: the client retries (Kafka answers a failed offsets write the same way).
        for (const t of topics) for (const p of t.partitions) if (p.errorCode === KafkaCode.NONE) p.errorCode = KafkaCode.COORDINATOR_NOT_AVAILABLE
      } else {
        this.#groupOrCreate(req.groupId)
        for (const a of accepted) this.#remember(req.groupId, a.topic, a.partition, a.committed)
      }
    }
    return { topics }
  }

  /** Whether this member may commit now (Kafka's generation fencing); NONE when it may. */
  #commitError (groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (this.#closed) return KafkaCode.NOT_COORDINATOR
    const group = this.#groups.get(groupId)
    if (group === undefined) return generationId < 0 ? KafkaCode.NONE : KafkaCode.ILLEGAL_GENERATION
    if (group.is(GroupState.Dead)) return KafkaCode.COORDINATOR_NOT_AVAILABLE
    if (isFenced(group, groupInstanceId, memberId)) return KafkaCode.FENCED_INSTANCE_ID
    // A commit without a generation comes from a consumer that manages its own partitions: fine
    // while no member of the group owns them.
    if (generationId < 0 && group.is(GroupState.Empty)) return KafkaCode.NONE
    if (group.is(GroupState.CompletingRebalance)) return KafkaCode.REBALANCE_IN_PROGRESS
    const member = group.members.get(memberId)
    if (member === undefined) return KafkaCode.UNKNOWN_MEMBER_ID
    if (generationId !== group.generationId) return KafkaCode.ILLEGAL_GENERATION
    this.#scheduleSession(group, member)
    return KafkaCode.NONE
  }

  #partitionProblem (topic: string, partition: number): number {
    const count = this.#topics.get(topic)
    return count === undefined || !Number.isInteger(partition) || partition < 0 || partition >= count ? KafkaCode.UNKNOWN_TOPIC_OR_PARTITION : KafkaCode.NONE
  }

  async fetchOffsets (req: FetchOffsets): Promise<FetchOffsetsResult> {
    return {
      groups: req.groups.map((g) => ({
        groupId: g.groupId,
        errorCode: this.#closed ? KafkaCode.NOT_COORDINATOR : KafkaCode.NONE,
        topics: this.#fetchOffsets(g.groupId, g.topics, req.requireStable)
      }))
    }
  }

  /** The committed offsets asked for (-1 where none), or every one the group has when `asked` is null. */
  #fetchOffsets (groupId: string, asked: Array<{ name: string, partitions: number[] }> | null, requireStable: boolean): Array<{ name: string, partitions: CommittedOffsetOf[] }> {
    const offsets = this.#offsets.get(groupId)
    const pending = requireStable ? this.#pendingTxnOffsets : null
    const entry = (topic: string, partition: number, c: CommittedOffset | undefined): CommittedOffsetOf => {
      // KIP-447: a consumer that asks for stable offsets retries until the transaction ends.
      if (pending?.hasPendingOffset(groupId, topic, partition) === true) {
        return { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: KafkaCode.UNSTABLE_OFFSET_COMMIT }
      }
      return { partition, offset: c?.offset ?? -1, leaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: KafkaCode.NONE }
    }
    if (asked === null) {
      return [...(offsets ?? new Map<string, PartitionOffsets>())].map(([name, partitions]) => ({
        name,
        partitions: [...partitions].sort((a, b) => a[0] - b[0]).map(([p, c]) => entry(name, p, c))
      }))
    }
    return asked.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => entry(t.name, p, offsets?.get(t.name)?.get(p))) }))
  }

  // --- transactional offsets (the transaction coordinator calls these on the same thread)

  /** Where OffsetFetch with require_stable learns which offsets a transaction still holds. */
  setPendingTxnOffsets (source: { hasPendingOffset (groupId: string, topic: string, partition: number): boolean }): void {
    this.#pendingTxnOffsets = source
  }

  /**
   * Whether the group takes a transactional commit: a commit that names its member (KIP-447) is
   * checked as an OffsetCommit is; otherwise only the group id and the partitions are.
   */
  txnCommitProblem (commit: TxnCommitCheck): number {
    if (this.#closed) return KafkaCode.NOT_COORDINATOR
    if (commit.groupId.length === 0) return KafkaCode.INVALID_GROUP_ID
    for (const p of commit.partitions) if (this.#partitionProblem(p.topic, p.partition) !== KafkaCode.NONE) return KafkaCode.UNKNOWN_TOPIC_OR_PARTITION
    const m = commit.member
    return m === null ? KafkaCode.NONE : this.#commitError(commit.groupId, m.generationId, m.memberId, m.groupInstanceId)
  }

  /** A committed transaction's offsets become the group's, written to the offsets log first. */
  applyTxnOffsets (offsets: readonly StoredTxnOffset[]): boolean {
    const now = this.#now()
    const committed = offsets.map((o) => ({ o, c: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: now } }))
    const records: CoordinatorRecord[] = committed.map(({ o, c }) => [offsetKey(o.groupId, o.topic, o.partition), offsetValue(c)])
    if (this.#log.write(records, now) !== LogStatus.Ok) return false
    for (const { o, c } of committed) {
      this.#remember(o.groupId, o.topic, o.partition, c)
      this.#groupOrCreate(o.groupId)
    }
    return true
  }

  #remember (groupId: string, topic: string, partition: number, committed: CommittedOffset): void {
    let group = this.#offsets.get(groupId)
    if (group === undefined) { group = new Map(); this.#offsets.set(groupId, group) }
    let partitions = group.get(topic)
    if (partitions === undefined) { partitions = new Map(); group.set(topic, partitions) }
    partitions.set(partition, committed)
  }

  #forgetOffset (groupId: string, topic: string, partition: number): void {
    const group = this.#offsets.get(groupId)
    const partitions = group?.get(topic)
    if (group === undefined || partitions === undefined) return
    partitions.delete(partition)
    if (partitions.size === 0) group.delete(topic)
    if (group.size === 0) this.#offsets.delete(groupId)
  }

  /** Writes tombstones for `doomed` offsets and forgets them; false when the log refused. */
  #deleteOffsets (doomed: Array<{ groupId: string, topic: string, partition: number }>): boolean {
    if (doomed.length === 0) return true
    const records: CoordinatorRecord[] = doomed.map((d) => [offsetKey(d.groupId, d.topic, d.partition), null])
    if (this.#log.write(records, this.#now()) !== LogStatus.Ok) return false
    for (const d of doomed) this.#forgetOffset(d.groupId, d.topic, d.partition)
    return true
  }

  async setTopics (topics: Record<string, number>): Promise<void> {
    this.#topics = new Map(Object.entries(topics))
    // Offsets of deleted topics (or partitions) go, as Kafka removes them on topic deletion.
    const doomed: Array<{ groupId: string, topic: string, partition: number }> = []
    for (const [groupId, offsets] of this.#offsets) {
      for (const [topic, partitions] of offsets) {
        for (const partition of partitions.keys()) {
          if (this.#partitionProblem(topic, partition) !== KafkaCode.NONE) doomed.push({ groupId, topic, partition })
        }
      }
    }
    this.#deleteOffsets(doomed)
  }

  /**
   * Kafka's offsets.retention.minutes: an empty group's offsets go once it has been empty that
   * long (offsets committed without a group protocol count from their own commit time), and a
   * group left with nothing goes too.
   */
  expireOffsets (now = this.#now()): void {
    const retentionMs = this.#options.offsetsRetentionMs
    const doomed: Array<{ groupId: string, topic: string, partition: number }> = []
    for (const [groupId, offsets] of this.#offsets) {
      const group = this.#groups.get(groupId)
      if (group !== undefined && !group.is(GroupState.Empty)) continue
      const groupExpired = group !== undefined && group.protocolType !== null && group.stateTimestamp + retentionMs <= now
      for (const [topic, partitions] of offsets) {
        for (const [partition, c] of partitions) {
          if (groupExpired || c.commitTimestamp + retentionMs <= now) doomed.push({ groupId, topic, partition })
        }
      }
    }
    if (!this.#deleteOffsets(doomed)) return
    for (const [groupId, group] of [...this.#groups]) {
      if (group.is(GroupState.Empty) && !this.#offsets.has(groupId) && group.stateTimestamp + retentionMs <= now) this.#removeGroup(group)
    }
  }

  // --- administration

  async describeGroups (groupIds: string[]): Promise<GroupDetails[]> {
    return groupIds.map((groupId) => this.#describe(groupId))
  }

  #describe (groupId: string): GroupDetails {
    const group = this.#groups.get(groupId)
    if (this.#closed) return { errorCode: KafkaCode.NOT_COORDINATOR, groupId, state: '', protocolType: '', protocolName: '', members: [] }
    if (group === undefined) return { errorCode: KafkaCode.NONE, groupId, state: GroupState.Dead, protocolType: '', protocolName: '', members: [] }
    // As Kafka: member metadata and assignments only for a stable group, whose protocol is settled.
    const stable = group.is(GroupState.Stable)
    return {
      errorCode: KafkaCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(group.protocolName) : new Uint8Array(0),
        assignment: stable ? m.assignment : new Uint8Array(0)
      }))
    }
  }

  async listGroups (req: ListGroups): Promise<ListGroupsResult> {
    if (this.#closed) return { errorCode: KafkaCode.NOT_COORDINATOR, groups: [] }
    const states = req.states !== null && req.states.length > 0 ? new Set(req.states.map((s) => s.toLowerCase())) : null
    const types = req.types !== null && req.types.length > 0 ? new Set(req.types.map((s) => s.toLowerCase())) : null
    const groups = [...this.#groups.values()]
      .filter((g) => !g.is(GroupState.Dead) && (states === null || states.has(g.state.toLowerCase())) && (types === null || types.has('classic')))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' }))
    return { errorCode: KafkaCode.NONE, groups }
  }

  async deleteGroups (groupIds: string[]): Promise<Array<{ groupId: string, errorCode: number }>> {
    return groupIds.map((groupId) => ({ groupId, errorCode: this.#delete(groupId) }))
  }

  #delete (groupId: string): number {
    if (this.#closed) return KafkaCode.NOT_COORDINATOR
    const group = this.#groups.get(groupId)
    if (group === undefined || group.is(GroupState.Dead)) return KafkaCode.GROUP_ID_NOT_FOUND
    if (!group.is(GroupState.Empty)) return KafkaCode.NON_EMPTY_GROUP
    const doomed: Array<{ groupId: string, topic: string, partition: number }> = []
    for (const [topic, partitions] of this.#offsets.get(groupId) ?? []) for (const partition of partitions.keys()) doomed.push({ groupId, topic, partition })
    if (!this.#deleteOffsets(doomed)) return KafkaCode.COORDINATOR_NOT_AVAILABLE
    return this.#removeGroup(group) ? KafkaCode.NONE : KafkaCode.COORDINATOR_NOT_AVAILABLE
  }

  /**
   * OffsetDelete, with Kafka's rules: an empty group loses the offsets asked for; a consumer group
   * with members keeps those of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC per partition)
   * and loses the others; a group of another protocol type with members refuses (NON_EMPTY_GROUP).
   * Deletions are tombstones in the coordinator log, so they survive a restart; an empty group
   * left with no offsets goes too, as in Kafka.
   */
  async deleteOffsets (req: DeleteOffsets): Promise<DeleteOffsetsResult> {
    const refuse = (errorCode: number, reason: string): DeleteOffsetsResult => {
      this.#logger.info({ groupId: req.groupId, errorCode }, `offset deletion refused: ${reason}`)
      return { errorCode, topics: [] }
    }
    if (this.#closed) return { errorCode: KafkaCode.NOT_COORDINATOR, topics: [] }
    const group = this.#groups.get(req.groupId)
    if (group === undefined || group.is(GroupState.Dead)) return refuse(KafkaCode.GROUP_ID_NOT_FOUND, 'the group does not exist')
    const subscribed = group.subscribedTopics()
    if (!group.is(GroupState.Empty) && group.protocolType !== CONSUMER_PROTOCOL_TYPE) {
      return refuse(KafkaCode.NON_EMPTY_GROUP, `the group has active members of protocol type '${group.protocolType ?? ''}'`)
    }
    const offsets = this.#offsets.get(req.groupId)
    const doomed = new Map<string, { groupId: string, topic: string, partition: number }>()
    const refused: string[] = []
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partition) => {
        const problem = this.#partitionProblem(t.name, partition)
        if (problem !== KafkaCode.NONE) return { partition, errorCode: problem }
        if (!group.is(GroupState.Empty) && (subscribed === null || subscribed.has(t.name))) {
          refused.push(`${t.name}-${partition}`)
          return { partition, errorCode: KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC }
        }
        // Deleting an offset the group never committed is not an error (Kafka answers NONE too).
        if (offsets?.get(t.name)?.has(partition) === true) doomed.set(`${t.name}\0${partition}`, { groupId: req.groupId, topic: t.name, partition })
        return { partition, errorCode: KafkaCode.NONE }
      })
    }))
    if (!this.#deleteOffsets([...doomed.values()])) {
      this.#logger.error({ groupId: req.groupId }, 'offset deletion failed: the coordinator log refused the write; nothing was deleted')
      return { errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, topics: [] }
    }
    if (refused.length > 0) this.#logger.info({ groupId: req.groupId, partitions: refused }, 'offset deletion refused for topics the group subscribes to')
    if (doomed.size > 0) {
      this.#logger.info({ groupId: req.groupId, partitions: [...doomed.values()].map((d) => `${d.topic}-${d.partition}`) }, `deleted ${doomed.size} committed offsets`)
    }
    if (group.is(GroupState.Empty) && !this.#offsets.has(req.groupId)) this.#removeGroup(group)
    return { errorCode: KafkaCode.NONE, topics }
  }

  #removeGroup (group: Group): boolean {
    if (this.#log.write([[groupKey(group.groupId), null]], this.#now()) !== LogStatus.Ok) return false
    group.transition(GroupState.Dead, this.#now())
    this.#groups.delete(group.groupId)
    return true
  }

  // --- producer ids

  async initProducerId (req: NewProducerId): Promise<ProducerIdResult> {
    const producerIds = this.#options.producerIds
    if (this.#closed || producerIds === undefined) return { errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 }
    return producerIds.initProducerId(req)
  }

  // --- the coordinator log as the __consumer_offsets topic, for consumers that read it (lag monitors)

  async readOffsetsLog (offset: number, maxBytes: number): Promise<OffsetsLogRead> {
    const log = this.#log.log
    const read = log.read(offset, maxBytes, log.highWatermark)
    const answer = (status: LogStatus, bytes: Uint8Array): OffsetsLogRead => ({ status, bytes, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset })
    if (read.status !== LogStatus.Ok || read.length === 0) return answer(read.status, new Uint8Array(0))
    // A buffer of its own (not a pooled slice): it is copied once more to cross the thread.
    const bytes = new Uint8Array(read.length)
    const status = log.copyRead(read, bytes, 0)
    return answer(status, status === LogStatus.Ok ? bytes : new Uint8Array(0))
  }

  async lookupOffsetsLog (timestamp: number): Promise<OffsetsLogLookup> {
    const { status, offset, timestamp: found } = this.#log.log.offsetForTimestamp(timestamp)
    return { status, offset, timestamp: found }
  }

  // --- the coordinator log's compaction, driven by the dispatcher's log cleaner

  async planClean (now: number): Promise<CleanPlan | null> { return this.#closed ? null : this.#log.planClean(now) }
  async cleanInline (plan: CleanPlan): Promise<CleanResult> { return this.#log.cleanInline(plan) }
  async commitClean (result: CleanResult): Promise<boolean> { return this.#closed ? false : this.#log.commitClean(result) }

  // --- state

  #groupOrCreate (groupId: string): Group {
    let group = this.#groups.get(groupId)
    if (group === undefined) {
      group = new Group(groupId, this.#now())
      this.#groups.set(groupId, group)
    }
    return group
  }

  /** Writes the group's membership (after a rebalance completes, or when it empties). */
  #persistGroup (group: Group): boolean {
    const stored: StoredGroup = {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      stateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName),
        assignment: m.assignment
      }))
    }
    return this.#log.write([[groupKey(group.groupId), groupValue(stored)]], this.#now()) === LogStatus.Ok
  }

  /** Stops the timers and answers every parked request so clients look for the coordinator again. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#expiryTimer !== null) clearInterval(this.#expiryTimer)
    for (const group of this.#groups.values()) {
      if (group.joinTimer !== null) clearTimeout(group.joinTimer)
      for (const timer of group.pendingMembers.values()) clearTimeout(timer)
      for (const member of group.members.values()) {
        if (member.sessionTimer !== null) clearTimeout(member.sessionTimer)
        if (member.awaitingJoin !== null) member.awaitingJoin(joinError(KafkaCode.NOT_COORDINATOR, member.memberId))
        if (member.awaitingSync !== null) member.awaitingSync(syncError(KafkaCode.NOT_COORDINATOR))
        member.awaitingJoin = null
        member.awaitingSync = null
      }
    }
    this.#log.close()
  }
}

/** A static member id used with another member id than the one that holds it now. */
function isFenced (group: Group, groupInstanceId: string | null | undefined, memberId: string): boolean {
  if (groupInstanceId === null || groupInstanceId === undefined) return false
  const holder = group.staticMembers.get(groupInstanceId)
  return holder !== undefined && holder !== memberId
}

function joinError (errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', members: [], skipAssignment: false }
}

function syncError (errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: new Uint8Array(0) }
}
