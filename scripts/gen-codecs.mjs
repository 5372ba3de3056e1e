#!/usr/bin/env node
/**
 * Writes src/protocol/apis/<api>.ts (one codec per Kafka API, all four directions),
 * src/protocol/apis/index.ts and src/protocol/api-keys.ts from Kafka's JSON message schemas.
 *
 * Run by hand when a version range changes; the output is committed and nothing reads the
 * schemas at build, test or run time:
 *
 *   node scripts/gen-codecs.mjs [schemaDir]      (default ../shared/kafka/schemas)
 *
 * The served version ranges below are ours (they decide what ApiVersions advertises). Only the
 * fields that exist somewhere inside a served range are generated, and the version tests are
 * clamped to it. Several APIs have no schema file in the reference set; their layouts are spelled
 * out in EXTRA_SCHEMAS in the same JSON shape.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const schemaDir = resolve(root, process.argv[2] ?? '../shared/kafka/schemas')

/** key, name, file, served range (min-max). Order = the order of api-keys.ts. */
const APIS = [
  { key: 0, name: 'Produce', file: 'produce', min: 0, max: 9 },
  { key: 1, name: 'Fetch', file: 'fetch', min: 0, max: 13 },
  { key: 2, name: 'ListOffsets', file: 'list-offsets', min: 0, max: 7 },
  { key: 3, name: 'Metadata', file: 'metadata', min: 0, max: 12 },
  { key: 8, name: 'OffsetCommit', file: 'offset-commit', min: 0, max: 8 },
  { key: 9, name: 'OffsetFetch', file: 'offset-fetch', min: 0, max: 8 },
  { key: 10, name: 'FindCoordinator', file: 'find-coordinator', min: 0, max: 4 },
  { key: 11, name: 'JoinGroup', file: 'join-group', min: 0, max: 9 },
  { key: 12, name: 'Heartbeat', file: 'heartbeat', min: 0, max: 4 },
  { key: 13, name: 'LeaveGroup', file: 'leave-group', min: 0, max: 5 },
  { key: 14, name: 'SyncGroup', file: 'sync-group', min: 0, max: 5 },
  { key: 15, name: 'DescribeGroups', file: 'describe-groups', min: 0, max: 5 },
  { key: 16, name: 'ListGroups', file: 'list-groups', min: 0, max: 5 },
  { key: 17, name: 'SaslHandshake', file: 'sasl-handshake', min: 0, max: 1 },
  { key: 18, name: 'ApiVersions', file: 'api-versions', min: 0, max: 3 },
  { key: 19, name: 'CreateTopics', file: 'create-topics', min: 0, max: 7 },
  { key: 20, name: 'DeleteTopics', file: 'delete-topics', min: 0, max: 6 },
  { key: 21, name: 'DeleteRecords', file: 'delete-records', min: 0, max: 2 },
  { key: 22, name: 'InitProducerId', file: 'init-producer-id', min: 0, max: 4 },
  { key: 23, name: 'OffsetForLeaderEpoch', file: 'offset-for-leader-epoch', min: 0, max: 4 },
  { key: 24, name: 'AddPartitionsToTxn', file: 'add-partitions-to-txn', min: 0, max: 3 },
  { key: 25, name: 'AddOffsetsToTxn', file: 'add-offsets-to-txn', min: 0, max: 3 },
  { key: 26, name: 'EndTxn', file: 'end-txn', min: 0, max: 3 },
  { key: 28, name: 'TxnOffsetCommit', file: 'txn-offset-commit', min: 0, max: 3 },
  { key: 29, name: 'DescribeAcls', file: 'describe-acls', min: 0, max: 3 },
  { key: 30, name: 'CreateAcls', file: 'create-acls', min: 0, max: 3 },
  { key: 31, name: 'DeleteAcls', file: 'delete-acls', min: 0, max: 3 },
  { key: 32, name: 'DescribeConfigs', file: 'describe-configs', min: 0, max: 4 },
  { key: 33, name: 'AlterConfigs', file: 'alter-configs', min: 0, max: 2 },
  { key: 35, name: 'DescribeLogDirs', file: 'describe-log-dirs', min: 0, max: 4 },
  { key: 36, name: 'SaslAuthenticate', file: 'sasl-authenticate', min: 0, max: 2 },
  { key: 37, name: 'CreatePartitions', file: 'create-partitions', min: 0, max: 3 },
  { key: 42, name: 'DeleteGroups', file: 'delete-groups', min: 0, max: 2 },
  { key: 44, name: 'IncrementalAlterConfigs', file: 'incremental-alter-configs', min: 0, max: 1 },
  { key: 47, name: 'OffsetDelete', file: 'offset-delete', min: 0, max: 0 },
  { key: 50, name: 'DescribeUserScramCredentials', file: 'describe-user-scram-credentials', min: 0, max: 0 },
  { key: 51, name: 'AlterUserScramCredentials', file: 'alter-user-scram-credentials', min: 0, max: 0 },
  { key: 65, name: 'DescribeTransactions', file: 'describe-transactions', min: 0, max: 0 },
  { key: 66, name: 'ListTransactions', file: 'list-transactions', min: 0, max: 0 }
]

