/**
 * Which handler serves each API key. ApiVersions advertises exactly the keys routed here, with
 * the ranges from protocol/api-keys.ts, so a client never picks an API this server cannot answer.
 */
import { apiByKey, ApiKey } from '../protocol/api-keys.js'
import { codecByKey, type ApiCodec } from '../protocol/apis/index.js'
import type { ApiVersion } from '../protocol/apis/api-versions.js'
import type { RequestContext } from './context.js'
import { handleApiVersions } from './handlers/api-versions.js'
import { handleMetadata } from './handlers/metadata.js'
import { handleProduce, produceFailed } from './handlers/produce.js'
import { handleFetch } from './handlers/fetch.js'
import { handleListOffsets } from './handlers/list-offsets.js'
import { handleCreateTopics } from './handlers/create-topics.js'
import { handleDeleteTopics } from './handlers/delete-topics.js'
import { handleCreatePartitions } from './handlers/create-partitions.js'
import { handleDeleteRecords } from './handlers/delete-records.js'
import { handleOffsetForLeaderEpoch } from './handlers/offset-for-leader-epoch.js'
import { handleDescribeConfigs } from './handlers/describe-configs.js'
import { handleDescribeLogDirs } from './handlers/describe-log-dirs.js'
import { handleAlterConfigs, handleIncrementalAlterConfigs } from './handlers/alter-configs.js'
import { handleInitProducerId } from './handlers/init-producer-id.js'
import { handleFindCoordinator } from './handlers/find-coordinator.js'
import { handleJoinGroup } from './handlers/join-group.js'
import { handleSyncGroup } from './handlers/sync-group.js'
import { handleHeartbeat } from './handlers/heartbeat.js'
import { handleLeaveGroup } from './handlers/leave-group.js'
import { handleOffsetCommit } from './handlers/offset-commit.js'
import { handleOffsetFetch } from './handlers/offset-fetch.js'
import { handleDescribeGroups } from './handlers/describe-groups.js'
import { handleListGroups } from './handlers/list-groups.js'
import { handleDeleteGroups } from './handlers/delete-groups.js'
import { handleOffsetDelete } from './handlers/offset-delete.js'
import { handleAddPartitionsToTxn } from './handlers/add-partitions-to-txn.js'
import { handleAddOffsetsToTxn } from './handlers/add-offsets-to-txn.js'
import { handleEndTxn } from './handlers/end-txn.js'
import { handleTxnOffsetCommit } from './handlers/txn-offset-commit.js'
import { handleDescribeTransactions } from './handlers/describe-transactions.js'
import { handleListTransactions } from './handlers/list-transactions.js'
import { handleDescribeAcls } from './handlers/describe-acls.js'
import { handleCreateAcls } from './handlers/create-acls.js'
import { handleDeleteAcls } from './handlers/delete-acls.js'
import { handleSaslHandshake } from './handlers/sasl-handshake.js'
import { handleSaslAuthenticate } from './handlers/sasl-authenticate.js'
import { handleAlterUserScramCredentials, handleDescribeUserScramCredentials } from './handlers/user-scram-credentials.js'

export interface Route {
  readonly codec: ApiCodec
  handle (ctx: RequestContext, req: any): unknown
  /** True when this request gets no response at all (Produce with acks=0). */
  silent?: (req: any) => boolean
  /** For a silent request: whether it failed, in which case the connection is closed. */
  failed?: (res: any) => boolean
  /**
   * Applied only after every earlier request of the connection has finished, as Kafka serves a
   * connection one request at a time: an EndTxn never overtakes the Produce sent before it.
   */
  ordered?: boolean
}

type Handler = (ctx: RequestContext, req: any) => unknown

const handlers: Array<[number, Handler, Partial<Route>?]> = [
  [ApiKey.Produce, handleProduce, { silent: (req: { acks: number }) => req.acks === 0, failed: produceFailed }],
  [ApiKey.Fetch, handleFetch],
  [ApiKey.ListOffsets, handleListOffsets],
  [ApiKey.Metadata, handleMetadata],
  [ApiKey.InitProducerId, handleInitProducerId],
  [ApiKey.OffsetCommit, handleOffsetCommit],
  [ApiKey.OffsetFetch, handleOffsetFetch],
  [ApiKey.FindCoordinator, handleFindCoordinator],
  [ApiKey.JoinGroup, handleJoinGroup],
  [ApiKey.Heartbeat, handleHeartbeat],
  [ApiKey.LeaveGroup, handleLeaveGroup],
  [ApiKey.SyncGroup, handleSyncGroup],
  [ApiKey.DescribeGroups, handleDescribeGroups],
  [ApiKey.ListGroups, handleListGroups],
  [ApiKey.ApiVersions, (_ctx, req) => handleApiVersions(SERVED_APIS, req)],
  [ApiKey.CreateTopics, handleCreateTopics],
  [ApiKey.DeleteTopics, handleDeleteTopics],
  [ApiKey.DeleteRecords, handleDeleteRecords],
  [ApiKey.OffsetForLeaderEpoch, handleOffsetForLeaderEpoch],
  [ApiKey.DescribeAcls, handleDescribeAcls],
  [ApiKey.CreateAcls, handleCreateAcls],
  [ApiKey.DeleteAcls, handleDeleteAcls],
  [ApiKey.DescribeConfigs, handleDescribeConfigs],
  [ApiKey.AlterConfigs, handleAlterConfigs],
  [ApiKey.DescribeLogDirs, handleDescribeLogDirs],
  [ApiKey.CreatePartitions, handleCreatePartitions],
  [ApiKey.DeleteGroups, handleDeleteGroups],
  [ApiKey.IncrementalAlterConfigs, handleIncrementalAlterConfigs],
  [ApiKey.OffsetDelete, handleOffsetDelete],
  [ApiKey.AddPartitionsToTxn, handleAddPartitionsToTxn, { ordered: true }],
  [ApiKey.AddOffsetsToTxn, handleAddOffsetsToTxn, { ordered: true }],
  [ApiKey.EndTxn, handleEndTxn, { ordered: true }],
  [ApiKey.TxnOffsetCommit, handleTxnOffsetCommit, { ordered: true }],
  [ApiKey.DescribeTransactions, handleDescribeTransactions],
  [ApiKey.ListTransactions, handleListTransactions],
  [ApiKey.SaslHandshake, handleSaslHandshake],
  [ApiKey.SaslAuthenticate, handleSaslAuthenticate],
  [ApiKey.DescribeUserScramCredentials, handleDescribeUserScramCredentials],
  [ApiKey.AlterUserScramCredentials, handleAlterUserScramCredentials]
]

const routes = new Map<number, Route>()
for (const [key, handle, extra] of handlers) {
  const codec = codecByKey(key)
  if (codec === undefined) throw new Error(`no codec for API key ${key}`)
  routes.set(key, { codec, handle, ...extra })
}

/** The ranges ApiVersions advertises, sorted by key. */
export const SERVED_APIS: readonly ApiVersion[] = Object.freeze([...routes.keys()].sort((a, b) => a - b).map((key) => {
  const info = apiByKey(key)!
  return Object.freeze({ apiKey: key, minVersion: info.minVersion, maxVersion: info.maxVersion })
}))

export function routeOf (apiKey: number): Route | undefined { return routes.get(apiKey) }
