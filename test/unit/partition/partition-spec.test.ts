import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseReplicaDirName, partitionDirName, replicaDirName } from '../../../src/partition/partition-spec.js'

test('replica 0 keeps the name partitions had before replication; others carry ~<replica>', () => {
  assert.is(partitionDirName('orders', 3), 'orders-3')
  assert.is(replicaDirName('orders', 3, 0), 'orders-3')
  assert.is(replicaDirName('orders', 3, 2), 'orders-3~2')
})

test('names parse back to topic, partition and replica, topics with dashes and dots included', () => {
  for (const [topic, partition, replica] of [['orders', 0, 0], ['my-topic-7', 12, 0], ['a.b_c-1', 4, 1], ['t', 9999, 31]] as const) {
    assert.equal(parseReplicaDirName(replicaDirName(topic, partition, replica)), { topic, partition, replica })
  }
  for (const name of ['orders', 'orders-', 'orders-0~0', 'orders-0~01', 'orders-0~', 'orders-x~1', '-0']) {
    assert.is(parseReplicaDirName(name), null, name)
  }
})

test.run()