/** One ACL filter's fields (DescribeAcls' request and each DeleteAcls filter share them). */
const ACL_FILTER_FIELDS = [
  { name: 'ResourceTypeFilter', type: 'int8', versions: '0+' },
  { name: 'ResourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
  { name: 'PatternTypeFilter', type: 'int8', versions: '1+', default: '3' },
  { name: 'PrincipalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
  { name: 'HostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
  { name: 'Operation', type: 'int8', versions: '0+' },
  { name: 'PermissionType', type: 'int8', versions: '0+' }
]

const ACL_SCHEMAS = {
  DescribeAclsRequest: {
    apiKey: 29, type: 'request', name: 'DescribeAclsRequest', validVersions: '0-3', flexibleVersions: '2+',
    fields: ACL_FILTER_FIELDS
  },
  DescribeAclsResponse: {
    apiKey: 29, type: 'response', name: 'DescribeAclsResponse', validVersions: '0-3', flexibleVersions: '2+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'ErrorCode', type: 'int16', versions: '0+' },
      { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'Resources', type: '[]DescribeAclsResource', versions: '0+', fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        { name: 'PatternType', type: 'int8', versions: '1+', default: '3' },
        { name: 'Acls', type: '[]AclDescription', versions: '0+', fields: [
          { name: 'Principal', type: 'string', versions: '0+' },
          { name: 'Host', type: 'string', versions: '0+' },
          { name: 'Operation', type: 'int8', versions: '0+' },
          { name: 'PermissionType', type: 'int8', versions: '0+' }
        ] }
      ] }
    ]
  },
  CreateAclsRequest: {
    apiKey: 30, type: 'request', name: 'CreateAclsRequest', validVersions: '0-3', flexibleVersions: '2+',
    fields: [
      { name: 'Creations', type: '[]AclCreation', versions: '0+', fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        { name: 'ResourcePatternType', type: 'int8', versions: '1+', default: '3' },
        { name: 'Principal', type: 'string', versions: '0+' },
        { name: 'Host', type: 'string', versions: '0+' },
        { name: 'Operation', type: 'int8', versions: '0+' },
        { name: 'PermissionType', type: 'int8', versions: '0+' }
      ] }
    ]
  },
  CreateAclsResponse: {
    apiKey: 30, type: 'response', name: 'CreateAclsResponse', validVersions: '0-3', flexibleVersions: '2+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'Results', type: '[]AclCreationResult', versions: '0+', fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' }
      ] }
    ]
  },
  DeleteAclsRequest: {
    apiKey: 31, type: 'request', name: 'DeleteAclsRequest', validVersions: '0-3', flexibleVersions: '2+',
    fields: [
      { name: 'Filters', type: '[]DeleteAclsFilter', versions: '0+', fields: ACL_FILTER_FIELDS }
    ]
  },
  DeleteAclsResponse: {
    apiKey: 31, type: 'response', name: 'DeleteAclsResponse', validVersions: '0-3', flexibleVersions: '2+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'FilterResults', type: '[]DeleteAclsFilterResult', versions: '0+', fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'MatchingAcls', type: '[]DeleteAclsMatchingAcl', versions: '0+', fields: [
          { name: 'ErrorCode', type: 'int16', versions: '0+' },
          { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
          { name: 'ResourceType', type: 'int8', versions: '0+' },
          { name: 'ResourceName', type: 'string', versions: '0+' },
          { name: 'PatternType', type: 'int8', versions: '1+', default: '3' },
          { name: 'Principal', type: 'string', versions: '0+' },
          { name: 'Host', type: 'string', versions: '0+' },
          { name: 'Operation', type: 'int8', versions: '0+' },
          { name: 'PermissionType', type: 'int8', versions: '0+' }
        ] }
      ] }
    ]
  }
}

