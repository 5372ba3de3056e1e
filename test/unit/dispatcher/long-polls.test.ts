import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { LongPolls } from '../../../src/dispatcher/long-polls.js'
import { TopicTable, type PartitionState } from '../../../src/dispatcher/topic-table.js'

function partitions (n: number): PartitionState[] {
  const table = new TopicTable()
  const topic = table.addTopic('long-polls', TopicTable.newTopicId(), {})
  return Array.from({ length: n }, (_, i) => table.addPartition(topic, i, 0))
}

const polls = suite('LongPolls')

polls('a wake on any watched partition ends the wait and unparks it from all', async () => {
  const [a, b] = partitions(2)
  const waits = new LongPolls()
  const parked = waits.waitForData([a, b], 60_000)
  assert.equal([waits.parked(a.id), waits.parked(b.id)], [1, 1])
  waits.wake(b.id)
  await parked
  assert.equal([waits.parked(a.id), waits.parked(b.id)], [0, 0])
})

polls('an append between the read and the wait ends it at once', async () => {
  const [a] = partitions(1)
  const waits = new LongPolls()
  const seen = [a.appends]
  a.appends++
  await waits.waitForData([a], 60_000, seen)
  assert.is(waits.parked(a.id), 0)
})

polls('an aborted stop signal ends the wait and leaves no listener behind', async () => {
  const [a] = partitions(1)
  const waits = new LongPolls()
  const stop = new AbortController()
  const parked = waits.waitForData([a], 60_000, undefined, stop.signal)
  stop.abort()
  await parked
  assert.is(waits.parked(a.id), 0)
})

polls('close ends parked waits and answers later ones at once', async () => {
  const [a] = partitions(1)
  const waits = new LongPolls()
  const parked = waits.waitForData([a], 60_000)
  waits.close()
  await parked
  await waits.waitForData([a], 60_000)
  assert.is(waits.parked(a.id), 0)
})

polls.run()
