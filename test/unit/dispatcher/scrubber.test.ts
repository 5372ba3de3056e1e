import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Scrubber, type Scrubbable } from '../../../src/dispatcher/scrubber.js'
import type { ScrubPlan, ScrubProgress, ScrubTask } from '../../../src/log/scrub.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'

// The scrubber's bookkeeping, with the jobs and the partition owners faked.

const PLAN: ScrubPlan = { dir: '/data/t-0', segments: [{ baseOffset: 0, size: 3000, nextOffset: 30, contiguous: true }, { baseOffset: 30, size: 1000, nextOffset: 40, contiguous: true }] }

/** A job that verifies 1000 bytes a call and reports damage at `damageAt` (a file position in segment 0), if given. */
function fakeJob (damageAt: number | null, calls: ScrubTask[]): (task: ScrubTask) => Promise<ScrubProgress> {
  return async (task) => {
    calls.push({ ...task })
    const end = Math.min(task.segment.size, task.position + 1000)
    if (damageAt !== null && task.segment.baseOffset === 0 && damageAt < end) {
      return { position: damageAt, expectedOffset: 7, exact: true, bytes: end - task.position, damage: { position: damageAt, offset: 7, why: 'CRC-32C mismatch' }, stale: false }
    }
    return { position: end, expectedOffset: task.expectedOffset + 10, exact: true, bytes: end - task.position, damage: null, stale: false }
  }
}

function source (name: string, accept: boolean, marked: unknown[][]): Scrubbable {
  return {
    name,
    planScrub: async () => PLAN,
    markDamaged: async (...args) => { marked.push(args); return accept }
  }
}

const pass = suite('Scrubber pass')

pass('walks each sealed segment chunk by chunk, carrying position and offsets on', async () => {
  const calls: ScrubTask[] = []
  const capture = new CaptureLogger()
  const scrubber = new Scrubber({ intervalMs: 60_000, bytesPerSecond: 1 << 30, runJob: fakeJob(null, calls), partitions: () => [source('t-0', true, [])], logger: capture.logger })
  const report = await scrubber.scrubNow()
  assert.equal(calls.map(c => [c.segment.baseOffset, c.position, c.expectedOffset]), [[0, 0, 0], [0, 1000, 10], [0, 2000, 20], [30, 0, 30]])
  assert.equal({ ...report, findings: report.findings.length }, { segments: 2, bytes: 4000, findings: 0, failed: 0 })
  assert.is(capture.lines.length, 0)
  await scrubber.stop()
})

pass('damage is reported to the owner, logged once, and ends that segment\'s scrub', async () => {
  const calls: ScrubTask[] = []
  const marked: unknown[][] = []
  const capture = new CaptureLogger()
  const scrubber = new Scrubber({ intervalMs: 60_000, bytesPerSecond: 1 << 30, runJob: fakeJob(1500, calls), partitions: () => [source('t-0', true, marked)], logger: capture.logger })
  const report = await scrubber.scrubNow()
  assert.equal(marked, [[0, 3000, 1500, 'CRC-32C mismatch']])
  assert.equal(report.findings, [{ partition: 't-0', dir: '/data/t-0', segment: 0, position: 1500, offset: 7, why: 'CRC-32C mismatch' }])
  assert.is(report.segments, 1) // the intact one
  const lines = capture.find('scrubber found a damaged batch', 'error')
  assert.is(lines.length, 1)
  assert.equal(lines[0].fields, { partition: 't-0', dir: '/data/t-0', segment: 0, position: 1500, offset: 7, why: 'CRC-32C mismatch' })
  await scrubber.stop()
})

pass('a finding the owner refuses (the segment changed under the plan) is neither reported nor logged', async () => {
  const capture = new CaptureLogger()
  const scrubber = new Scrubber({ intervalMs: 60_000, bytesPerSecond: 1 << 30, runJob: fakeJob(10, []), partitions: () => [source('t-0', false, [])], logger: capture.logger })
  const report = await scrubber.scrubNow()
  assert.is(report.findings.length, 0)
  assert.is(capture.lines.length, 0)
  await scrubber.stop()
})

pass('a partition whose owner fails is counted and logged; the others are still scrubbed', async () => {
  const capture = new CaptureLogger()
  const broken: Scrubbable = { name: 'gone-0', planScrub: async () => { throw new Error('worker restarting') }, markDamaged: async () => false }
  const scrubber = new Scrubber({ intervalMs: 60_000, bytesPerSecond: 1 << 30, runJob: fakeJob(null, []), partitions: () => [broken, source('t-0', true, [])], logger: capture.logger })
  const report = await scrubber.scrubNow()
  assert.is(report.failed, 1)
  assert.is(report.segments, 2)
  assert.equal(capture.find('scrub of a partition failed', 'warn').map(l => l.fields.partition), ['gone-0'])
  await scrubber.stop()
})

pass('stop() ends a pass waiting out its rate', async () => {
  const calls: ScrubTask[] = []
  // One byte a second: the first chunk's pause would last over a quarter of an hour.
  const scrubber = new Scrubber({ intervalMs: 60_000, bytesPerSecond: 1, runJob: fakeJob(null, calls), partitions: () => [source('t-0', true, [])], logger: new CaptureLogger().logger })
  const guard = setTimeout(() => { throw new Error('stop() did not end the paced pass') }, 10_000)
  const running = scrubber.scrubNow()
  while (calls.length === 0) await new Promise(resolve => setImmediate(resolve))
  await scrubber.stop()
  const report = await running
  clearTimeout(guard)
  assert.is(calls.length, 1)
  assert.is(report.segments, 0)
})

pass.run()
