import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { LatencyHistogram } from '../../../src/bench/histogram.js'
import { median, ratios, statOf, FIGURES } from '../../../src/bench/figures.js'
import { xorshift } from '../../helpers/seeded-random.js'
import type { RunResult } from '../../../src/bench/workloads.js'

const histogram = suite('bench latency histogram')

/** Within 0.1 %: the histogram keeps 3 significant digits. */
function close (actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) <= Math.max(1, expected * 0.001), `${actual} is not within 0.1 % of ${expected}`)
}

histogram('percentiles of 1..10000 µs are the values at those ranks', () => {
  const h = new LatencyHistogram()
  for (let v = 10_000; v >= 1; v--) h.record(v)
  const s = h.summary()
  assert.is(s.count, 10_000)
  close(s.p50, 5000)
  close(s.p90, 9000)
  close(s.p99, 9900)
  close(s.p999, 9990)
  close(s.max, 10_000)
  close(s.mean, 5000.5)
})

histogram('a long tail shows in p99.9 and max, not in p50', () => {
  const h = new LatencyHistogram()
  for (let i = 0; i < 9990; i++) h.record(200)
  for (let i = 0; i < 10; i++) h.record(50_000)
  const s = h.summary()
  close(s.p50, 200)
  close(s.p99, 200)
  close(s.p999, 200)
  close(s.max, 50_000)
  close(h.percentile(99.95), 50_000)
})

histogram('random data: percentiles match a sorted copy', () => {
  const next = xorshift(7)
  const values: number[] = []
  const h = new LatencyHistogram()
  for (let i = 0; i < 50_000; i++) {
    const v = (next() % 1_000_000) + 1
    values.push(v)
    h.record(v)
  }
  values.sort((a, b) => a - b)
  for (const p of [50, 90, 99, 99.9]) close(h.percentile(p), values[Math.ceil(p / 100 * values.length) - 1])
})

histogram('empty histogram reports zeros; out-of-range values are clamped', () => {
  const h = new LatencyHistogram()
  assert.equal(h.summary(), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 })
  h.record(0.2)
  h.record(-5)
  assert.is(h.percentile(100), 1)
  h.record(1e12)
  assert.ok(h.percentile(100) >= 3_600_000_000 * 0.999)
})

histogram('add merges counts of another histogram', () => {
  const a = new LatencyHistogram()
  const b = new LatencyHistogram()
  for (let i = 1; i <= 100; i++) a.record(i)
  for (let i = 101; i <= 200; i++) b.record(i)
  a.add(b)
  assert.is(a.count, 200)
  close(a.percentile(50), 100)
  close(a.summary().max, 200)
})

histogram('distribution rises with the percentile and ends at the max', () => {
  const h = new LatencyHistogram()
  for (let i = 1; i <= 1000; i++) h.record(i * 10)
  const d = h.distribution()
  for (let i = 1; i < d.length; i++) assert.ok(d[i].us >= d[i - 1].us && d[i].percentile > d[i - 1].percentile)
  assert.is(d[d.length - 1].percentile, 100)
  close(d[d.length - 1].us, 10_000)
})

histogram('no percentile is above the largest value recorded (HDR buckets round up)', () => {
  for (const top of [2049, 4097, 8193, 12_345, 40_001, 1_000_003]) {
    const h = new LatencyHistogram()
    for (let i = 0; i < 50; i++) h.record(top - 1)
    h.record(top)
    const s = h.summary()
    assert.is(s.max, top)
    for (const key of ['p50', 'p90', 'p99', 'p999'] as const) assert.ok(s[key] <= s.max, `${key} ${s[key]} > max ${s.max} for ${top}`)
    assert.is(h.percentile(100), top)
    assert.ok(s.p50 >= (top - 1) * 0.999, 'still within HDR precision')
  }
})

histogram.run()

const figures = suite('bench figures')

function run (produceRate: number, p99us?: number): RunResult {
  return { produceRate, latency: p99us === undefined ? undefined : { p50: 1, p90: 1, p99: p99us, p999: 1, max: 1, mean: 1, count: 1, distribution: [] } } as unknown as RunResult
}

figures('median of odd and even counts', () => {
  assert.is(median([3, 1, 2]), 2)
  assert.is(median([4, 1, 3, 2]), 2.5)
})

figures('stat of runs: median, min, max; runs without the figure are left out', () => {
  const s = statOf([run(100), run(300), run(200)], FIGURES.produce[0])
  assert.equal(s, { median: 200, min: 100, max: 300 })
  assert.is(statOf([{} as RunResult], FIGURES.produce[0]), undefined)
})

figures('ratios: rates divide ours by theirs, latencies theirs by ours', () => {
  assert.is(ratios('produce', [run(1000)], [run(250)]).produceRate, 4)
  const r = ratios('latency', [run(10_000, 2000)], [run(10_000, 8000)])
  assert.is(r.p99, 4)
  assert.is(r.produceRate, 1)
})

figures.run()
