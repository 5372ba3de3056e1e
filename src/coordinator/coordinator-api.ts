/**
 * What the coordinator actor answers, in the coordinator's own terms: groups, members, offsets
 * and producer ids, never Kafka request versions. It runs on a thread of its own; the dispatcher
 * reaches it through comlink (see dispatcher/coordinator-link.ts), so every argument and answer
 * is a plain, structured-cloneable object. The Kafka handlers (server/handlers/) translate each
 * request version to and from these shapes; the library-mode group consumer and admin call them
 * directly, so both kinds of member share one group with the same semantics.
 *
 * Errors are Kafka error codes (KafkaCode): they are the group protocol's vocabulary, and the
 * handlers pass them through unchanged.
 */
import type { LogStatus } from '../log/errors.js'

/** A read of the coordinator log as the `__consumer_offsets` topic: whole batches, as stored. */
export interface OffsetsLogRead {
  status: LogStatus
  bytes: Uint8Array
  highWatermark: number
  logStartOffset: number
}

/** ListOffsets on the coordinator log: -1 latest, -2 earliest, -3 max timestamp, T ≥ 0 by time. */
export interface OffsetsLogLookup {
  status: LogStatus
  offset: number
  timestamp: number
}

/** Who sent a request: DescribeGroups reports it per member. */
export interface ClientIdentity {
  clientId: string
  clientHost: string
}

/** One assignment strategy a member supports, with its subscription in that strategy's format. */
export interface GroupProtocol {
  name: string
  metadata: Uint8Array
}

export interface JoinGroup {
  groupId: string
  /** '' for a member joining for the first time. */
  memberId: string
  /** A static member's id (KIP-345), null for a dynamic member. */
  groupInstanceId: string | null
  protocolType: string
  protocols: GroupProtocol[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  /**
   * KIP-394: a new dynamic member first learns its id (MEMBER_ID_REQUIRED) and must join again
   * with it. Members that cannot do that two-step join are added at once.
   */
  requireKnownMemberId: boolean
  client: ClientIdentity
}

export interface JoinedMember {
  memberId: string
  groupInstanceId: string | null
  metadata: Uint8Array
}

export interface JoinGroupResult {
  errorCode: number
  /** The member's id: the one given to a new member, or the one it joined with. */
  memberId: string
  generationId: number
  protocolType: string | null
  /** The protocol the group chose; null while none is (errors). */
  protocolName: string | null
  leader: string
  /** Every member with its subscription: for the leader only, empty for followers and errors. */
  members: JoinedMember[]
  /** A restarted static leader of a stable group keeps the current assignment instead of assigning. */
  skipAssignment: boolean
}

export interface SyncGroup {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  /** When given, must match the group's (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  protocolType: string | null
  protocolName: string | null
  /** The leader's assignment, per member; empty from followers. */
  assignments: Array<{ memberId: string, assignment: Uint8Array }>
}

export interface SyncGroupResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Uint8Array
}

export interface Heartbeat {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export interface LeavingMember {
  /** '' to name a static member by its instance id alone. */
  memberId: string
  groupInstanceId: string | null
}

export interface LeaveGroup {
  groupId: string
  members: LeavingMember[]
}

export interface LeaveGroupResult {
  /** About the group as a whole (INVALID_GROUP_ID); members answer one by one. */
  errorCode: number
  members: Array<LeavingMember & { errorCode: number }>
}

export interface OffsetToCommit {
  partition: number
  offset: number
  leaderEpoch: number
  metadata: string | null
}

export interface CommitOffsets {
  groupId: string
  /** -1 for a consumer that manages its own partitions (no group membership). */
  generationId: number
  memberId: string
  groupInstanceId: string | null
  topics: Array<{ name: string, partitions: OffsetToCommit[] }>
}

/** Per partition answers, for commits and deletions. */
export type PartitionResults = Array<{ name: string, partitions: Array<{ partition: number, errorCode: number }> }>

export interface CommitOffsetsResult {
  topics: PartitionResults
}

export interface FetchOffsets {
  /** Each group with the topics asked for, or null for every offset the group has. */
  groups: Array<{ groupId: string, topics: Array<{ name: string, partitions: number[] }> | null }>
  /** KIP-447: UNSTABLE_OFFSET_COMMIT for offsets a transaction still holds. */
  requireStable: boolean
}

export interface CommittedOffsetOf {
  partition: number
  /** -1 where nothing was committed. */
  offset: number
  leaderEpoch: number
  metadata: string
  errorCode: number
}

export interface GroupOffsets {
  groupId: string
  errorCode: number
  topics: Array<{ name: string, partitions: CommittedOffsetOf[] }>
}

export interface FetchOffsetsResult {
  groups: GroupOffsets[]
}

export interface DescribedMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  /** Subscription and assignment: only for a stable group (empty otherwise), as Kafka. */
  metadata: Uint8Array
  assignment: Uint8Array
}