/** Layouts of APIs missing from the reference schemas, in the schema JSON shape. */
const EXTRA_SCHEMAS = {
  DescribeTransactionsRequest: {
    apiKey: 65, type: 'request', name: 'DescribeTransactionsRequest', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'TransactionalIds', type: '[]string', versions: '0+' }
    ]
  },
  DescribeTransactionsResponse: {
    apiKey: 65, type: 'response', name: 'DescribeTransactionsResponse', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'TransactionStates', type: '[]TransactionState', versions: '0+', fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'TransactionalId', type: 'string', versions: '0+' },
        { name: 'TransactionState', type: 'string', versions: '0+' },
        { name: 'TransactionTimeoutMs', type: 'int32', versions: '0+' },
        { name: 'TransactionStartTimeMs', type: 'int64', versions: '0+' },
        { name: 'ProducerId', type: 'int64', versions: '0+' },
        { name: 'ProducerEpoch', type: 'int32', versions: '0+' },
        { name: 'TopicPartitions', type: '[]TopicData', versions: '0+', fields: [
          { name: 'Name', type: 'string', versions: '0+' },
          { name: 'PartitionIndexes', type: '[]int32', versions: '0+' }
        ] }
      ] }
    ]
  },
  ListTransactionsRequest: {
    apiKey: 66, type: 'request', name: 'ListTransactionsRequest', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'StateFilters', type: '[]string', versions: '0+' },
      { name: 'ProducerIdFilters', type: '[]int64', versions: '0+' }
    ]
  },
  ListTransactionsResponse: {
    apiKey: 66, type: 'response', name: 'ListTransactionsResponse', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'ErrorCode', type: 'int16', versions: '0+' },
      { name: 'TransactionStates', type: '[]TransactionState', versions: '0+', fields: [
        { name: 'TransactionalId', type: 'string', versions: '0+' },
        { name: 'ProducerId', type: 'int64', versions: '0+' },
        { name: 'TransactionState', type: 'string', versions: '0+' }
      ] }
    ]
  },
  DescribeUserScramCredentialsRequest: {
    apiKey: 50, type: 'request', name: 'DescribeUserScramCredentialsRequest', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'Users', type: '[]UserName', versions: '0+', nullableVersions: '0+', fields: [
        { name: 'Name', type: 'string', versions: '0+' }
      ] }
    ]
  },
  DescribeUserScramCredentialsResponse: {
    apiKey: 50, type: 'response', name: 'DescribeUserScramCredentialsResponse', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'ErrorCode', type: 'int16', versions: '0+' },
      { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'Results', type: '[]DescribeUserScramCredentialsResult', versions: '0+', fields: [
        { name: 'User', type: 'string', versions: '0+' },
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'CredentialInfos', type: '[]CredentialInfo', versions: '0+', fields: [
          { name: 'Mechanism', type: 'int8', versions: '0+' },
          { name: 'Iterations', type: 'int32', versions: '0+' }
        ] }
      ] }
    ]
  },
  AlterUserScramCredentialsRequest: {
    apiKey: 51, type: 'request', name: 'AlterUserScramCredentialsRequest', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'Deletions', type: '[]ScramCredentialDeletion', versions: '0+', fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Mechanism', type: 'int8', versions: '0+' }
      ] },
      { name: 'Upsertions', type: '[]ScramCredentialUpsertion', versions: '0+', fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Mechanism', type: 'int8', versions: '0+' },
        { name: 'Iterations', type: 'int32', versions: '0+' },
        { name: 'Salt', type: 'bytes', versions: '0+' },
        { name: 'SaltedPassword', type: 'bytes', versions: '0+' }
      ] }
    ]
  },
  AlterUserScramCredentialsResponse: {
    apiKey: 51, type: 'response', name: 'AlterUserScramCredentialsResponse', validVersions: '0', flexibleVersions: '0+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'Results', type: '[]AlterUserScramCredentialsResult', versions: '0+', fields: [
        { name: 'User', type: 'string', versions: '0+' },
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' }
      ] }
    ]
  },
  ...ACL_SCHEMAS,
  // Kafka 3.x: CurrentLeaderEpoch (KIP-320) from v2, ReplicaId (KIP-392; -1 consumer, -2 debug) from v3.
  OffsetForLeaderEpochRequest: {
    apiKey: 23, type: 'request', name: 'OffsetForLeaderEpochRequest', validVersions: '0-4', flexibleVersions: '4+',
    fields: [
      { name: 'ReplicaId', type: 'int32', versions: '3+', default: '-2' },
      { name: 'Topics', type: '[]OffsetForLeaderTopic', versions: '0+', fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]OffsetForLeaderPartition', versions: '0+', fields: [
          { name: 'Partition', type: 'int32', versions: '0+' },
          { name: 'CurrentLeaderEpoch', type: 'int32', versions: '2+', default: '-1' },
          { name: 'LeaderEpoch', type: 'int32', versions: '0+' }
        ] }
      ] }
    ]
  },
  OffsetForLeaderEpochResponse: {
    apiKey: 23, type: 'response', name: 'OffsetForLeaderEpochResponse', validVersions: '0-4', flexibleVersions: '4+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '2+' },
      { name: 'Topics', type: '[]OffsetForLeaderTopicResult', versions: '0+', fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]EpochEndOffset', versions: '0+', fields: [
          { name: 'ErrorCode', type: 'int16', versions: '0+' },
          { name: 'Partition', type: 'int32', versions: '0+' },
          { name: 'LeaderEpoch', type: 'int32', versions: '1+', default: '-1' },
          { name: 'EndOffset', type: 'int64', versions: '0+', default: '-1' }
        ] }
      ] }
    ]
  },
  // Kafka 3.x: flexible from v2, a top-level ErrorCode from v3, TotalBytes/UsableBytes (KIP-827) from v4.
  DescribeLogDirsRequest: {
    apiKey: 35, type: 'request', name: 'DescribeLogDirsRequest', validVersions: '0-4', flexibleVersions: '2+',
    fields: [
      { name: 'Topics', type: '[]DescribableLogDirTopic', versions: '0+', nullableVersions: '0+', fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]int32', versions: '0+' }
      ] }
    ]
  },
  DescribeLogDirsResponse: {
    apiKey: 35, type: 'response', name: 'DescribeLogDirsResponse', validVersions: '0-4', flexibleVersions: '2+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'ErrorCode', type: 'int16', versions: '3+' },
      { name: 'Results', type: '[]DescribeLogDirsResult', versions: '0+', fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'LogDir', type: 'string', versions: '0+' },
        { name: 'Topics', type: '[]DescribeLogDirsTopic', versions: '0+', fields: [
          { name: 'Name', type: 'string', versions: '0+' },
          { name: 'Partitions', type: '[]DescribeLogDirsPartition', versions: '0+', fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'PartitionSize', type: 'int64', versions: '0+' },
            { name: 'OffsetLag', type: 'int64', versions: '0+' },
            { name: 'IsFutureKey', type: 'bool', versions: '0+' }
          ] }
        ] },
        { name: 'TotalBytes', type: 'int64', versions: '4+', ignorable: true, default: '-1' },
        { name: 'UsableBytes', type: 'int64', versions: '4+', ignorable: true, default: '-1' }
      ] }
    ]
  },
  AlterConfigsRequest: {
    apiKey: 33, type: 'request', name: 'AlterConfigsRequest', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'Resources', type: '[]AlterConfigsResource', versions: '0+', fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        { name: 'Configs', type: '[]AlterableConfig', versions: '0+', fields: [
          { name: 'Name', type: 'string', versions: '0+' },
          { name: 'Value', type: 'string', versions: '0+', nullableVersions: '0+' }
        ] }
      ] },
      { name: 'ValidateOnly', type: 'bool', versions: '0+' }
    ]
  },
  AlterConfigsResponse: {
    apiKey: 33, type: 'response', name: 'AlterConfigsResponse', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'Responses', type: '[]AlterConfigsResourceResponse', versions: '0+', fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' }
      ] }
    ]
  },
  IncrementalAlterConfigsRequest: {
    apiKey: 44, type: 'request', name: 'IncrementalAlterConfigsRequest', validVersions: '0-1', flexibleVersions: '1+',
    fields: [
      { name: 'Resources', type: '[]AlterConfigsResource', versions: '0+', fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        { name: 'Configs', type: '[]AlterableConfig', versions: '0+', fields: [
          { name: 'Name', type: 'string', versions: '0+' },
          { name: 'ConfigOperation', type: 'int8', versions: '0+' },
          { name: 'Value', type: 'string', versions: '0+', nullableVersions: '0+' }
        ] }
      ] },
      { name: 'ValidateOnly', type: 'bool', versions: '0+' }
    ]
  },
  IncrementalAlterConfigsResponse: {
    apiKey: 44, type: 'response', name: 'IncrementalAlterConfigsResponse', validVersions: '0-1', flexibleVersions: '1+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'Responses', type: '[]AlterConfigsResourceResponse', versions: '0+', fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' }
      ] }
    ]
  },
  OffsetDeleteRequest: {
    apiKey: 47, type: 'request', name: 'OffsetDeleteRequest', validVersions: '0', flexibleVersions: 'none',
    fields: [
      { name: 'GroupId', type: 'string', versions: '0+' },
      { name: 'Topics', type: '[]OffsetDeleteRequestTopic', versions: '0+', fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]OffsetDeleteRequestPartition', versions: '0+', fields: [
          { name: 'PartitionIndex', type: 'int32', versions: '0+' }
        ] }
      ] }
    ]
  },
  OffsetDeleteResponse: {
    apiKey: 47, type: 'response', name: 'OffsetDeleteResponse', validVersions: '0', flexibleVersions: 'none',
    fields: [
      { name: 'ErrorCode', type: 'int16', versions: '0+' },
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'Topics', type: '[]OffsetDeleteResponseTopic', versions: '0+', fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]OffsetDeleteResponsePartition', versions: '0+', fields: [
          { name: 'PartitionIndex', type: 'int32', versions: '0+' },
          { name: 'ErrorCode', type: 'int16', versions: '0+' }
        ] }
      ] }
    ]
  },
  DeleteGroupsRequest: {
    apiKey: 42, type: 'request', name: 'DeleteGroupsRequest', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'GroupsNames', type: '[]string', versions: '0+' }
    ]
  },
  DeleteGroupsResponse: {
    apiKey: 42, type: 'response', name: 'DeleteGroupsResponse', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
      { name: 'Results', type: '[]DeletableGroupResult', versions: '0+', fields: [
        { name: 'GroupId', type: 'string', versions: '0+' },
        { name: 'ErrorCode', type: 'int16', versions: '0+' }
      ] }
    ]
  }
}

