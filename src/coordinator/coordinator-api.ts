/**
 * What the coordinator actor answers. It runs on a thread of its own; the dispatcher reaches it
 * through comlink (see dispatcher/coordinator-link.ts), so every argument and answer is a plain,
 * structured-cloneable object: the typed Kafka requests and responses of protocol/apis/.
 * The TCP handlers and the library-mode group consumer call the same methods, so both kinds of
 * member share one group with the same semantics.
 */
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/apis/join-group.js'
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/apis/sync-group.js'
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/apis/heartbeat.js'
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/apis/leave-group.js'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/apis/offset-commit.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis/offset-fetch.js'
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/apis/describe-groups.js'
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/apis/list-groups.js'
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/apis/delete-groups.js'
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../protocol/apis/offset-delete.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/apis/init-producer-id.js'
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

export interface CoordinatorApi {
  joinGroup (req: JoinGroupRequest, version: number, client: ClientIdentity): Promise<JoinGroupResponse>
  syncGroup (req: SyncGroupRequest, version: number): Promise<SyncGroupResponse>
  heartbeat (req: HeartbeatRequest, version: number): Promise<HeartbeatResponse>
  leaveGroup (req: LeaveGroupRequest, version: number): Promise<LeaveGroupResponse>
  offsetCommit (req: OffsetCommitRequest, version: number): Promise<OffsetCommitResponse>
  offsetFetch (req: OffsetFetchRequest, version: number): Promise<OffsetFetchResponse>
  describeGroups (req: DescribeGroupsRequest, version: number): Promise<DescribeGroupsResponse>
  listGroups (req: ListGroupsRequest, version: number): Promise<ListGroupsResponse>
  deleteGroups (req: DeleteGroupsRequest, version: number): Promise<DeleteGroupsResponse>
  offsetDelete (req: OffsetDeleteRequest, version: number): Promise<OffsetDeleteResponse>
  initProducerId (req: InitProducerIdRequest, version: number): Promise<InitProducerIdResponse>
  /** Reads the coordinator log from `offset`, at most `maxBytes` (at least one whole batch). */
  readOffsetsLog (offset: number, maxBytes: number): Promise<OffsetsLogRead>
  lookupOffsetsLog (timestamp: number): Promise<OffsetsLogLookup>
  /**
   * The dispatcher's topic table changed: topic name → partition count. Commits for partitions
   * not listed answer UNKNOWN_TOPIC_OR_PARTITION, and offsets of deleted topics are removed.
   */
  setTopics (topics: Record<string, number>): Promise<void>
}
