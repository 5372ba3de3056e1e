/**
 * Every codec, every served version, both directions: encode → decode reads exactly the bytes
 * written, re-encoding the decoded value gives the same bytes, and at the highest version
 * (where every field of the sample exists) the decoded value carries every sample field.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import { API_LIST } from '../../../../src/protocol/api-keys.js'
import { codecs, type ApiCodec } from '../../../../src/protocol/apis/index.js'
import * as m from '../../../../src/protocol/apis/index.js'

const b = (s: string): Buffer => Buffer.from(s)
const uuid = (n: number): Buffer => Buffer.alloc(16, n)
/** A record batch stand-in: the codecs never look inside. */
const BATCH = Buffer.from('000000000000000000000031ffffffff02' + 'ab'.repeat(40), 'hex')

interface Sample { request: unknown, response: unknown }

const samples: Record<number, Sample> = {
  [m.produce.api.key]: {
    request: { transactionalId: 'tx-1', acks: -1, timeoutMs: 30000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: BATCH }, { index: 3, records: null }] }] } satisfies m.produce.ProduceRequest,
    response: {
      responses: [{ name: 'orders', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 4096, logAppendTimeMs: 1700000000123, logStartOffset: 17, recordErrors: [{ batchIndex: 2, batchIndexErrorMessage: 'bad ts' }], errorMessage: 'partly' }] }],
      throttleTimeMs: 5
    } satisfies m.produce.ProduceResponse
  },
  [m.fetch.api.key]: {
    request: {
      clusterId: 'c1', replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topicId: uuid(7), partitions: [{ partition: 2, currentLeaderEpoch: 4, fetchOffset: 2 ** 40, lastFetchedEpoch: 3, logStartOffset: -1, partitionMaxBytes: 1048576 }] }],
      forgottenTopicsData: [{ topicId: uuid(8), partitions: [1, 2] }],
      rackId: 'rack-a'
    } satisfies m.fetch.FetchRequest,
    response: {
      throttleTimeMs: 0, errorCode: 0, sessionId: 0,
      responses: [{
        topicId: uuid(7), // v13 names topics by id only; names are covered in fetch.test.ts
        partitions: [{
          partitionIndex: 2, errorCode: 0, highWatermark: 123456789012, lastStableOffset: 123456789000, logStartOffset: 0,
          divergingEpoch: { epoch: 3, endOffset: 99 }, currentLeader: { leaderId: 0, leaderEpoch: 4 }, snapshotId: { endOffset: 5, epoch: 1 },
          abortedTransactions: [{ producerId: 77, firstOffset: 10 }], preferredReadReplica: -1, records: BATCH
        }, {
          partitionIndex: 3, errorCode: 1, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: null
        }]
      }]
    } satisfies m.fetch.FetchResponse
  },
  [m.listOffsets.api.key]: {
    request: { replicaId: -1, isolationLevel: 1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 2, timestamp: -2 }] }] } satisfies m.listOffsets.ListOffsetsRequest,
    response: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: 1700000000000, offset: 42, leaderEpoch: 2 }] }] } satisfies m.listOffsets.ListOffsetsResponse
  },
  [m.metadata.api.key]: {
    request: { topics: [{ topicId: uuid(1), name: 'orders' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true } satisfies m.metadata.MetadataRequest,
    response: {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'millrace',
      controllerId: 0,
      topics: [{ errorCode: 0, name: 'orders', topicId: uuid(1), isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }], topicAuthorizedOperations: -2147483648 }],
      clusterAuthorizedOperations: -2147483648
    } satisfies m.metadata.MetadataResponse
  },
  [m.offsetCommit.api.key]: {
    request: { groupId: 'g', generationIdOrMemberEpoch: 3, memberId: 'm-1', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: 1, commitTimestamp: -1, committedMetadata: 'meta' }] }] } satisfies m.offsetCommit.OffsetCommitRequest,
    response: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 22 }] }] } satisfies m.offsetCommit.OffsetCommitResponse
  },
  [m.offsetFetch.api.key]: {
    request: { groups: [{ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }, { groupId: 'h', topics: null }], requireStable: true } satisfies m.offsetFetch.OffsetFetchRequest,
    response: { throttleTimeMs: 0, groups: [{ groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }], errorCode: 0 }] } satisfies m.offsetFetch.OffsetFetchResponse
  },
  [m.findCoordinator.api.key]: {
    request: { keyType: 1, coordinatorKeys: ['tx-1', 'tx-2'] } satisfies m.findCoordinator.FindCoordinatorRequest,
    response: { throttleTimeMs: 0, coordinators: [{ key: 'tx-1', nodeId: 0, host: 'localhost', port: 9092, errorCode: 0, errorMessage: null }] } satisfies m.findCoordinator.FindCoordinatorResponse
  },
  [m.joinGroup.api.key]: {
    request: { groupId: 'g', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: b('\x00\x01sub') }], reason: 'hello' } satisfies m.joinGroup.JoinGroupRequest,
    response: { throttleTimeMs: 0, errorCode: 0, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: 'm-1', skipAssignment: false, memberId: 'm-1', members: [{ memberId: 'm-1', groupInstanceId: null, metadata: b('meta') }] } satisfies m.joinGroup.JoinGroupResponse
  },
  [m.heartbeat.api.key]: {
    request: { groupId: 'g', generationId: 1, memberId: 'm-1', groupInstanceId: 'i-1' } satisfies m.heartbeat.HeartbeatRequest,
    response: { throttleTimeMs: 0, errorCode: 27 } satisfies m.heartbeat.HeartbeatResponse
  },
  [m.leaveGroup.api.key]: {
    request: { groupId: 'g', members: [{ memberId: 'm-1', groupInstanceId: null, reason: 'bye' }] } satisfies m.leaveGroup.LeaveGroupRequest,
    response: { throttleTimeMs: 0, errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: null, errorCode: 25 }] } satisfies m.leaveGroup.LeaveGroupResponse
  },
  [m.syncGroup.api.key]: {
    request: { groupId: 'g', generationId: 1, memberId: 'm-1', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: 'm-1', assignment: b('assign') }] } satisfies m.syncGroup.SyncGroupRequest,
    response: { throttleTimeMs: 0, errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: b('assign') } satisfies m.syncGroup.SyncGroupResponse
  },
  [m.describeGroups.api.key]: {
    request: { groups: ['g', 'h'], includeAuthorizedOperations: true } satisfies m.describeGroups.DescribeGroupsRequest,
    response: { throttleTimeMs: 0, groups: [{ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', members: [{ memberId: 'm-1', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: b('md'), memberAssignment: b('as') }], authorizedOperations: -2147483648 }] } satisfies m.describeGroups.DescribeGroupsResponse
  },
  [m.listGroups.api.key]: {
    request: { statesFilter: ['Stable'], typesFilter: ['classic'] } satisfies m.listGroups.ListGroupsRequest,
    response: { throttleTimeMs: 0, errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }] } satisfies m.listGroups.ListGroupsResponse
  },
  [m.saslHandshake.api.key]: {
    request: { mechanism: 'PLAIN' } satisfies m.saslHandshake.SaslHandshakeRequest,
    response: { errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] } satisfies m.saslHandshake.SaslHandshakeResponse
  },
  [m.apiVersions.api.key]: {
    request: { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' } satisfies m.apiVersions.ApiVersionsRequest,
    response: {
      errorCode: 0,
      apiKeys: API_LIST.map(a => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
      throttleTimeMs: 0,
      supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
      finalizedFeaturesEpoch: 3,
      finalizedFeatures: [{ name: 'metadata.version', maxVersionLevel: 20, minVersionLevel: 20 }],
      zkMigrationReady: true
    } satisfies m.apiVersions.ApiVersionsResponse
  },
  [m.createTopics.api.key]: {
    request: { topics: [{ name: 'orders', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }], configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: null }] }], timeoutMs: 5000, validateOnly: true } satisfies m.createTopics.CreateTopicsRequest,
    response: { throttleTimeMs: 0, topics: [{ name: 'orders', topicId: uuid(3), errorCode: 36, errorMessage: 'exists', topicConfigErrorCode: 40, numPartitions: 3, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: 1, isSensitive: false }] }] } satisfies m.createTopics.CreateTopicsResponse
  },
  [m.deleteTopics.api.key]: {
    request: { topics: [{ name: 'orders', topicId: uuid(0) }, { name: null, topicId: uuid(9) }], timeoutMs: 5000 } satisfies m.deleteTopics.DeleteTopicsRequest,
    response: { throttleTimeMs: 0, responses: [{ name: null, topicId: uuid(9), errorCode: 100, errorMessage: 'no such id' }] } satisfies m.deleteTopics.DeleteTopicsResponse
  },
  [m.deleteRecords.api.key]: {
    request: { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 5000 } satisfies m.deleteRecords.DeleteRecordsRequest,
    response: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, lowWatermark: 12, errorCode: 0 }] }] } satisfies m.deleteRecords.DeleteRecordsResponse
  },
  [m.offsetForLeaderEpoch.api.key]: {
    request: { replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 3, currentLeaderEpoch: 7, leaderEpoch: 6 }] }] } satisfies m.offsetForLeaderEpoch.OffsetForLeaderEpochRequest,
    response: { throttleTimeMs: 0, topics: [{ topic: 'orders', partitions: [{ errorCode: 0, partition: 3, leaderEpoch: 6, endOffset: 2 ** 40 }] }] } satisfies m.offsetForLeaderEpoch.OffsetForLeaderEpochResponse
  },
  [m.initProducerId.api.key]: {
    request: { transactionalId: null, transactionTimeoutMs: 60000, producerId: 1000, producerEpoch: 2 } satisfies m.initProducerId.InitProducerIdRequest,
    response: { throttleTimeMs: 0, errorCode: 0, producerId: 2 ** 40 + 1, producerEpoch: 0 } satisfies m.initProducerId.InitProducerIdResponse
  },
  [m.addPartitionsToTxn.api.key]: {
    request: { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 5, v3AndBelowProducerEpoch: 1, v3AndBelowTopics: [{ name: 'orders', partitions: [0, 1] }] } satisfies m.addPartitionsToTxn.AddPartitionsToTxnRequest,
    response: { throttleTimeMs: 0, resultsByTopicV3AndBelow: [{ name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 55 }] }] } satisfies m.addPartitionsToTxn.AddPartitionsToTxnResponse
  },
  [m.addOffsetsToTxn.api.key]: {
    request: { transactionalId: 'tx', producerId: 5, producerEpoch: 1, groupId: 'g' } satisfies m.addOffsetsToTxn.AddOffsetsToTxnRequest,
    response: { throttleTimeMs: 0, errorCode: 51 } satisfies m.addOffsetsToTxn.AddOffsetsToTxnResponse
  },
  [m.endTxn.api.key]: {
    request: { transactionalId: 'tx', producerId: 5, producerEpoch: 1, committed: true } satisfies m.endTxn.EndTxnRequest,
    response: { throttleTimeMs: 0, errorCode: 48 } satisfies m.endTxn.EndTxnResponse
  },
  [m.txnOffsetCommit.api.key]: {
    request: { transactionalId: 'tx', groupId: 'g', producerId: 5, producerEpoch: 1, generationId: 2, memberId: 'm-1', groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 9, committedLeaderEpoch: 0, committedMetadata: null }] }] } satisfies m.txnOffsetCommit.TxnOffsetCommitRequest,
    response: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] } satisfies m.txnOffsetCommit.TxnOffsetCommitResponse
  },
  [m.describeConfigs.api.key]: {
    request: { resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: null }, { resourceType: 4, resourceName: '0', configurationKeys: ['log.retention.ms'] }], includeSynonyms: true, includeDocumentation: true } satisfies m.describeConfigs.DescribeConfigsRequest,
    response: {
      throttleTimeMs: 0,
      results: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '604800000', readOnly: false, configSource: 5, isSensitive: false, synonyms: [{ name: 'log.retention.ms', value: null, source: 5 }], configType: 5, documentation: null }] }]
    } satisfies m.describeConfigs.DescribeConfigsResponse
  },
  [m.describeAcls.api.key]: {
    request: { resourceTypeFilter: 2, resourceNameFilter: 'orders', patternTypeFilter: 2, principalFilter: null, hostFilter: '*', operation: 1, permissionType: 3 } satisfies m.describeAcls.DescribeAclsRequest,
    response: {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      resources: [{ resourceType: 2, resourceName: 'orders', patternType: 4, acls: [{ principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }]
    } satisfies m.describeAcls.DescribeAclsResponse
  },
  [m.createAcls.api.key]: {
    request: { creations: [{ resourceType: 3, resourceName: 'g', resourcePatternType: 3, principal: 'User:bob', host: '10.0.0.1', operation: 3, permissionType: 2 }] } satisfies m.createAcls.CreateAclsRequest,
    response: { throttleTimeMs: 0, results: [{ errorCode: 42, errorMessage: 'bad principal' }, { errorCode: 0, errorMessage: null }] } satisfies m.createAcls.CreateAclsResponse
  },
  [m.deleteAcls.api.key]: {
    request: { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:bob', hostFilter: null, operation: 1, permissionType: 1 }] } satisfies m.deleteAcls.DeleteAclsRequest,
    response: {
      throttleTimeMs: 0,
      filterResults: [{
        errorCode: 0,
        errorMessage: null,
        matchingAcls: [{ errorCode: 0, errorMessage: null, resourceType: 3, resourceName: 'g', patternType: 3, principal: 'User:bob', host: '10.0.0.1', operation: 3, permissionType: 2 }]
      }]
    } satisfies m.deleteAcls.DeleteAclsResponse
  },
  [m.alterConfigs.api.key]: {
    request: { resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: null }] }], validateOnly: false } satisfies m.alterConfigs.AlterConfigsRequest,
    response: { throttleTimeMs: 0, responses: [{ errorCode: 40, errorMessage: 'bad value', resourceType: 2, resourceName: 'orders' }] } satisfies m.alterConfigs.AlterConfigsResponse
  },
  [m.describeLogDirs.api.key]: {
    request: { topics: [{ topic: 'orders', partitions: [0, 2] }] } satisfies m.describeLogDirs.DescribeLogDirsRequest,
    response: {
      throttleTimeMs: 0,
      errorCode: 0,
      results: [{ errorCode: 0, logDir: '/data/a', topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, partitionSize: 4096, offsetLag: 7, isFutureKey: false }] }], totalBytes: 1 << 30, usableBytes: 1 << 20 }]
    } satisfies m.describeLogDirs.DescribeLogDirsResponse
  },
  [m.saslAuthenticate.api.key]: {
    request: { authBytes: b('\x00user\x00secret') } satisfies m.saslAuthenticate.SaslAuthenticateRequest,
    response: { errorCode: 58, errorMessage: 'denied', authBytes: b(''), sessionLifetimeMs: 0 } satisfies m.saslAuthenticate.SaslAuthenticateResponse
  },
  [m.createPartitions.api.key]: {
    request: { topics: [{ name: 'orders', count: 6, assignments: null }, { name: 'b', count: 2, assignments: [{ brokerIds: [0] }] }], timeoutMs: 5000, validateOnly: false } satisfies m.createPartitions.CreatePartitionsRequest,
    response: { throttleTimeMs: 0, results: [{ name: 'orders', errorCode: 37, errorMessage: 'too few' }] } satisfies m.createPartitions.CreatePartitionsResponse
  },
  [m.deleteGroups.api.key]: {
    request: { groupsNames: ['g', 'h'] } satisfies m.deleteGroups.DeleteGroupsRequest,
    response: { throttleTimeMs: 0, results: [{ groupId: 'g', errorCode: 68 }] } satisfies m.deleteGroups.DeleteGroupsResponse
  },
  [m.incrementalAlterConfigs.api.key]: {
    request: { resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }, { name: 'x', configOperation: 1, value: null }] }], validateOnly: true } satisfies m.incrementalAlterConfigs.IncrementalAlterConfigsRequest,
    response: { throttleTimeMs: 0, responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }] } satisfies m.incrementalAlterConfigs.IncrementalAlterConfigsResponse
  },
  [m.offsetDelete.api.key]: {
    request: { groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }, { partitionIndex: 3 }] }] } satisfies m.offsetDelete.OffsetDeleteRequest,
    response: { errorCode: 0, throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 86 }] }] } satisfies m.offsetDelete.OffsetDeleteResponse
  },
  [m.describeTransactions.api.key]: {
    request: { transactionalIds: ['tx-a', 'tx-b'] } satisfies m.describeTransactions.DescribeTransactionsRequest,
    response: {
      throttleTimeMs: 0,
      transactionStates: [
        { errorCode: 0, transactionalId: 'tx-a', transactionState: 'Ongoing', transactionTimeoutMs: 60000, transactionStartTimeMs: 1_700_000_000_000, producerId: 4001, producerEpoch: 3, topicPartitions: [{ name: 'orders', partitionIndexes: [0, 2] }] },
        { errorCode: 105, transactionalId: 'tx-b', transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topicPartitions: [] }
      ]
    } satisfies m.describeTransactions.DescribeTransactionsResponse
  },
  [m.listTransactions.api.key]: {
    request: { stateFilters: ['Ongoing'], producerIdFilters: [4001, 2 ** 40] } satisfies m.listTransactions.ListTransactionsRequest,
    response: { throttleTimeMs: 0, errorCode: 0, transactionStates: [{ transactionalId: 'tx-a', producerId: 4001, transactionState: 'Ongoing' }] } satisfies m.listTransactions.ListTransactionsResponse,
  },
  [m.describeUserScramCredentials.api.key]: {
    request: { users: [{ name: 'alice' }] } satisfies m.describeUserScramCredentials.DescribeUserScramCredentialsRequest,
    response: { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: [{ user: 'alice', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 2, iterations: 8192 }] }] } satisfies m.describeUserScramCredentials.DescribeUserScramCredentialsResponse
  },
  [m.alterUserScramCredentials.api.key]: {
    request: { deletions: [{ name: 'bob', mechanism: 1 }], upsertions: [{ name: 'alice', mechanism: 2, iterations: 4096, salt: b('salt'), saltedPassword: b('salted-password') }] } satisfies m.alterUserScramCredentials.AlterUserScramCredentialsRequest,
    response: { throttleTimeMs: 0, results: [{ user: 'alice', errorCode: 0, errorMessage: null }, { user: 'bob', errorCode: 91, errorMessage: 'missing' }] } satisfies m.alterUserScramCredentials.AlterUserScramCredentialsResponse
  }
}