// --- schema reading ---

function loadSchema (name) {
  if (EXTRA_SCHEMAS[name] !== undefined) return { schema: EXTRA_SCHEMAS[name], source: `${name} (layout spelled out in scripts/gen-codecs.mjs)` }
  const text = readFileSync(join(schemaDir, `${name}.json`), 'utf8')
  const json = text.split('\n').filter(line => !/^\s*\/\//.test(line)).join('\n')
  return { schema: JSON.parse(json), source: `../shared/kafka/schemas/${name}.json` }
}

/** "3+", "0-12", "none" → [lo, hi] (hi = Infinity for "+"), or null for none. */
function parseRange (s) {
  if (s === undefined || s === 'none' || s === '') return null
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), Infinity]
  if (s.includes('-')) { const [a, b] = s.split('-'); return [Number(a), Number(b)] }
  return [Number(s), Number(s)]
}

function intersect (a, b) {
  if (a === null || b === null) return null
  const lo = Math.max(a[0], b[0]); const hi = Math.min(a[1], b[1])
  return lo <= hi ? [lo, hi] : null
}

const PRIMITIVES = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid'])

function camel (name) {
  const m = /^([A-Z]+)(?=[A-Z][a-z]|[0-9]|$)/.exec(name)
  if (m !== null && m[1].length > 1) return m[1].toLowerCase() + name.slice(m[1].length)
  return name[0].toLowerCase() + name.slice(1)
}

/**
 * Builds the field tree of one message for the served range `served`:
 * { name, camel, kind: 'prim'|'array'|'struct', type (prim or struct name), elem (for arrays of prims),
 *   eff (range inside the parent's), required, nullable, tag, default, struct (for struct kinds) }
 */
