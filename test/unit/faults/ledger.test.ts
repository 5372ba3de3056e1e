import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { check, Ledger } from '../../../perf/faults/ledger.js'

const ledger = suite('fault ledger checker')

ledger('counts lost, misplaced, duplicated and phantom records, and its negative control sees a forged loss', () => {
  const l = new Ledger()
  l.ack('a-0', 0, 0)
  l.ack('a-1', 0, 1)
  l.ack('a-2', 0, 2)
  l.ack('a-3', 0, 3)
  l.refuse('bad-0')
  const r = check(l, [
    { partition: 0, offset: 0, value: 'a-0' },
    { partition: 0, offset: 1, value: 'a-2' }, // a-2 at the wrong offset; a-1 gone
    { partition: 0, offset: 4, value: 'a-0' }, // a-0 twice
    { partition: 0, offset: 5, value: 'bad-0' }
  ])
  assert.equal({ acked: r.acked, lost: r.lost, misplaced: r.misplaced, duplicates: r.duplicates, phantoms: r.phantoms }, { acked: 4, lost: 2, misplaced: 1, duplicates: 1, phantoms: 1 })
  assert.ok(r.controlSawLoss)
})

ledger('loss is a tail when every lost record of a producer run lies above that run\'s survivors', () => {
  const l = new Ledger()
  for (let i = 0; i < 4; i++) l.ack(`r0-${i}`, 0, i)
  // After the cut the next run reused offsets 2 and 3: r0's tail is lost, r1 survives above it.
  l.ack('r1-0', 0, 2)
  l.ack('r1-1', 0, 3)
  const tail = check(l, [0, 1].map((o) => ({ partition: 0, offset: o, value: `r0-${o}` })).concat([{ partition: 0, offset: 2, value: 'r1-0' }, { partition: 0, offset: 3, value: 'r1-1' }]))
  assert.is(tail.lost, 2)
  assert.is(tail.lostBelowSurvivor, 0)
  const hole = check(l, [{ partition: 0, offset: 0, value: 'r0-0' }, { partition: 0, offset: 2, value: 'r0-2' }])
  assert.is(hole.lostBelowSurvivor, 1, 'r0-1 is lost below the surviving r0-2')
})

ledger.run()
