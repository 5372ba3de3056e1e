import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { checkIntervalMs, HungWorkerWatch, type Heartbeating } from '../../../src/dispatcher/hung-workers.js'

function worker (index: number): Heartbeating & { beat: number, alive: boolean } {
  const w = { index, beat: 0, alive: true, heartbeat: () => w.beat }
  return w
}

function watchOf (workers: Array<Heartbeating & { beat: number }>, hungAfterMs: number): { watch: HungWorkerWatch, clock: { now: number }, hung: Array<[number, number]> } {
  const clock = { now: 0 }
  const hung: Array<[number, number]> = []
  const watch = new HungWorkerWatch({ workers: () => workers, hungAfterMs, onHung: (w, silentMs) => hung.push([w.index, silentMs]), now: () => clock.now })
  return { watch, clock, hung }
}

const watch = suite('HungWorkerWatch')

watch('a heartbeat that keeps moving is never hung, however long it runs', () => {
  const a = worker(0)
  const { watch, clock, hung } = watchOf([a], 1000)
  for (let t = 0; t <= 10_000; t += 250) { clock.now = t; a.beat++; watch.check() }
  assert.equal(hung, [])
})

watch('a heartbeat unchanged for the lag time is hung, reported once with how long it was silent', () => {
  const a = worker(0)
  const b = worker(1)
  const { watch, clock, hung } = watchOf([a, b], 1000)
  watch.check()
  for (let t = 250; t <= 3000; t += 250) { clock.now = t; b.beat++; watch.check() }
  assert.equal(hung, [[0, 1000]], 'worker 0 only, at the first check past the lag time, and only once')
})

watch('silence shorter than the lag time is not a hang', () => {
  const a = worker(0)
  const { watch, clock, hung } = watchOf([a], 1000)
  watch.check()
  clock.now = 999; watch.check()
  a.beat++
  clock.now = 1500; watch.check()
  clock.now = 2400; watch.check()
  assert.equal(hung, [])
  clock.now = 2500; watch.check()
  assert.equal(hung, [[0, 1000]])
})

watch('a restarted worker (a new object at the index) starts a fresh reading; a dead one is skipped', () => {
  const workers = [worker(0)]
  const { watch, clock, hung } = watchOf(workers, 1000)
  watch.check()
  clock.now = 800
  workers[0] = worker(0)
  watch.check()
  clock.now = 1200; watch.check()
  assert.equal(hung, [], 'the replacement has only been silent 400 ms')
  workers[0].alive = false
  clock.now = 5000; watch.check()
  assert.equal(hung, [], 'a thread already gone is the exit handler\'s business')
})

watch('stalled: a heartbeat still for two check intervals, before it counts as hung', () => {
  const a = worker(0)
  const { watch, clock } = watchOf([a], 1000)
  watch.check()
  assert.is(watch.stalled(0), false)
  clock.now = 500; watch.check()
  assert.is(watch.stalled(0), false, 'two check intervals (2 × 250 ms) is not yet stalled')
  clock.now = 501
  assert.is(watch.stalled(0), true)
  a.beat++
  clock.now = 750; watch.check()
  assert.is(watch.stalled(0), false, 'it moved again')
  assert.is(watch.stalled(7), false, 'an unknown worker is not stalled')
})

watch('the check interval is at most 250 ms and a quarter of the lag time', () => {
  assert.is(checkIntervalMs(30_000), 250)
  assert.is(checkIntervalMs(400), 100)
  assert.is(checkIntervalMs(1), 10)
})

watch.run()