function buildMessage (schema, served, side, structs) {
  const common = new Map()
  for (const s of schema.commonStructs ?? []) common.set(s.name, s)
  const defs = new Map()
  const collect = fields => {
    for (const f of fields) {
      if (f.fields !== undefined) {
        const t = f.type.replace(/^\[\]/, '')
        if (!defs.has(t)) defs.set(t, f)
        collect(f.fields)
      }
    }
  }
  collect(schema.fields)
  for (const s of common.values()) { if (!defs.has(s.name)) defs.set(s.name, s); collect(s.fields) }

  const build = (fields, parentEff) => {
    const out = []
    for (const f of fields) {
      const eff = intersect(parseRange(f.versions), parentEff)
      if (eff === null) continue
      const tagged = intersect(parseRange(f.taggedVersions), eff)
      const nullable = intersect(parseRange(f.nullableVersions), eff)
      const isArray = f.type.startsWith('[]')
      const base = isArray ? f.type.slice(2) : f.type
      const node = {
        name: f.name,
        camel: camel(f.name),
        eff,
        parentEff,
        required: tagged === null && eff[0] === parentEff[0] && eff[1] === parentEff[1],
        nullable: nullable !== null,
        /** nullable in only part of the versions the field exists in: the first nullable version */
        nullableFrom: nullable !== null && nullable[0] > eff[0] ? nullable[0] : undefined,
        tag: tagged !== null ? f.tag : undefined,
        default: f.default,
        kind: isArray ? 'array' : (PRIMITIVES.has(base) ? 'prim' : 'struct'),
        type: base,
        struct: undefined
      }
      if (!PRIMITIVES.has(base)) {
        const def = defs.get(base)
        if (def === undefined) throw new Error(`${schema.name}: no definition for ${base}`)
        node.struct = structFor(base, def, eff, side, structs, build)
      }
      out.push(node)
    }
    return out
  }
  return build(schema.fields, served)
}

/** One TypeScript struct per schema struct name per message; names get a side prefix on clash. */
function structFor (name, def, eff, side, structs, build) {
  const key = `${side}:${name}`
  let s = structs.byKey.get(key)
  if (s === undefined) {
    s = { schemaName: name, tsName: name, side, fields: null, eff }
    structs.byKey.set(key, s)
    structs.list.push(s)
    s.fields = build(def.fields, eff)
  }
  return s
}

// --- TypeScript emission ---

function tsType (f) {
  let t
  switch (f.type) {
    case 'int8': case 'int16': case 'int32': case 'int64': case 'uint16': case 'uint32': case 'float64': t = 'number'; break
    case 'bool': t = 'boolean'; break
    case 'string': t = 'string'; break
    case 'bytes': t = 'Buffer'; break
    case 'uuid': t = 'Buffer'; break
    case 'records': t = f.side === 'response' ? 'RecordsData' : 'Buffer'; break
    default: t = f.struct.tsName
  }
  if (f.kind === 'array') t = `${t}[]`
  if (f.type === 'records') return t === 'RecordsData' ? t : `${t} | null`
  if (f.nullable) t = `${t} | null`
  return t
}

function defaultExpr (f) {
  if (f.kind === 'array') return f.nullable && f.default === 'null' ? 'null' : '[]'
  if (f.kind === 'struct') return 'undefined'
  const d = f.default
  switch (f.type) {
    case 'bool': return String(d === true || d === 'true')
    case 'string': return d === 'null' ? 'null' : `'${String(d ?? '').replace(/'/g, "\\'")}'`
    case 'bytes': return f.nullable && d === 'null' ? 'null' : 'EMPTY_BYTES'
    case 'records': return 'null'
    case 'uuid': return 'ZERO_UUID'
    default: return d === undefined ? '0' : String(Number(d))
  }
}

function cond (f, v = 'version') {
  const [lo, hi] = f.eff; const [plo, phi] = f.parentEff
  const parts = []
  if (lo > plo) parts.push(`${v} >= ${lo}`)
  if (hi < phi) parts.push(`${v} <= ${hi}`)
  return parts.join(' && ')
}

function rangeLabel (eff, served) {
  const [lo, hi] = eff
  if (lo <= served[0] && hi >= served[1]) return 'all'
  if (hi >= served[1]) return `v${lo}+`
  if (lo === hi) return `v${lo}`
  return `v${lo}-${hi}`
}

const PRIM_READ = {
  int8: 'r.int8()', int16: 'r.int16()', int32: 'r.int32()', int64: 'r.int64Number()', uint16: 'r.uint16()',
  uint32: 'r.uint32()', float64: 'r.float64()', bool: 'r.bool()', uuid: 'r.uuid()'
}
const PRIM_WRITE = {
  int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64', uint16: 'uint16', uint32: 'uint32', float64: 'float64', bool: 'bool', uuid: 'uuid'
}
const ELEM_READ = { int32: 'readInt32', int64: 'readInt64', string: 'readStr(flexible)', uuid: 'readUuid' }
const ELEM_WRITE = { int32: 'writeInt32', int64: 'writeInt64', string: 'writeStr(flexible)', uuid: 'writeUuid' }

function readExpr (f, r = 'r') {
  if (f.kind === 'array') {
    const fn = f.struct !== undefined ? `r => read${f.struct.tsName}(r, version, flexible)` : ELEM_READ[f.type]
    if (fn === undefined) throw new Error(`no element reader for ${f.type}`)
    return f.nullable ? `${r}.nullableArray(flexible, ${fn})` : `${r}.array(flexible, ${fn})`
  }
  if (f.kind === 'struct') return `read${f.struct.tsName}(${r}, version, flexible)`
  switch (f.type) {
    case 'string': return f.nullable ? `${r}.nullableStr(flexible)` : `${r}.str(flexible)`
    case 'bytes': return f.nullable ? `${r}.nullableByteArray(flexible)` : `${r}.byteArray(flexible)`
    case 'records': return `${r}.nullableByteArray(flexible)`
    default: return PRIM_READ[f.type].replace('r.', `${r}.`)
  }
}

