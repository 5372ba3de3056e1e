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

test.run()
