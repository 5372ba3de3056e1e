/**
 * What each API asks the authorizer, in one table (as Kafka's KafkaApis checks it): the
 * operation on which resource, and the error a refusal answers. Handlers read their row here
 * rather than naming operations themselves, so this file is the whole policy.
 */
import { KafkaCode } from '../protocol/error-codes.js'
import { AclOperation, ResourceType } from './acl.js'

export interface Check {
  readonly operation: number
  readonly resourceType: number
  /** The Kafka error a refusal answers. */
  readonly errorCode: number
}

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation
const { TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID } = ResourceType

const topic = (operation: number): Check => ({ operation, resourceType: TOPIC, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED })
const group = (operation: number): Check => ({ operation, resourceType: GROUP, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED })
const cluster = (operation: number): Check => ({ operation, resourceType: CLUSTER, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED })
const transactionalId = (operation: number): Check => ({ operation, resourceType: TRANSACTIONAL_ID, errorCode: KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })

export const CHECKS = Object.freeze({
  produce: { topic: topic(WRITE), transactionalId: transactionalId(WRITE) },
  fetch: { topic: topic(READ) },
  listOffsets: { topic: topic(DESCRIBE) },
  /** ClusterAction on the cluster (what a follower broker holds) covers every topic; otherwise Describe on each topic (KIP-320 consumers). */
  offsetForLeaderEpoch: { cluster: cluster(CLUSTER_ACTION), topic: topic(DESCRIBE) },
  /** Topics a principal may not Describe are left out of an all-topics answer; auto-creation needs Create on the cluster or the topic. */
  metadata: { topic: topic(DESCRIBE), createCluster: cluster(CREATE), createTopic: topic(CREATE) },
  /** Create on the cluster covers every topic; otherwise Create on each topic. */
  createTopics: { cluster: cluster(CREATE), topic: topic(CREATE) },
  deleteTopics: { topic: topic(DELETE) },
  createPartitions: { topic: topic(ALTER) },
  deleteRecords: { topic: topic(DELETE) },
  describeConfigs: { topic: topic(DESCRIBE_CONFIGS), broker: cluster(DESCRIBE_CONFIGS) },
  alterConfigs: { topic: topic(ALTER_CONFIGS), broker: cluster(ALTER_CONFIGS) },
  /** A transactional id needs Write on it; an idempotent producer IdempotentWrite on the cluster or Write on some topic. */
  initProducerId: { transactionalId: transactionalId(WRITE), idempotentCluster: cluster(IDEMPOTENT_WRITE), idempotentTopics: topic(WRITE) },
  findCoordinator: { group: group(DESCRIBE), transactionalId: transactionalId(DESCRIBE) },
  joinGroup: { group: group(READ) },
  syncGroup: { group: group(READ) },
  heartbeat: { group: group(READ) },
  leaveGroup: { group: group(READ) },
  offsetCommit: { group: group(READ), topic: topic(READ) },
  /** Topics the principal may not Describe are left out of an all-topics answer. */
  offsetFetch: { group: group(DESCRIBE), topic: topic(DESCRIBE) },
  describeGroups: { group: group(DESCRIBE) },
  /** Describe on the cluster lists every group; otherwise only the groups the principal may Describe. */
  listGroups: { cluster: cluster(DESCRIBE), group: group(DESCRIBE) },
  deleteGroups: { group: group(DELETE) },
  offsetDelete: { group: group(DELETE), topic: topic(READ) },
  /** Transactions: Write on the transactional id, plus what each request touches (Kafka's KafkaApis). */
  addPartitionsToTxn: { transactionalId: transactionalId(WRITE), topic: topic(WRITE) },
  addOffsetsToTxn: { transactionalId: transactionalId(WRITE), group: group(READ) },
  endTxn: { transactionalId: transactionalId(WRITE) },
  txnOffsetCommit: { transactionalId: transactionalId(WRITE), group: group(READ), topic: topic(READ) },
  describeTransactions: { transactionalId: transactionalId(DESCRIBE) },
  listTransactions: { transactionalId: transactionalId(DESCRIBE) },
  describeUserScramCredentials: { cluster: cluster(DESCRIBE) },
  alterUserScramCredentials: { cluster: cluster(ALTER) },
  /** Kafka answers a principal without Describe on the cluster no log dirs (v3+: with this error code). */
  describeLogDirs: { cluster: cluster(DESCRIBE) },
  describeAcls: { cluster: cluster(DESCRIBE) },
  createAcls: { cluster: cluster(ALTER) },
  deleteAcls: { cluster: cluster(ALTER) }
})