function writeStmt (f, v, w = 'w') {
  if (f.kind === 'array') {
    const fn = f.struct !== undefined ? `(w, x) => write${f.struct.tsName}(w, version, flexible, x)` : ELEM_WRITE[f.type]
    return f.nullable ? `${w}.nullableArray(flexible, ${v}, ${fn})` : `${w}.array(flexible, ${v}, ${fn})`
  }
  if (f.kind === 'struct') return `write${f.struct.tsName}(${w}, version, flexible, ${v})`
  switch (f.type) {
    case 'string': return f.nullable ? `${w}.nullableStr(flexible, ${v})` : `${w}.str(flexible, ${v})`
    case 'bytes': return f.nullable ? `${w}.nullableByteArray(flexible, ${v})` : `${w}.byteArray(flexible, ${v})`
    case 'records': return `${w}.records(flexible, ${v})`
    default: return `${w}.${PRIM_WRITE[f.type]}(${v})`
  }
}

function emitStruct (s, out, served) {
  const fields = s.fields
  const tagged = fields.filter(f => f.tag !== undefined)
  // type
  out.push(`export interface ${s.tsName} {`)
  for (const f of fields) {
    const note = f.tag !== undefined ? ` // tagged ${f.tag}, ${rangeLabel(f.eff, served)}` : (f.required ? '' : ` // ${rangeLabel(f.eff, served)}`)
    out.push(`  ${f.camel}${f.required ? '' : '?'}: ${tsType(f)}${note}`)
  }
  out.push('}', '')

  // reader
  out.push(`function read${s.tsName} (r: Reader, version: number, flexible: boolean): ${s.tsName} {`)
  for (const f of fields) {
    if (f.tag !== undefined) { out.push(`  let ${f.camel}: ${tsType(f)}${f.kind === 'struct' ? ' | undefined' : ''} = ${defaultExpr(f)}`); continue }
    const c = cond(f)
    out.push(c === '' ? `  const ${f.camel} = ${readExpr(f)}` : `  const ${f.camel} = ${c} ? ${readExpr(f)} : ${defaultExpr(f)}`)
  }
  if (tagged.length === 0) {
    out.push('  r.tags(flexible)')
  } else {
    out.push('  if (flexible) {')
    out.push('    const count = r.unsignedVarint()')
    out.push('    for (let i = 0; i < count; i++) {')
    out.push('      const tag = r.unsignedVarint()')
    out.push('      const t = new Reader(r.raw(r.unsignedVarint()))')
    out.push('      switch (tag) {')
    for (const f of tagged) {
      const c = cond(f)
      const e = readExpr(f, 't')
      out.push(`        case ${f.tag}: ${c === '' ? '' : `if (${c}) `}${f.camel} = ${e}; break`)
    }
    out.push('        default: break // unknown tags are skipped')
    out.push('      }')
    out.push('    }')
    out.push('  }')
  }
  out.push(`  return { ${fields.map(f => f.camel).join(', ')} }`)
  out.push('}', '')

  // writer
  out.push(`function write${s.tsName} (w: Writer, version: number, flexible: boolean, v: ${s.tsName}): void {`)
  for (const f of fields) {
    if (f.tag !== undefined) continue
    const c = cond(f)
    const val = f.required ? `v.${f.camel}` : (f.nullable ? `(v.${f.camel} === undefined ? ${defaultExpr(f)} : v.${f.camel})` : `v.${f.camel} ?? ${defaultExpr(f)}`)
    if (f.kind === 'struct' && !f.required) throw new Error(`${s.tsName}.${f.camel}: optional untagged struct fields are not supported`)
    let stmt = writeStmt(f, val)
    if (f.nullableFrom !== undefined) {
      // null is not on the wire before nullableFrom: write the empty value instead
      const strict = writeStmt({ ...f, nullable: false }, `v.${f.camel} ?? ${f.kind === 'array' ? '[]' : "''"}`)
      stmt = `if (version >= ${f.nullableFrom}) ${stmt}; else ${strict}`
      out.push(c === '' ? `  ${stmt}` : `  if (${c}) { ${stmt} }`)
      continue
    }
    out.push(c === '' ? `  ${stmt}` : `  if (${c}) ${stmt}`)
  }
  if (tagged.length === 0) {
    out.push('  w.tags(flexible)')
  } else {
    out.push('  if (flexible) {')
    const present = f => {
      const c = cond(f)
      const d = defaultExpr(f)
      let p
      if (f.kind === 'array') p = `v.${f.camel} !== undefined && v.${f.camel} !== null && v.${f.camel}.length > 0`
      else if (f.kind === 'struct' || d === 'undefined') p = `v.${f.camel} !== undefined`
      else if (f.type === 'uuid') p = `v.${f.camel} !== undefined && !v.${f.camel}.equals(ZERO_UUID)`
      else p = `v.${f.camel} !== undefined && v.${f.camel} !== ${d}`
      return c === '' ? p : `${c} && ${p}`
    }
    tagged.forEach((f, i) => out.push(`    const has${i} = ${present(f)}`))
    out.push(`    w.unsignedVarint(${tagged.map((_, i) => `(has${i} ? 1 : 0)`).join(' + ')})`)
    tagged.forEach((f, i) => {
      const stmt = writeStmt(f, `v.${f.camel}!`, 't')
      out.push(`    if (has${i}) writeTagged(w, ${f.tag}, t => { ${stmt} })`)
    })
    out.push('  }')
  }
  out.push('}', '')
}

