import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig, type LogConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { batchesIn, makeBatch, type BatchInfo } from './batches.js'
import { tmpDir } from '../../helpers/tmp-dir.js'

// Damage below the recovery point: recovery trusts those bytes, so the read path must not.

interface Ctx { dir: string, config: LogConfig }

const TOPIC = { 'segment.bytes': '1500', 'index.interval.bytes': '150' }

function withDir (name: string): ReturnType<typeof suite<Ctx>> {
  const s = suite<Ctx>(name, { dir: '', config: logConfigFromTopicConfig(TOPIC) })
  s.before.each(ctx => { ctx.dir = tmpDir('millrace-damaged-reads-') })
  s.after.each(ctx => { rmSync(ctx.dir, { recursive: true, force: true }) })
  return s
}

function segmentFile (dir: string, base: number): string {
  return join(dir, String(base).padStart(20, '0') + '.log')
}

interface Filled { bases: number[], end: number, inSegment: (base: number) => BatchInfo[] }

/** Writes 40 batches of 3 records and closes the log cleanly (recovery point at the end). */
function fill (dir: string, config: LogConfig): Filled {
  const log = PartitionLog.open({ dir, config })
  for (let i = 0; i < 40; i++) assert.is(log.append(makeBatch({ records: 3, valueBytes: 20, timestamp: 1000 + i }), 0).status, LogStatus.Ok)
  const bases = log.segmentBaseOffsets
  const end = log.logEndOffset
  assert.is(log.close(), LogStatus.Ok)
  assert.ok(bases.length >= 4)
  // Positions within each segment file, read from the files themselves.
  const inSegment = (base: number): BatchInfo[] => batchesIn(readFileSync(segmentFile(dir, base)))
  return { bases, end, inSegment }
}

function damage (dir: string, base: number, change: (file: Buffer) => void): void {
  const file = readFileSync(segmentFile(dir, base))
  change(file)
  writeFileSync(segmentFile(dir, base), file)
}

function read (log: PartitionLog, offset: number, maxBytes = 1 << 20): { status: LogStatus, batches: BatchInfo[] } {
  const { status, bytes } = log.readBytes(offset, maxBytes, log.logEndOffset)
  return { status, batches: batchesIn(bytes) }
}

// ---
const baseOffsets = withDir('a flipped baseOffset (outside the CRC) in a sealed segment')

for (const [name, flip] of [['a low bit', 0x01], ['a high bit', 0x40]] as const) {
  baseOffsets(`${name}: the batch and the rest of its segment are refused; the batches before and the later segments are served`, ({ dir, config }) => {
    const { bases, end, inSegment } = fill(dir, config)
    const batches = inSegment(bases[1])
    const victim = batches[3]
    damage(dir, bases[1], file => { file[victim.position + 7 - (flip === 0x40 ? 2 : 0)] ^= flip })
    const log = PartitionLog.open({ dir, config })
    assert.is(log.recovery, null) // a clean close: recovery trusts the bytes
    assert.is(read(log, batches[1].baseOffset, 1).batches[0].baseOffset, batches[1].baseOffset)
    assert.is(read(log, victim.baseOffset).status, LogStatus.CorruptMessage)
    assert.is(read(log, victim.lastOffset).status, LogStatus.CorruptMessage)
    assert.is(read(log, batches[batches.length - 1].baseOffset).status, LogStatus.CorruptMessage)
    assert.equal(log.refusedDamage, { segment: bases[1], position: victim.position, damage: log.refusedDamage!.damage })
    assert.match(log.refusedDamage!.damage, /base offset/)
    // A read from the segment's start stops before the damage.
    const head = read(log, bases[1])
    assert.is(head.status, LogStatus.Ok)
    assert.equal(head.batches.map(b => b.baseOffset), batches.slice(0, 3).map(b => b.baseOffset))
    assert.is(read(log, bases[2]).status, LogStatus.Ok)
    assert.is(read(log, end - 1).status, LogStatus.Ok)
    log.close()
  })
}

