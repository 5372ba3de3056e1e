/**
 * Authorized operations: librdkafka's DescribeTopics and DescribeCluster (Metadata v8+ with the
 * include flags) and DescribeGroups v3+ ask which operations the caller may perform. With no
 * authorizer, Kafka answers every operation the resource supports; a client that does not ask
 * gets INT32 min. None of the installed clients (kcat 1.7, librdkafka 2.0, confluent-kafka 1.7,
 * kafkajs, sarama 1.22) exposes these fields, so the requests go through the wire client.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { AclOperation, AUTHORIZED_OPERATIONS_OMITTED } from '../../src/protocol/acl-operations.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { DescribeGroupsResponse } from '../../src/protocol/apis/describe-groups.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'
import { WireClient } from './kafka-wire.js'

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation

/** The operation codes set in a bit field, ascending. */
function operations (bits: number): number[] {
  const codes: number[] = []
  for (let code = 0; code < 32; code++) if ((bits & (1 << code)) !== 0) codes.push(code)
  return codes
}

const TOPIC = [READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS]
const CLUSTER = [CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE]
const GROUP = [READ, DELETE, DESCRIBE]

interface Ctx { broker: Broker, wire: WireClient }
const ops = suite<Ctx>('authorized operations')

ops.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  ctx.wire = await WireClient.connect(ctx.broker.port!)
})
ops.after(async (ctx) => {
  ctx.wire.close()
  await ctx.broker.close()
})

ops('Metadata v10 with both flags: every topic and the cluster list all their operations', async ({ broker, wire }) => {
  const topic = uniqueTopic('authorized-ops')
  await broker.createTopic({ topic, partitions: 1 })
  const md = await wire.request<MetadataResponse>(ApiKey.Metadata, 10, {
    topics: [{ name: topic }, { name: '__consumer_offsets' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true
  })
  assert.equal(md.topics.map((t) => [t.name, t.errorCode]), [[topic, 0], ['__consumer_offsets', 0]])
  for (const t of md.topics) assert.equal(operations(t.topicAuthorizedOperations!), TOPIC, `${t.name!}'s operations`)
  assert.equal(operations(md.clusterAuthorizedOperations!), CLUSTER)
})

ops('Metadata v12 (no cluster field) asking for topic operations of all topics', async ({ broker, wire }) => {
  const topic = uniqueTopic('authorized-ops-all')
  await broker.createTopic({ topic, partitions: 2 })
  const md = await wire.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true })
  const mine = md.topics.find((t) => t.name === topic)
  assert.ok(mine !== undefined, 'the new topic is listed')
  assert.equal(operations(mine.topicAuthorizedOperations!), TOPIC)
})

ops('Metadata v12: an unknown name carries the operations, an unknown topic id does not (as Kafka)', async ({ wire }) => {
  const md = await wire.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ name: uniqueTopic('authorized-ops-none') }, { name: null, topicId: Buffer.alloc(16, 7) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true
  })
  assert.equal(md.topics.map((t) => t.errorCode), [KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, KafkaCode.UNKNOWN_TOPIC_ID])
  assert.equal(operations(md.topics[0].topicAuthorizedOperations!), TOPIC)
  assert.is(md.topics[1].topicAuthorizedOperations, AUTHORIZED_OPERATIONS_OMITTED)
})

ops('Metadata without the flags keeps INT32 min ("not requested")', async ({ broker, wire }) => {
  const topic = uniqueTopic('authorized-ops-unasked')
  await broker.createTopic({ topic, partitions: 1 })
  const md = await wire.request<MetadataResponse>(ApiKey.Metadata, 10, {
    topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false
  })
  assert.is(md.topics[0].topicAuthorizedOperations, AUTHORIZED_OPERATIONS_OMITTED)
  assert.is(md.clusterAuthorizedOperations, AUTHORIZED_OPERATIONS_OMITTED)
})

ops('DescribeGroups v3 lists the group operations when asked, INT32 min when not', async ({ wire }) => {
  const groupId = uniqueTopic('authorized-ops-group')
  const asked = await wire.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 3, { groups: [groupId], includeAuthorizedOperations: true })
  assert.is(asked.groups[0].errorCode, 0)
  assert.equal(operations(asked.groups[0].authorizedOperations!), GROUP)
  const unasked = await wire.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false })
  assert.is(unasked.groups[0].authorizedOperations, AUTHORIZED_OPERATIONS_OMITTED)
})

ops.run()