function describeFields (fields, served, indent, out) {
  for (const f of fields) {
    let t = f.kind === 'array' ? `[${f.struct !== undefined ? '' : f.type}]` : (f.kind === 'struct' ? '{}' : f.type)
    if (f.nullable) t += ' nullable'
    if (f.tag !== undefined) t += ` tag ${f.tag}`
    const label = rangeLabel(f.eff, served)
    out.push(` *${' '.repeat(indent)}${(f.camel + ' ').padEnd(Math.max(28 - indent, f.camel.length + 1))}${t}${label === 'all' ? '' : `, ${label}`}`)
    if (f.struct !== undefined) describeFields(f.struct.fields, served, indent + 2, out)
  }
}

function firstFlexible (schema) {
  const r = parseRange(schema.flexibleVersions)
  return r === null ? null : r[0]
}

function generate (a) {
  const served = [a.min, a.max]
  const reqS = loadSchema(`${a.name}Request`)
  const resS = loadSchema(`${a.name}Response`)
  const flex = firstFlexible(reqS.schema)
  if (firstFlexible(resS.schema) !== flex) throw new Error(`${a.name}: request and response disagree on flexible versions`)
  const structs = { byKey: new Map(), list: [] }
  const reqFields = buildMessage(reqS.schema, served, 'request', structs)
  const resFields = buildMessage(resS.schema, served, 'response', structs)
  // records fields answer to their side for typing
  const mark = (fields, side) => { for (const f of fields) { f.side = side; if (f.struct !== undefined) mark(f.struct.fields, side) } }
  mark(reqFields, 'request'); mark(resFields, 'response')
  const reqTop = { schemaName: `${a.name}Request`, tsName: `${a.name}Request`, side: 'request', fields: reqFields }
  const resTop = { schemaName: `${a.name}Response`, tsName: `${a.name}Response`, side: 'response', fields: resFields }
  // name clashes between the two sides get a side prefix
  const seen = new Map()
  for (const s of structs.list) {
    const other = seen.get(s.tsName)
    if (other !== undefined && other.side !== s.side) {
      s.tsName = `${a.name}Response${s.schemaName}`
    }
    seen.set(s.tsName, s)
  }
  for (const s of structs.list) if (s.tsName === reqTop.tsName || s.tsName === resTop.tsName) s.tsName = `${s.tsName}Item`

  const flexExpr = flex === null || flex > a.max ? 'false' : (flex <= a.min ? 'true' : `version >= ${flex}`)
  const usesRecords = JSON.stringify([...structs.list.map(s => s.fields.map(f => f.type)), reqFields.map(f => f.type), resFields.map(f => f.type)]).includes('"records"')
  const all = [reqTop, ...structs.list.filter(s => s.side === 'request'), resTop, ...structs.list.filter(s => s.side === 'response')]
  const body = []
  for (const s of all) emitStruct(s, body, served)
  const text = body.join('\n')

  const utilNames = ['checkDecodeVersion', 'checkEncodeVersion', 'EMPTY_BYTES', 'ZERO_UUID', 'readInt32', 'readInt64', 'readStr', 'readUuid', 'writeInt32', 'writeInt64', 'writeStr', 'writeUuid', 'writeTagged']
    .filter(n => n.startsWith('check') || new RegExp(`\\b${n}\\b`).test(text))

  const out = []
  out.push('/**')
  out.push(` * ${a.name} (API key ${a.key}): versions ${a.min}-${a.max}, flexible ${flex === null ? 'never' : (flex > a.max ? `from ${flex} (outside the served range)` : `from ${flex}`)}.`)
  out.push(' * GENERATED by scripts/gen-codecs.mjs; edit the script, not this file.')
  out.push(` * Request follows ${reqS.source},`)
  out.push(` * response follows ${resS.source}.`)
  out.push(' *')
  out.push(' * Fields in wire order; "vN+" = from version N on, "vA-B" = only those versions, unmarked = every')
  out.push(' * served version; "tag N" = lives in the tagged-field section. int64 fields are JS numbers')
  out.push(' * (offsets, timestamps and producer ids stay far below 2^53).')
  out.push(' *')
  out.push(` * ${a.name}Request`)
  describeFields(reqFields, served, 2, out)
  out.push(' *')
  out.push(` * ${a.name}Response`)
  describeFields(resFields, served, 2, out)
  out.push(' */')
  out.push("import { Reader } from '../reader.js'")
  out.push(`import { ${usesRecords ? 'type RecordsData, ' : ''}Writer } from '../writer.js'`)
  out.push(`import { ${utilNames.join(', ')} } from './codec-util.js'`)
  out.push('')
  out.push(`export const api = { key: ${a.key}, name: '${a.name}', minVersion: ${a.min}, maxVersion: ${a.max}, firstFlexibleVersion: ${flex === null ? 'null' : flex} } as const`)
  out.push('')
  out.push(`export function decodeRequest (r: Reader, version: number): ${a.name}Request {`)
  out.push('  checkDecodeVersion(api, version)')
  out.push(`  return read${a.name}Request(r, version, ${flexExpr})`)
  out.push('}', '')
  out.push(`export function encodeResponse (w: Writer, version: number, res: ${a.name}Response): void {`)
  out.push('  checkEncodeVersion(api, version)')
  out.push(`  write${a.name}Response(w, version, ${flexExpr}, res)`)
  out.push('}', '')
  out.push(`export function encodeRequest (w: Writer, version: number, req: ${a.name}Request): void {`)
  out.push('  checkEncodeVersion(api, version)')
  out.push(`  write${a.name}Request(w, version, ${flexExpr}, req)`)
  out.push('}', '')
  out.push(`export function decodeResponse (r: Reader, version: number): ${a.name}Response {`)
  out.push('  checkDecodeVersion(api, version)')
  out.push(`  return read${a.name}Response(r, version, ${flexExpr})`)
  out.push('}', '')
  out.push('// ---', '')
  out.push(text.trimEnd())
  out.push('')
  return { text: out.join('\n'), flex }
}

