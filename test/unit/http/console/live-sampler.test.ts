import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { LiveSampler, withRates, type LiveSample } from '../../../../src/http/console/live-sampler.js'
import type { BrokerSnapshot } from '../../../../src/http/console/broker-snapshot.js'
import { until } from '../../../helpers/until.js'

function snapshot (time: number, hws: number[], sizes: number[]): BrokerSnapshot {
  const partitions = hws.map((hw, i) => ({ partition: i, logStartOffset: 0, highWatermark: hw, logEndOffset: hw, sizeBytes: sizes[i]! }))
  return {
    time,
    topics: [{ topic: 't', partitions, sizeBytes: sizes.reduce((a, b) => a + b, 0), records: hws.reduce((a, b) => a + b, 0), offlinePartitions: 0 }],
    groups: [],
    problems: []
  }
}

const rates = suite('withRates')

rates('the first sample has no throughput yet', () => {
  const s = withRates(null, snapshot(1000, [5], [100]))
  assert.is(s.topics[0]!.recordsPerSec, null)
  assert.is(s.topics[0]!.partitions[0]!.bytesPerSec, null)
})

rates('throughput is the change of high watermarks and sizes per second, summed per topic', () => {
  const s = withRates(snapshot(1000, [10, 0], [1000, 0]), snapshot(3000, [30, 4], [3000, 400]))
  assert.is(s.topics[0]!.partitions[0]!.recordsPerSec, 10)
  assert.is(s.topics[0]!.partitions[1]!.bytesPerSec, 200)
  assert.is(s.topics[0]!.recordsPerSec, 12)
  assert.is(s.topics[0]!.bytesPerSec, 1200)
})

rates('a log shrunk by retention reads as no growth, not negative throughput', () => {
  const s = withRates(snapshot(1000, [10], [5000]), snapshot(2000, [10], [1000]))
  assert.is(s.topics[0]!.bytesPerSec, 0)
})

rates.run()

// ---

const sampler = suite('LiveSampler')

sampler('samples only while someone listens, and stops with the last listener', async () => {
  let taken = 0
  const s = new LiveSampler(async () => snapshot(Date.now(), [taken++], [0]), { intervalMs: 10 })
  assert.is(s.sampling, false)
  const seenA: LiveSample[] = []
  const seenB: LiveSample[] = []
  const stopA = s.subscribe((x) => { if (!(x instanceof Error)) seenA.push(x) })
  const stopB = s.subscribe((x) => { if (!(x instanceof Error)) seenB.push(x) })
  await until('both listeners got three samples', () => seenA.length >= 3 && seenB.length >= 3)
  stopA()
  assert.is(s.sampling, true, 'one listener is left')
  stopB()
  assert.is(s.sampling, false)
  const after = s.taken
  await s.current() // a read after the stop is one sample, not a restarted timer
  assert.ok(s.taken <= after + 1)
  assert.is(s.sampling, false)
})

sampler('reads share one sample while it is young, and concurrent reads share one in flight', async () => {
  let taken = 0
  const s = new LiveSampler(async () => { taken++; return snapshot(Date.now(), [1], [1]) }, { intervalMs: 60_000 })
  const [a, b] = await Promise.all([s.current(), s.current()])
  assert.is(a, b)
  await s.current()
  assert.is(taken, 1)
})

sampler('a failing snapshot reaches listeners as an error', async () => {
  const s = new LiveSampler(async () => { throw new Error('broker closed') }, { intervalMs: 10 })
  const errors: Error[] = []
  const stop = s.subscribe((x) => { if (x instanceof Error) errors.push(x) })
  await until('an error arrived', () => errors.length > 0)
  stop()
  assert.is(errors[0]!.message, 'broker closed')
})

sampler.run()
