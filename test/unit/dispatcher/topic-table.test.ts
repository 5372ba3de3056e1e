import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TopicTable } from '../../../src/dispatcher/topic-table.js'

test('topics are found by name and by id, and a deleted topic by neither', () => {
  const table = new TopicTable()
  const firstId = TopicTable.newTopicId()
  const first = table.addTopic('orders', firstId, {})
  assert.is(table.get('orders'), first)
  assert.is(table.byTopicId(firstId), first)
  table.removeTopic('orders')
  assert.is(table.get('orders'), undefined)
  assert.is(table.byTopicId(firstId), undefined)
  // A topic created again under the same name has a new id; the old id finds nothing.
  const secondId = TopicTable.newTopicId()
  assert.is.not(secondId, firstId)
  const second = table.addTopic('orders', secondId, {})
  assert.is(table.byTopicId(secondId), second)
  assert.is(table.byTopicId(firstId), undefined)
})

test('new partitions go to the data dir holding the fewest, the first on a tie; none in memory', () => {
  const table = new TopicTable()
  const dirs = ['/d1', '/d2', '/d3']
  const topic = table.addTopic('orders', TopicTable.newTopicId(), {})
  const placed: Array<string | null> = []
  for (let i = 0; i < 5; i++) {
    const dataDir = table.leastLoadedDataDir(dirs)
    placed.push(dataDir)
    table.addPartition(topic, i, 0, dataDir)
  }
  assert.equal(placed, ['/d1', '/d2', '/d3', '/d1', '/d2'])
  // A dir added later (empty) fills first.
  assert.is(table.leastLoadedDataDir([...dirs, '/d4']), '/d4')
  assert.is(table.leastLoadedDataDir([]), null)
  assert.is(table.addPartition(topic, 5, 0).dataDir, null)
  assert.is(topic.partitions[0].replica, 0)
})

test.run()