/** Every key of `expected` (recursively) has the same value in `actual`; other keys are ignored. */
function assertSubset (actual: unknown, expected: unknown, path: string): void {
  if (expected === null || typeof expected !== 'object' || Buffer.isBuffer(expected)) {
    assert.equal(actual, expected, path)
    return
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is an array`)
    assert.is((actual as unknown[]).length, expected.length, `${path}.length`)
    expected.forEach((v, i) => assertSubset((actual as unknown[])[i], v, `${path}[${i}]`))
    return
  }
  assert.ok(actual !== null && typeof actual === 'object', `${path} is an object`)
  for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`)
}

type Dir = 'request' | 'response'

function roundTrip (codec: ApiCodec, dir: Dir, version: number, value: unknown): { bytes: Buffer, decoded: unknown } {
  const w = new Writer(64)
  if (dir === 'request') codec.encodeRequest(w, version, value)
  else codec.encodeResponse(w, version, value)
  const bytes = w.toBuffer()
  const r = new Reader(bytes)
  const decoded = dir === 'request' ? codec.decodeRequest(r, version) : codec.decodeResponse(r, version)
  assert.is(r.remaining, 0, `${codec.api.name} ${dir} v${version} leaves no bytes`)
  const again = new Writer(64)
  if (dir === 'request') codec.encodeRequest(again, version, decoded)
  else codec.encodeResponse(again, version, decoded)
  assert.equal(again.toBuffer(), bytes, `${codec.api.name} ${dir} v${version} re-encodes to the same bytes`)
  return { bytes, decoded }
}