export interface GroupDetails {
  groupId: string
  errorCode: number
  /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead (an unknown group); '' on error. */
  state: string
  protocolType: string
  /** The chosen protocol, only for a stable group. */
  protocolName: string
  members: DescribedMember[]
}

export interface ListGroups {
  /** States to keep (any case), null for all. */
  states: string[] | null
  /** Group types to keep (any case), null for all; every group here is 'classic'. */
  types: string[] | null
}

export interface ListedGroup {
  groupId: string
  protocolType: string
  state: string
  type: string
}

export interface ListGroupsResult {
  errorCode: number
  groups: ListedGroup[]
}

export interface DeleteOffsets {
  groupId: string
  topics: Array<{ name: string, partitions: number[] }>
}

export interface DeleteOffsetsResult {
  /** About the group as a whole; NONE when partitions answer one by one. */
  errorCode: number
  topics: PartitionResults
}

/** A transactional offset commit, as the group sees it (the transaction coordinator asks). */
export interface TxnCommitCheck {
  groupId: string
  partitions: Array<{ topic: string, partition: number }>
  /** The committing member (KIP-447), checked as an OffsetCommit's; null when the commit names none. */
  member: { generationId: number, memberId: string, groupInstanceId: string | null } | null
}

export interface NewProducerId {
  /** An idempotent producer's current id and epoch (KIP-360), -1 for none. */
  producerId: number
  producerEpoch: number
}

export interface ProducerIdResult {
  errorCode: number
  producerId: number
  producerEpoch: number
}

export interface CoordinatorApi {
  /** Parked until the rebalance completes (or answered at once for errors and MEMBER_ID_REQUIRED). */
  joinGroup (req: JoinGroup): Promise<JoinGroupResult>
  /** Followers are parked until the leader's assignment arrives. */
  syncGroup (req: SyncGroup): Promise<SyncGroupResult>
  /** Keeps the member's session alive; REBALANCE_IN_PROGRESS tells it to join again. */
  heartbeat (req: Heartbeat): Promise<number>
  leaveGroup (req: LeaveGroup): Promise<LeaveGroupResult>
  commitOffsets (req: CommitOffsets): Promise<CommitOffsetsResult>
  fetchOffsets (req: FetchOffsets): Promise<FetchOffsetsResult>
  describeGroups (groupIds: string[]): Promise<GroupDetails[]>
  listGroups (req: ListGroups): Promise<ListGroupsResult>
  /** Only empty groups; their committed offsets go with them. Per group error codes. */
  deleteGroups (groupIds: string[]): Promise<Array<{ groupId: string, errorCode: number }>>
  deleteOffsets (req: DeleteOffsets): Promise<DeleteOffsetsResult>
  /** A producer id for a producer without a transactional id. */
  initProducerId (req: NewProducerId): Promise<ProducerIdResult>
  /** Reads the coordinator log from `offset`, at most `maxBytes` (at least one whole batch). */
  readOffsetsLog (offset: number, maxBytes: number): Promise<OffsetsLogRead>
  lookupOffsetsLog (timestamp: number): Promise<OffsetsLogLookup>
  /**
   * The dispatcher's topic table changed: topic name → partition count. Commits for partitions
   * not listed answer UNKNOWN_TOPIC_OR_PARTITION, and offsets of deleted topics are removed.
   */
  setTopics (topics: Record<string, number>): Promise<void>
}
