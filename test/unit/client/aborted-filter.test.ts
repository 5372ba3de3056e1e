import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AbortedFilter } from '../../../src/client/aborted-filter.js'
import { buildMarkerBatch, ControlType } from '../../../src/protocol/control-batch.js'
import { patchOffsetAndEpoch } from '../../../src/protocol/batch-header.js'
import { BatchBuilder } from '../../../src/protocol/record-batch.js'

/** Batches laid out at offsets: [kind, producerId, offset]. */
type Item = ['data' | 'txn' | 'abort' | 'commit', number, number]

function layout (items: Item[]): { buf: Buffer, starts: number[] } {
  const parts: Buffer[] = []
  const starts: number[] = []
  let at = 0
  for (const [kind, producerId, offset] of items) {
    let b: Buffer
    if (kind === 'abort' || kind === 'commit') {
      b = buildMarkerBatch(kind === 'abort' ? ControlType.Abort : ControlType.Commit, producerId, 0, 0, 0)
    } else {
      const builder = new BatchBuilder(kind === 'txn' ? { producerId, producerEpoch: 0, baseSequence: 0, transactional: true } : {})
      builder.append(0, null, Buffer.from('v'))
      b = builder.build()
    }
    patchOffsetAndEpoch(b, 0, offset, 0)
    starts.push(at)
    at += b.length
    parts.push(b)
  }
  return { buf: Buffer.concat(parts), starts }
}

const filter = suite('AbortedFilter')

filter('skips batches of aborted transactions and every control batch, keeps the rest', () => {
  const { buf, starts } = layout([
    ['data', -1, 0],
    ['txn', 1, 1], // aborted
    ['txn', 2, 2], // committed
    ['abort', 1, 3],
    ['txn', 1, 4], // producer 1's next transaction, committed
    ['commit', 2, 5],
    ['commit', 1, 6]
  ])
  const f = new AbortedFilter([{ producerId: 1, firstOffset: 1 }])
  assert.equal(starts.map(at => f.skip(buf, at)), [false, true, false, true, false, true, true])
})

filter('without an aborted list only control batches are skipped (read_uncommitted)', () => {
  const { buf, starts } = layout([['txn', 1, 0], ['abort', 1, 1], ['data', -1, 2]])
  const f = new AbortedFilter([])
  assert.equal(starts.map(at => f.skip(buf, at)), [false, true, false])
})

filter('an aborted transaction starting after a batch does not hide it', () => {
  const { buf, starts } = layout([['txn', 1, 0], ['commit', 1, 1], ['txn', 1, 2], ['abort', 1, 3]])
  const f = new AbortedFilter([{ producerId: 1, firstOffset: 2 }])
  assert.equal(starts.map(at => f.skip(buf, at)), [false, true, true, true])
})

filter.run()