// ---

const table = suite('codec table')

table('every served API has a codec whose range matches api-keys', () => {
  for (const a of API_LIST) {
    const codec = codecs.get(a.key)
    assert.ok(codec !== undefined, `codec for ${a.name}`)
    assert.equal({ ...codec.api }, { ...a }, a.name)
    assert.ok(samples[a.key] !== undefined, `sample for ${a.name}`)
  }
})

table.run()

// ---

const trips = suite('round trips')

for (const codec of codecs.values()) {
  const sample = samples[codec.api.key]
  trips(`${codec.api.name} v${codec.api.minVersion}-${codec.api.maxVersion}`, () => {
    for (let v = codec.api.minVersion; v <= codec.api.maxVersion; v++) {
      for (const dir of ['request', 'response'] as const) {
        const { decoded } = roundTrip(codec, dir, v, sample[dir])
        if (v === codec.api.maxVersion) assertSubset(decoded, sample[dir], `${codec.api.name} ${dir} v${v}`)
      }
    }
  })
}

trips.run()

// ---

const versions = suite('version checks')

versions('decoding a version outside the range throws ProtocolDecodeError, encoding throws RangeError', () => {
  for (const codec of codecs.values()) {
    for (const v of [codec.api.minVersion - 1, codec.api.maxVersion + 1]) {
      assert.throws(() => codec.decodeRequest(new Reader(Buffer.alloc(64)), v), (e: Error) => e.name === 'ProtocolDecodeError')
      assert.throws(() => codec.decodeResponse(new Reader(Buffer.alloc(64)), v), (e: Error) => e.name === 'ProtocolDecodeError')
      assert.throws(() => codec.encodeResponse(new Writer(), v, samples[codec.api.key].response), RangeError)
    }
  }
})

