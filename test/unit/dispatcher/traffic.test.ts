import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { countIn, countOut } from '../../../src/dispatcher/traffic.js'
import { TopicTable } from '../../../src/dispatcher/topic-table.js'
import { BatchBuilder } from '../../../src/protocol/record-batch.js'
import { countBatchRecords, kLastOffsetDelta } from '../../../src/protocol/batch-header.js'

function batch (count: number): Buffer {
  const b = new BatchBuilder()
  for (let i = 0; i < count; i++) b.append(1_700_000_000_000, null, Buffer.from(`v${i}`))
  return b.build()
}

const records = suite('countBatchRecords')

records('sums lastOffsetDelta + 1 over every whole batch', () => {
  assert.is(countBatchRecords(batch(1)), 1)
  assert.is(countBatchRecords(Buffer.concat([batch(3), batch(5), batch(1)])), 9)
  assert.is(countBatchRecords(Buffer.alloc(0)), 0)
})

records('reads the count from the header: a batch compacted to fewer records still spans its offsets', () => {
  const b = batch(2)
  b.writeInt32BE(9, kLastOffsetDelta)
  assert.is(countBatchRecords(b), 10)
})

records('a partial batch at the end, or a bad length, ends the count', () => {
  const two = Buffer.concat([batch(3), batch(4)])
  assert.is(countBatchRecords(two.subarray(0, two.length - 1)), 3)
  assert.is(countBatchRecords(batch(2).subarray(0, 30)), 0)
  const bad = batch(2)
  bad.writeInt32BE(-1, 8)
  assert.is(countBatchRecords(bad), 0)
})

records.run()

// ---

const traffic = suite('per-partition traffic counters')

traffic('countIn and countOut add records and bytes to the partition, an empty read adds nothing', () => {
  const table = new TopicTable()
  const p = table.addPartition(table.addTopic('t', TopicTable.newTopicId(), {}), 0, 0)
  const sent = Buffer.concat([batch(3), batch(2)])
  countIn(p, sent)
  countIn(p, batch(1))
  countOut(p, sent)
  countOut(p, Buffer.alloc(0))
  assert.equal([p.recordsIn, p.bytesIn, p.recordsOut, p.bytesOut], [6, sent.length + batch(1).length, 5, sent.length])
})

traffic.run()
