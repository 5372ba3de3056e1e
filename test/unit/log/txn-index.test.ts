import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ABORTED_TXN_BYTES, decodeTxnIndex, encodeAbortedTxn, TxnIndex, TXN_INDEX_SUFFIX } from '../../../src/log/txn-index.js'
import { MemoryStore } from '../../../src/log/store.js'
import { segmentFileName } from '../../../src/log/segment.js'

const codec = suite('.txnindex entries')

codec('an entry is 34 bytes: version 0, producerId, firstOffset, lastOffset, lastStableOffset', () => {
  const bytes = encodeAbortedTxn({ producerId: 0x0102030405, firstOffset: 10, lastOffset: 20, lastStableOffset: 21 })
  assert.is(bytes.length, ABORTED_TXN_BYTES)
  assert.equal(bytes.toString('hex'), '0000' + '0000000102030405' + '000000000000000a' + '0000000000000014' + '0000000000000015')
  assert.equal(decodeTxnIndex(bytes, 0, 100), [{ producerId: 0x0102030405, firstOffset: 10, lastOffset: 20, lastStableOffset: 21 }])
})

codec('damage is refused: a torn entry, another version, a marker outside the segment, markers out of order', () => {
  const a = encodeAbortedTxn({ producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 6 })
  const b = encodeAbortedTxn({ producerId: 2, firstOffset: 1, lastOffset: 7, lastStableOffset: 8 })
  assert.is(decodeTxnIndex(a.subarray(0, 30), 0, 100), null)
  const v1 = Buffer.from(a)
  v1.writeInt16BE(1, 0)
  assert.is(decodeTxnIndex(v1, 0, 100), null)
  assert.is(decodeTxnIndex(a, 6, 100), null)
  assert.is(decodeTxnIndex(a, 0, 5), null)
  assert.is(decodeTxnIndex(Buffer.concat([b, a]), 0, 100), null)
  assert.is(decodeTxnIndex(Buffer.concat([a, b]), 0, 100)?.length, 2)
})

codec.run()

// ---

const index = suite('TxnIndex')

index('append writes each segment\'s file; load reads them back; removeSegment drops the oldest', () => {
  const store = new MemoryStore()
  const idx = new TxnIndex(store)
  idx.append(0, { producerId: 1, firstOffset: 0, lastOffset: 3, lastStableOffset: 4 })
  idx.append(10, { producerId: 2, firstOffset: 8, lastOffset: 12, lastStableOffset: 13 })
  idx.append(10, { producerId: 2, firstOffset: 8, lastOffset: 12, lastStableOffset: 13 }) // a replay: already known
  assert.is(store.readAll(segmentFileName(0, TXN_INDEX_SUFFIX))?.length, ABORTED_TXN_BYTES)
  assert.is(store.readAll(segmentFileName(10, TXN_INDEX_SUFFIX))?.length, ABORTED_TXN_BYTES)
  const again = new TxnIndex(store)
  assert.ok(again.load([{ baseOffset: 0, nextOffset: 10 }, { baseOffset: 10, nextOffset: 20 }]))
  assert.equal(again.entries, idx.entries)
  again.removeSegment(0)
  assert.equal(again.entries.map(e => e.producerId), [2])
  assert.not.ok(store.exists(segmentFileName(0, TXN_INDEX_SUFFIX)))
})

index('collect: overlapping the range, sorted by first offset, stopping once an entry\'s LSO passes the range', () => {
  const idx = new TxnIndex(new MemoryStore())
  idx.append(0, { producerId: 1, firstOffset: 5, lastOffset: 6, lastStableOffset: 2 })
  idx.append(0, { producerId: 2, firstOffset: 2, lastOffset: 8, lastStableOffset: 9 })
  idx.append(0, { producerId: 3, firstOffset: 10, lastOffset: 11, lastStableOffset: 12 })
  assert.equal(idx.collect(0, 20).map(e => e.producerId), [2, 1, 3])
  assert.equal(idx.collect(7, 20).map(e => e.producerId), [2, 3])
  assert.equal(idx.collect(0, 5).map(e => e.producerId), [2], 'producer 1 starts at the range end')
  assert.equal(idx.collect(0, 9).map(e => e.producerId), [2, 1], 'stops after producer 2: its LSO 9 reaches the end')
  assert.equal(idx.collect(12, 20), [])
})

index('truncateFromEnd drops entries whose marker is at or after the offset, cutting or removing their files', () => {
  const store = new MemoryStore()
  const index = new TxnIndex(store)
  index.append(0, { producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 6 })
  index.append(10, { producerId: 2, firstOffset: 8, lastOffset: 12, lastStableOffset: 13 })
  index.append(10, { producerId: 3, firstOffset: 11, lastOffset: 15, lastStableOffset: 16 })
  index.append(20, { producerId: 4, firstOffset: 20, lastOffset: 21, lastStableOffset: 22 })
  index.truncateFromEnd(13)
  assert.equal(index.entries.map(e => e.producerId), [1, 2])
  assert.is(index.lastMarkerOffset, 12)
  assert.is(store.readAll(segmentFileName(10, TXN_INDEX_SUFFIX))?.length, ABORTED_TXN_BYTES)
  assert.not.ok(store.exists(segmentFileName(20, TXN_INDEX_SUFFIX)))
  index.truncateFromEnd(12)
  assert.not.ok(store.exists(segmentFileName(10, TXN_INDEX_SUFFIX)))
  assert.ok(new TxnIndex(store).load([{ baseOffset: 0, nextOffset: 10 }, { baseOffset: 10, nextOffset: 20 }]))
  index.append(10, { producerId: 5, firstOffset: 10, lastOffset: 11, lastStableOffset: 12 })
  const reloaded = new TxnIndex(store)
  assert.ok(reloaded.load([{ baseOffset: 0, nextOffset: 10 }, { baseOffset: 10, nextOffset: 20 }]))
  assert.equal(reloaded.entries.map(e => e.producerId), [1, 5])
})

index.run()