versions('truncated bytes throw ProtocolDecodeError at every cut, in every version', () => {
  for (const codec of codecs.values()) {
    for (let v = codec.api.minVersion; v <= codec.api.maxVersion; v++) {
      for (const dir of ['request', 'response'] as const) {
        const { bytes } = roundTrip(codec, dir, v, samples[codec.api.key][dir])
        for (let cut = 0; cut < bytes.length; cut++) {
          const r = new Reader(bytes.subarray(0, cut))
          try {
            if (dir === 'request') codec.decodeRequest(r, v)
            else codec.decodeResponse(r, v)
          } catch (err) {
            assert.is((err as Error).name, 'ProtocolDecodeError', `${codec.api.name} ${dir} v${v} cut at ${cut}`)
            continue
          }
          // A cut may land where the rest is optional only in flexible tag sections; never elsewhere.
          assert.unreachable(`${codec.api.name} ${dir} v${v} decoded from ${cut} of ${bytes.length} bytes`)
        }
      }
    }
  }
})

versions('random garbage never throws anything but ProtocolDecodeError', () => {
  let seed = 12345
  const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed }
  for (const codec of codecs.values()) {
    for (let i = 0; i < 200; i++) {
      const buf = Buffer.alloc(rand() % 64)
      for (let j = 0; j < buf.length; j++) buf[j] = rand() & 0xff
      const v = codec.api.minVersion + (rand() % (codec.api.maxVersion - codec.api.minVersion + 1))
      for (const fn of [codec.decodeRequest, codec.decodeResponse]) {
        try { fn(new Reader(buf), v) } catch (err) { assert.is((err as Error).name, 'ProtocolDecodeError', `${codec.api.name} v${v} ${buf.toString('hex')}`) }
      }
    }
  }
})

versions.run()