const results = []
for (const a of APIS) {
  const { text, flex } = generate(a)
  writeFileSync(join(root, 'src/protocol/apis', `${a.file}.ts`), text)
  results.push({ ...a, flex })
}

const ident = file => file.replace(/-([a-z])/g, (_, c) => c.toUpperCase())

const keys = []
keys.push('/**')
keys.push(' * Kafka API keys this broker serves: the version range it advertises in ApiVersions and the')
keys.push(' * first flexible version (request header v2 / response header v1 from there on; null = never).')
keys.push(' * GENERATED by scripts/gen-codecs.mjs; edit the script, not this file.')
keys.push(' */')
keys.push('')
keys.push('export interface ApiInfo {')
keys.push('  readonly key: number')
keys.push('  readonly name: string')
keys.push('  readonly minVersion: number')
keys.push('  readonly maxVersion: number')
keys.push('  readonly firstFlexibleVersion: number | null')
keys.push('}')
keys.push('')
keys.push('export const ApiKey = {')
for (const a of results) keys.push(`  ${a.name}: ${a.key},`)
keys.push('} as const')
keys.push('')
keys.push('/** Sorted by key, the order ApiVersions lists them in. */')
keys.push('export const API_LIST: readonly ApiInfo[] = Object.freeze([')
for (const a of [...results].sort((x, y) => x.key - y.key)) {
  keys.push(`  { key: ${a.key}, name: '${a.name}', minVersion: ${a.min}, maxVersion: ${a.max}, firstFlexibleVersion: ${a.flex === null ? 'null' : a.flex} },`)
}
keys.push('].map(a => Object.freeze(a)))')
keys.push('')
keys.push('const byKey = new Map<number, ApiInfo>(API_LIST.map(a => [a.key, a]))')
keys.push('')
keys.push('/** The API with this key, or undefined when the broker does not serve it. */')
keys.push('export function apiByKey (key: number): ApiInfo | undefined { return byKey.get(key) }')
keys.push('')
keys.push('/** True when `version` of API `key` is inside the served range. */')
keys.push('export function isSupported (key: number, version: number): boolean {')
keys.push('  const a = byKey.get(key)')
keys.push('  return a !== undefined && version >= a.minVersion && version <= a.maxVersion')
keys.push('}')
keys.push('')
keys.push('/** Whether this API version uses the flexible encoding (compact types, tagged fields). */')
keys.push('export function isFlexible (key: number, version: number): boolean {')
keys.push('  const f = byKey.get(key)?.firstFlexibleVersion ?? null')
keys.push('  return f !== null && version >= f')
keys.push('}')
keys.push('')
writeFileSync(join(root, 'src/protocol/api-keys.ts'), keys.join('\n'))

const idx = []
idx.push('/**')
idx.push(' * Every codec by API key. GENERATED by scripts/gen-codecs.mjs; edit the script, not this file.')
idx.push(' */')
idx.push("import type { Reader } from '../reader.js'")
idx.push("import type { Writer } from '../writer.js'")
idx.push("import type { ApiInfo } from '../api-keys.js'")
for (const a of results) idx.push(`import * as ${ident(a.file)} from './${a.file}.js'`)
idx.push('')
idx.push('/** The four directions of one API, with request and response types erased. */')
idx.push('export interface ApiCodec {')
idx.push('  readonly api: ApiInfo')
idx.push('  decodeRequest (r: Reader, version: number): unknown')
idx.push('  encodeResponse (w: Writer, version: number, res: any): void')
idx.push('  encodeRequest (w: Writer, version: number, req: any): void')
idx.push('  decodeResponse (r: Reader, version: number): unknown')
idx.push('}')
idx.push('')
idx.push(`export { ${results.map(a => ident(a.file)).join(', ')} }`)
idx.push('')
idx.push('export const codecs: ReadonlyMap<number, ApiCodec> = new Map<number, ApiCodec>([')
for (const a of results) idx.push(`  [${a.key}, ${ident(a.file)}],`)
idx.push('])')
idx.push('')
idx.push('export function codecByKey (key: number): ApiCodec | undefined { return codecs.get(key) }')
idx.push('')
writeFileSync(join(root, 'src/protocol/apis/index.ts'), idx.join('\n'))
console.log(`wrote ${results.length} codecs, api-keys.ts and apis/index.ts`)
