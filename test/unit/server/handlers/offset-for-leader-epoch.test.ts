import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import type { OffsetForLeaderEpochRequest } from '../../../../src/protocol/apis/offset-for-leader-epoch.js'
import { TopicTable, type PartitionState } from '../../../../src/dispatcher/topic-table.js'
import { offsetsForLeaderEpochs, type EpochSource } from '../../../../src/server/handlers/offset-for-leader-epoch.js'
import { OPEN_ACCESS, type RequestAccess } from '../../../../src/server/access.js'
import type { Check } from '../../../../src/security/api-operations.js'
import { AclOperation, ResourceType } from '../../../../src/security/acl.js'
import { CaptureLogger } from '../../../helpers/capture-logger.js'

/** A log whose epochs started at offsets 0 (epoch 0), 10 (epoch 2) and 25 (epoch 5); its end is 40. */
const EPOCHS: Array<[number, number]> = [[0, 0], [2, 10], [5, 25]]
const LOG_END = 40

interface Fake { source: EpochSource, table: TopicTable, log: CaptureLogger, asked: number[] }

function fake (): Fake {
  const table = new TopicTable()
  const topic = table.addTopic('orders', 'a'.repeat(32), {})
  for (let i = 0; i < 3; i++) {
    const p = table.addPartition(topic, i, 0)
    p.online = true
    p.leaderEpoch = 5
  }
  const log = new CaptureLogger()
  const asked: number[] = []
  const source: EpochSource = {
    logger: log.logger,
    topic: (name) => table.get(name),
    endOffsetForEpoch: async (p: PartitionState, epoch: number) => {
      asked.push(epoch)
      if (p.partition === 2) throw new Error('partition worker 0 is not running')
      for (let i = EPOCHS.length - 1; i >= 0; i--) {
        if (EPOCHS[i][0] <= epoch) return [EPOCHS[i][0], i + 1 < EPOCHS.length ? EPOCHS[i + 1][1] : LOG_END]
      }
      return [-1, -1]
    },
    offsetsTopicEnd: async () => ({ errorCode: KafkaCode.NONE, endOffset: 7 })
  }
  return { source, table, log, asked }
}

const request = (topic: string, partitions: Array<[number, number, number]>): OffsetForLeaderEpochRequest =>
  ({ replicaId: -1, topics: [{ topic, partitions: partitions.map(([partition, currentLeaderEpoch, leaderEpoch]) => ({ partition, currentLeaderEpoch, leaderEpoch })) }] })

const answer = suite('OffsetForLeaderEpoch answers from the partition log')

answer('each epoch gets the largest epoch at or below it and where the next one starts; the latest ends at the log end', async () => {
  const f = fake()
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, request('orders', [[0, -1, 0], [0, 5, 1], [0, 5, 2], [0, 5, 4], [0, 5, 5]]))
  assert.equal(res.topics[0].partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]), [
    [KafkaCode.NONE, 0, 10], [KafkaCode.NONE, 0, 10], [KafkaCode.NONE, 2, 25], [KafkaCode.NONE, 2, 25], [KafkaCode.NONE, 5, 40]
  ])
  assert.equal(f.asked, [0, 1, 2, 4, 5])
})

answer('an epoch older than the log answers -1, -1 without error', async () => {
  const f = fake()
  f.source.endOffsetForEpoch = async () => [-1, -1]
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, request('orders', [[1, 5, 0]]))
  assert.equal(res.topics[0].partitions, [{ partition: 1, errorCode: KafkaCode.NONE, leaderEpoch: -1, endOffset: -1 }])
})

answer.run()

// ---

const refused = suite('OffsetForLeaderEpoch refusals, per partition, before the log is asked')

refused('a stale current epoch is fenced, a newer one is unknown; siblings still get their answer', async () => {
  const f = fake()
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, request('orders', [[0, 4, 2], [1, 6, 2], [0, 5, 2]]))
  assert.equal(res.topics[0].partitions, [
    { partition: 0, errorCode: KafkaCode.FENCED_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 },
    { partition: 1, errorCode: KafkaCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 },
    { partition: 0, errorCode: KafkaCode.NONE, leaderEpoch: 2, endOffset: 25 }
  ])
  assert.equal(f.asked, [2], 'the refused partitions never reached the log')
})

refused('an unknown topic or partition answers UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const f = fake()
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, { replicaId: -1, topics: [
    { topic: 'nope', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
    { topic: 'orders', partitions: [{ partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 }] }
  ] })
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.is(res.topics[1].partitions[0].errorCode, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal(f.asked, [])
})

refused('an offline partition (its worker restarting) answers NOT_LEADER_OR_FOLLOWER, as Fetch does', async () => {
  const f = fake()
  f.table.get('orders')!.partitions[1].online = false
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, request('orders', [[1, 5, 2]]))
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.NOT_LEADER_OR_FOLLOWER)
  assert.equal(f.asked, [])
})

refused('a worker that dies under the request answers NOT_LEADER_OR_FOLLOWER and logs a warning', async () => {
  const f = fake()
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, request('orders', [[2, 5, 2]]))
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.NOT_LEADER_OR_FOLLOWER)
  const lines = f.log.find('could not reach the partition\'s worker', 'warn')
  assert.is(lines.length, 1)
  assert.is(lines[0].fields.topic, 'orders')
  assert.is(lines[0].fields.partition, 2)
})

refused.run()

// ---

const authorized = suite('OffsetForLeaderEpoch authorization: ClusterAction on the cluster, or Describe on the topic')

function access (allowed: (check: Check, name: string) => boolean): RequestAccess {
  return { ...OPEN_ACCESS, allows: allowed }
}

authorized('without either, the topic answers TOPIC_AUTHORIZATION_FAILED and the log is not asked', async () => {
  const f = fake()
  const res = await offsetsForLeaderEpochs(f.source, access(() => false), request('orders', [[0, 5, 2]]))
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.TOPIC_AUTHORIZATION_FAILED)
  assert.equal(f.asked, [])
})

authorized('Describe on the topic is enough (a consumer)', async () => {
  const f = fake()
  const describeOnly = access((c, name) => c.resourceType === ResourceType.TOPIC && c.operation === AclOperation.DESCRIBE && name === 'orders')
  const res = await offsetsForLeaderEpochs(f.source, describeOnly, request('orders', [[0, 5, 2]]))
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.NONE)
})

authorized('ClusterAction on the cluster covers every topic (a follower broker)', async () => {
  const f = fake()
  const clusterAction = access((c) => c.resourceType === ResourceType.CLUSTER && c.operation === AclOperation.CLUSTER_ACTION)
  const res = await offsetsForLeaderEpochs(f.source, clusterAction, request('orders', [[0, 5, 2]]))
  assert.is(res.topics[0].partitions[0].errorCode, KafkaCode.NONE)
})

authorized.run()

// ---

const internal = suite('OffsetForLeaderEpoch on __consumer_offsets')

internal('one epoch (0) for its whole log: epoch 0 and later end at its log end, an older one is unknown, a newer current epoch is refused', async () => {
  const f = fake()
  const res = await offsetsForLeaderEpochs(f.source, OPEN_ACCESS, request('__consumer_offsets', [[0, 0, 0], [1, -1, 3], [2, 0, -1], [3, 1, 0]]))
  assert.equal(res.topics[0].partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]), [
    [KafkaCode.NONE, 0, 7], [KafkaCode.NONE, 0, 7], [KafkaCode.NONE, -1, -1], [KafkaCode.UNKNOWN_LEADER_EPOCH, -1, -1]
  ])
})

internal.run()
