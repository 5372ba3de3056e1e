import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig, type LogConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { scrubChunk, type ScrubPlan, type ScrubProgress, type ScrubSegment } from '../../../src/log/scrub.js'
import { batchesIn, makeBatch } from './batches.js'
import { tmpDir } from '../../helpers/tmp-dir.js'

interface Ctx { dir: string, config: LogConfig }

const TOPIC = { 'segment.bytes': '1500', 'index.interval.bytes': '150' }

function withDir (name: string): ReturnType<typeof suite<Ctx>> {
  const s = suite<Ctx>(name, { dir: '', config: logConfigFromTopicConfig(TOPIC) })
  s.before.each(ctx => { ctx.dir = tmpDir('millrace-scrub-') })
  s.after.each(ctx => { rmSync(ctx.dir, { recursive: true, force: true }) })
  return s
}

function segmentFile (dir: string, base: number): string {
  return join(dir, String(base).padStart(20, '0') + '.log')
}

/** 40 batches of 3 records, closed cleanly; returns the log's scrub plan. */
function fill (dir: string, config: LogConfig): ScrubPlan {
  const log = PartitionLog.open({ dir, config })
  for (let i = 0; i < 40; i++) assert.is(log.append(makeBatch({ records: 3, valueBytes: 20, timestamp: 1000 + i }), 0).status, LogStatus.Ok)
  const plan = log.planScrub()
  assert.is(log.close(), LogStatus.Ok)
  assert.ok(plan !== null && plan.segments.length >= 3)
  return plan
}

/** Scrubs a whole segment in chunks of `maxBytes`, as the dispatcher's scrubber does. */
function scrubSegment (dir: string, segment: ScrubSegment, maxBytes: number): { last: ScrubProgress, chunks: number } {
  let task = { dir, segment, position: 0, expectedOffset: segment.baseOffset, exact: segment.contiguous, maxBytes }
  let chunks = 0
  for (;;) {
    const last = scrubChunk(task)
    chunks++
    if (last.stale || last.damage !== null || last.position >= segment.size) return { last, chunks }
    assert.ok(last.position > task.position, 'each chunk moves on')
    task = { ...task, position: last.position, expectedOffset: last.expectedOffset, exact: last.exact }
  }
}

// ---
const chunks = withDir('scrubChunk')

chunks('intact sealed segments verify to their end, in chunks of about maxBytes', ({ dir, config }) => {
  const plan = fill(dir, config)
  for (const segment of plan.segments) {
    assert.ok(segment.contiguous)
    const whole = scrubSegment(dir, segment, 1 << 20)
    assert.is(whole.chunks, 1)
    assert.is(whole.last.damage, null)
    assert.is(whole.last.position, segment.size)
    assert.is(whole.last.expectedOffset, segment.nextOffset)
    const small = scrubSegment(dir, segment, 200)
    assert.ok(small.chunks > 3)
    assert.is(small.last.damage, null)
    assert.is(small.last.position, segment.size)
  }
})

chunks('a flipped byte in a record value (inside the CRC) is found at its batch', ({ dir, config }) => {
  const plan = fill(dir, config)
  const segment = plan.segments[1]
  const file = readFileSync(segmentFile(dir, segment.baseOffset))
  const victim = batchesIn(file)[4]
  file[victim.position + victim.size - 3] ^= 0x20 // the last record's value
  writeFileSync(segmentFile(dir, segment.baseOffset), file)
  for (const maxBytes of [1 << 20, 150]) {
    const { last } = scrubSegment(dir, segment, maxBytes)
    assert.equal(last.damage, { position: victim.position, offset: victim.baseOffset, why: 'CRC-32C mismatch' })
  }
  assert.is(scrubSegment(dir, plan.segments[0], 1 << 20).last.damage, null)
})

chunks('a flipped baseOffset (outside the CRC) and a zeroed tail are found', ({ dir, config }) => {
  const plan = fill(dir, config)
  const [first, second] = plan.segments
  const a = readFileSync(segmentFile(dir, first.baseOffset))
  const flipped = batchesIn(a)[2]
  a[flipped.position + 7] ^= 0x04
  writeFileSync(segmentFile(dir, first.baseOffset), a)
  const found = scrubSegment(dir, first, 1 << 20).last.damage
  assert.is(found?.position, flipped.position)
  assert.match(found!.why, /base offset/)

  const b = readFileSync(segmentFile(dir, second.baseOffset))
  const zeroFrom = batchesIn(b)[5].position
  b.fill(0, zeroFrom)
  writeFileSync(segmentFile(dir, second.baseOffset), b)
  const zeroed = scrubSegment(dir, second, 1 << 20).last.damage
  assert.is(zeroed?.position, zeroFrom)
  assert.match(zeroed!.why, /does not fit/)
})

chunks('a plan gone stale (segment deleted, or shorter than planned) ends quietly, not as damage', ({ dir, config }) => {
  const plan = fill(dir, config)
  unlinkSync(segmentFile(dir, plan.segments[0].baseOffset))
  const gone = scrubSegment(dir, plan.segments[0], 1 << 20).last
  assert.ok(gone.stale)
  assert.is(gone.damage, null)
  truncateSync(segmentFile(dir, plan.segments[1].baseOffset), 100)
  const shorter = scrubSegment(dir, plan.segments[1], 1 << 20).last
  assert.ok(shorter.stale)
  assert.is(shorter.damage, null)
})

chunks.run()

// ---
const planning = withDir('PartitionLog.planScrub')

planning('lists sealed segments only, and leaves out those known to be damaged', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  for (let i = 0; i < 40; i++) log.append(makeBatch({ records: 3, valueBytes: 20 }), 0)
  const bases = log.segmentBaseOffsets
  const plan = log.planScrub()!
  assert.equal(plan.segments.map(s => s.baseOffset), bases.slice(0, -1))
  assert.is(plan.dir, dir)
  const first = plan.segments[0]
  assert.ok(log.markDamaged(first.baseOffset, first.size, 0, 'test'))
  assert.equal(log.planScrub()!.segments.map(s => s.baseOffset), bases.slice(1, -1))
  log.close()
  const memory = PartitionLog.open({ dir: null, config })
  assert.is(memory.planScrub(), null)
  memory.close()
})

planning.run()