baseOffsets('found while copying a bulk read: the sound prefix is served, then the damaged range is refused', ({ dir, config }) => {
  const { bases, inSegment } = fill(dir, config)
  const batches = inSegment(bases[1])
  const victim = batches[batches.length - 2]
  damage(dir, bases[1], file => { file[victim.position + 7] ^= 0x02 })
  const log = PartitionLog.open({ dir, config })
  // The index puts the reader at the segment's start and the whole segment fits: no header walk before the copy.
  const first = read(log, bases[1])
  assert.is(first.status, LogStatus.Ok)
  assert.equal(first.batches.map(b => b.baseOffset), batches.slice(0, batches.length - 2).map(b => b.baseOffset))
  assert.is(read(log, victim.baseOffset).status, LogStatus.CorruptMessage)
  assert.is(read(log, bases[2]).status, LogStatus.Ok)
  log.close()
})

baseOffsets('a wrong entry in the middle of an .index is not taken for damage: the batches are still served', ({ dir, config }) => {
  const { bases, inSegment } = fill(dir, config)
  const batches = inSegment(bases[1])
  const indexPath = segmentFile(dir, bases[1]).replace(/\.log$/, '.index')
  const index = readFileSync(indexPath)
  assert.ok(index.length >= 16, 'two entries at least')
  // Off a batch boundary, yet still increasing and inside the log: the load-time checks pass it.
  index.writeInt32BE(index.readInt32BE(4) + 1, 4)
  writeFileSync(indexPath, index)
  const log = PartitionLog.open({ dir, config })
  for (const b of batches) {
    const got = read(log, b.baseOffset, 1)
    assert.is(got.status, LogStatus.Ok)
    assert.is(got.batches[0].baseOffset, b.baseOffset)
  }
  assert.is(log.refusedDamage, null)
  log.close()
})

baseOffsets.run()

// ---
const zeroes = withDir('a zero-filled tail of a sealed segment')

zeroes('the zeroed batches are refused, never served as data; what precedes them and later segments are served', ({ dir, config }) => {
  const { bases, inSegment } = fill(dir, config)
  const batches = inSegment(bases[2])
  const from = batches[batches.length - 2].position
  damage(dir, bases[2], file => { file.fill(0, from) })
  const log = PartitionLog.open({ dir, config })
  const head = read(log, bases[2])
  assert.is(head.status, LogStatus.Ok)
  assert.equal(head.batches.map(b => b.baseOffset), batches.slice(0, batches.length - 2).map(b => b.baseOffset))
  for (const b of batches.slice(-2)) assert.is(read(log, b.baseOffset).status, LogStatus.CorruptMessage)
  assert.is(log.refusedDamage?.position, from)
  assert.is(read(log, bases[3]).status, LogStatus.Ok)
  log.close()
})

zeroes.run()

// ---
const reported = withDir('damage reported by the scrubber')

reported('markDamaged refuses the range from that batch on', ({ dir, config }) => {
  const { bases, inSegment } = fill(dir, config)
  const batches = inSegment(bases[0])
  const log = PartitionLog.open({ dir, config })
  assert.is(read(log, batches[4].baseOffset).status, LogStatus.Ok)
  const size = readFileSync(segmentFile(dir, bases[0])).length
  assert.not.ok(log.markDamaged(bases[0], size - 1, batches[4].position, 'a segment of another size was planned (replaced since)'))
  assert.ok(log.markDamaged(bases[0], size, batches[4].position, 'CRC-32C mismatch'))
  assert.not.ok(log.markDamaged(bases[0], size, batches[5].position, 'later damage in a refused range is no news'))
  assert.not.ok(log.markDamaged(bases[0] + 1, size, 0, 'no segment has this base'))
  assert.is(read(log, batches[4].baseOffset).status, LogStatus.CorruptMessage)
  assert.equal(log.refusedDamage, { segment: bases[0], position: batches[4].position, damage: 'CRC-32C mismatch' })
  assert.equal(read(log, 0).batches.map(b => b.baseOffset), batches.slice(0, 4).map(b => b.baseOffset))
  assert.is(read(log, bases[1]).status, LogStatus.Ok)
  log.close()
})

reported.run()
