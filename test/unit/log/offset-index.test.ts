import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OffsetIndex, offsetIndexProblem } from '../../../src/log/offset-index.js'
import { TimeIndex, timeIndexProblem } from '../../../src/log/time-index.js'

// ---
const offsets = suite('OffsetIndex')

offsets('floor and floorWithin find the last fitting entry', () => {
  const index = new OffsetIndex(1024)
  for (let i = 1; i <= 50; i++) index.append(i * 10, i * 1000)
  assert.is(index.floor(5), -1)
  assert.is(index.floor(10), 0)
  assert.is(index.floor(259), 24)
  assert.is(index.floor(10_000), 49)
  assert.is(index.floorWithin(25_500, 1_000), 24)
  assert.is(index.floorWithin(1_000_000, 120), 10)
  assert.is(index.floorWithin(999, 1_000), -1)
})

offsets('stops at its size, grows in memory, and round-trips through its file bytes', () => {
  const index = new OffsetIndex(8 * 300)
  for (let i = 0; i < 400; i++) index.append(i + 1, (i + 1) * 7)
  assert.is(index.entries, 300)
  assert.ok(index.isFull)
  const copy = new OffsetIndex(8 * 300, Buffer.from(index.contents()))
  assert.is(copy.entries, 300)
  assert.is(copy.positionAt(299), 2100)
  assert.is(copy.pending().length, 0)
  copy.truncateEntries(100)
  assert.is(copy.entries, 100)
  assert.is(offsetIndexProblem(index.contents(), 2101), null)
  assert.ok(offsetIndexProblem(index.contents(), 2100) !== null)
  assert.ok(offsetIndexProblem(index.contents().subarray(0, 12), 5000) !== null)
})

offsets.run()

// ---
const times = suite('TimeIndex')

times('keeps only rising timestamps and one slot for the closing entry', () => {
  const index = new TimeIndex(12 * 4)
  assert.ok(index.maybeAppend(100, 1))
  assert.not.ok(index.maybeAppend(100, 2))
  assert.ok(index.maybeAppend(2 ** 41, 3))
  assert.ok(index.maybeAppend(2 ** 41 + 5, 4))
  assert.ok(index.isFull)
  assert.not.ok(index.maybeAppend(2 ** 42, 5))
  assert.ok(index.maybeAppend(2 ** 42, 5, true))
  assert.is(index.lastTimestamp, 2 ** 42)
  assert.is(index.floor(99), -1)
  assert.is(index.floor(2 ** 41 + 4), 1)
  assert.is(index.relativeOffsetAt(index.floor(2 ** 50)), 5)
  assert.is(timeIndexProblem(index.contents(), 6), null)
  assert.ok(timeIndexProblem(index.contents(), 5) !== null)
})

times.run()
