import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendedTail, TAIL_MAX_BYTES } from '../../../src/dispatcher/appended-tail.js'
import { BatchBuilder } from '../../../src/protocol/record-batch.js'
import { BatchCheck, baseOffsetOf, checkBatch, leaderEpochOf } from '../../../src/protocol/batch-header.js'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { defaultLogConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'

function batch (values: string[]): Buffer {
  const b = new BatchBuilder()
  for (const v of values) b.append(1_700_000_000_000, Buffer.from('k'), Buffer.from(v))
  return b.build()
}

test('the tail matches what the log stores for the same append, byte for byte', () => {
  const log = PartitionLog.open({ dir: null, config: defaultLogConfig })
  assert.is(log.append(batch(['a', 'b', 'c']), 3).status, LogStatus.Ok)
  const sent = Buffer.concat([batch(['d', 'e']), batch(['f'])])
  const tail = appendedTail(sent, 3, 3)
  assert.ok(tail !== null)
  assert.is(tail.baseOffset, 3)
  assert.is(tail.endOffset, 6)
  // The log patches the buffer it is given in place and writes it as it is then.
  const stored = Buffer.from(sent)
  assert.is(log.append(stored, 3).baseOffset, 3)
  assert.ok(tail.bytes.equals(stored), 'the same bytes the worker stored')
  assert.is(baseOffsetOf(tail.bytes, 0), 3)
  assert.is(leaderEpochOf(tail.bytes, 0), 3)
  assert.is(checkBatch(tail.bytes, 0), BatchCheck.Ok, 'CRC still valid')
  assert.is(baseOffsetOf(sent, 0), 0, 'the request bytes are not touched: the tail is a copy')
  log.close()
})

test('no tail for appends too large to keep, empty, or not whole batches', () => {
  assert.is(appendedTail(Buffer.alloc(0), 0, 0), null)
  const big = batch([Buffer.alloc(TAIL_MAX_BYTES, 'x').toString()])
  assert.is(appendedTail(big, 0, 0), null)
  const one = batch(['a'])
  assert.is(appendedTail(one.subarray(0, one.length - 1), 0, 0), null)
})

test.run()
