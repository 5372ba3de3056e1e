import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig, type LogConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { recoverPartitionDir, recoverStore } from '../../../src/log/recovery.js'
import { logRecoveryFindings } from '../../../src/log/recovery-findings.js'
import { MemoryStore } from '../../../src/log/store.js'
import { BatchCheck, checkBatch } from '../../../src/protocol/batch-header.js'
import { batchesIn, makeBatch, type BatchInfo } from './batches.js'
import { tmpDir } from '../../helpers/tmp-dir.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'

interface Ctx { dir: string, config: LogConfig }

const TOPIC = { 'segment.bytes': '1500', 'index.interval.bytes': '150' }

function withDir (name: string): ReturnType<typeof suite<Ctx>> {
  const s = suite<Ctx>(name, { dir: '', config: logConfigFromTopicConfig(TOPIC) })
  s.before.each(ctx => { ctx.dir = tmpDir('millrace-recovery-') })
  s.after.each(ctx => { rmSync(ctx.dir, { recursive: true, force: true }) })
  return s
}

function segmentFile (dir: string, base: number, suffix: string): string {
  return join(dir, String(base).padStart(20, '0') + suffix)
}

/** Writes `batches` batches of 3 records with rising timestamps, closes the log, returns what it holds. */
function fill (dir: string, config: LogConfig, batches: number, epochs: (i: number) => number = () => 0): { bases: number[], all: BatchInfo[], bytes: Buffer } {
  const log = PartitionLog.open({ dir, config })
  for (let i = 0; i < batches; i++) {
    assert.is(log.append(makeBatch({ records: 3, valueBytes: 20, timestamp: 1000 + i * 10 }), epochs(i)).status, LogStatus.Ok)
  }
  log.setHighWatermark(log.logEndOffset)
  const bases = log.segmentBaseOffsets
  const bytes = Buffer.concat(bases.map(b => log.readBytes(b, 1 << 30, log.logEndOffset).bytes))
  assert.is(log.close(), LogStatus.Ok)
  return { bases, all: batchesIn(bytes), bytes }
}

function readAll (log: PartitionLog): Buffer {
  const parts: Buffer[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const { status, bytes } = log.readBytes(offset, 1 << 30, log.logEndOffset)
    assert.is(status, LogStatus.Ok)
    const batches = batchesIn(bytes)
    for (const b of batches) assert.is(checkBatch(bytes, b.position), BatchCheck.Ok)
    parts.push(bytes)
    offset = batches[batches.length - 1].lastOffset + 1
  }
  return Buffer.concat(parts)
}

// ---
const tail = withDir('recovery of a damaged tail')

tail('a batch cut in half is truncated away; the others stay', ({ dir, config }) => {
  const { bases, all, bytes } = fill(dir, config, 30)
  const last = all[all.length - 1]
  const active = segmentFile(dir, bases[bases.length - 1], '.log')
  const size = statSync(active).size
  truncateSync(active, size - Math.floor(last.size / 2))
  const report = recoverPartitionDir(dir, config)
  assert.is(report.logEndOffset, last.baseOffset)
  assert.is(report.truncatedBytes, last.size - Math.floor(last.size / 2))
  assert.is(report.segments, bases.length)
  assert.ok(report.validatedBatches > 0)
  const log = PartitionLog.open({ dir, config })
  assert.is(log.recovery, null)
  assert.equal(readAll(log), bytes.subarray(0, bytes.length - last.size))
  assert.is(log.append(makeBatch(), 0).baseOffset, last.baseOffset)
  log.close()
})

tail('a flipped bit in the last batch: it goes, earlier batches stay', ({ dir, config }) => {
  const { bases, all, bytes } = fill(dir, config, 30)
  const last = all[all.length - 1]
  const active = segmentFile(dir, bases[bases.length - 1], '.log')
  const file = readFileSync(active)
  file[file.length - 5] ^= 0x10
  writeFileSync(active, file)
  // As a crash leaves it: the last checkpoint is behind the tail.
  writeFileSync(join(dir, 'recovery-point-offset-checkpoint'), `0\n${bases[bases.length - 1]}\n`)
  const log = PartitionLog.open({ dir, config })
  assert.ok(log.recovery !== null)
  assert.is(log.recovery?.truncatedBytes, last.size)
  assert.is(log.logEndOffset, last.baseOffset)
  assert.equal(readAll(log), bytes.subarray(0, bytes.length - last.size))
  log.close()
})

tail('the recovery job validates the active segment even after a clean close', ({ dir, config }) => {
  const { bases, all } = fill(dir, config, 30)
  const last = all[all.length - 1]
  const active = segmentFile(dir, bases[bases.length - 1], '.log')
  const file = readFileSync(active)
  file[file.length - 5] ^= 0x01
  writeFileSync(active, file)
  const report = recoverPartitionDir(dir, config)
  assert.is(report.truncatedBytes, last.size)
  assert.is(report.logEndOffset, last.baseOffset)
})

tail('garbage after the last batch is cut; every batch stays', ({ dir, config }) => {
  const { bases, all, bytes } = fill(dir, config, 30)
  appendFileSync(segmentFile(dir, bases[bases.length - 1], '.log'), Buffer.from('not a batch, just noise from a torn write'))
  const report = recoverPartitionDir(dir, config)
  assert.is(report.truncatedBytes, 41)
  assert.is(report.logEndOffset, all[all.length - 1].lastOffset + 1)
  const log = PartitionLog.open({ dir, config })
  assert.equal(readAll(log), bytes)
  log.close()
})

tail('zeroes after the last batch (a preallocated or half-flushed tail) are cut', ({ dir, config }) => {
  const { bases, bytes } = fill(dir, config, 5)
  appendFileSync(segmentFile(dir, bases[bases.length - 1], '.log'), Buffer.alloc(4096))
  const log = PartitionLog.open({ dir, config })
  assert.is(log.recovery?.truncatedBytes, 4096)
  assert.equal(readAll(log), bytes)
  log.close()
})

tail('a damaged batch behind the recovery point cuts its segment only; later segments stay', ({ dir, config }) => {
  const { bases, all } = fill(dir, config, 40)
  assert.ok(bases.length >= 4)
  writeFileSync(join(dir, 'recovery-point-offset-checkpoint'), '0\n0\n')
  const victim = all.find(b => b.baseOffset >= bases[1])!
  const file = readFileSync(segmentFile(dir, bases[1], '.log'))
  file[70] ^= 0xff // inside the first batch's records of the second segment
  writeFileSync(segmentFile(dir, bases[1], '.log'), file)
  const report = recoverPartitionDir(dir, config)
  assert.is(report.logEndOffset, all[all.length - 1].lastOffset + 1)
  assert.is(report.segments, bases.length)
  assert.is(report.deletedSegments, 0)
  assert.equal(report.truncations, [{ segment: bases[1], offset: victim.baseOffset, bytes: file.length }])
  assert.ok(existsSync(segmentFile(dir, bases[2], '.log')))
  const log = PartitionLog.open({ dir, config })
  assert.is(log.logEndOffset, all[all.length - 1].lastOffset + 1)
  const kept = all.filter(b => b.baseOffset < bases[1] || b.baseOffset >= bases[2]).map(b => b.baseOffset)
  assert.equal(batchesIn(readAll(log)).map(b => b.baseOffset), kept)
  log.close()
})

tail('a torn sealed segment: the gap is fetched past, offsets and appends stay right', ({ dir, config }) => {
  const { bases, all, bytes } = fill(dir, config, 300)
  assert.ok(bases.length >= 25)
  writeFileSync(join(dir, 'recovery-point-offset-checkpoint'), `0\n${bases[2]}\n`)
  const torn = segmentFile(dir, bases[3], '.log')
  const inTorn = all.filter(b => b.baseOffset >= bases[3] && b.baseOffset < bases[4])
  const origin = inTorn[0].position
  const keep = inTorn[1].position - origin + 10 // the second batch is cut mid-way
  truncateSync(torn, keep)
  const log = PartitionLog.open({ dir, config })
  assert.equal(log.recovery?.truncations, [{ segment: bases[3], offset: inTorn[1].baseOffset, bytes: 10 }])
  const capture = new CaptureLogger()
  logRecoveryFindings(capture.logger, dir, log.recovery!)
  assert.equal(capture.lines.map(l => [l.level, l.fields]), [['warn', { dir, segment: bases[3], offset: inTorn[1].baseOffset, bytes: 10 }]])
  assert.is(log.segmentBaseOffsets.length, bases.length)
  assert.is(log.logStartOffset, 0)
  assert.is(log.logEndOffset, all[all.length - 1].lastOffset + 1)
  // A fetch at an offset inside the gap answers the first batch after it.
  const inGap = log.readBytes(inTorn[1].baseOffset + 1, 1 << 20, log.logEndOffset)
  assert.is(inGap.status, LogStatus.Ok)
  assert.is(batchesIn(inGap.bytes)[0].baseOffset, bases[4])
  const lost = new Set(inTorn.slice(1).map(b => b.baseOffset))
  assert.is(readAll(log).length, bytes.length - inTorn.slice(1).reduce((n, b) => n + b.size, 0))
  assert.equal(batchesIn(readAll(log)).map(b => b.baseOffset), all.filter(b => !lost.has(b.baseOffset)).map(b => b.baseOffset))
  assert.is(log.append(makeBatch(), 0).baseOffset, all[all.length - 1].lastOffset + 1)
  log.close()
  // The cut is made once: the next open finds a consistent log.
  const again = PartitionLog.open({ dir, config })
  assert.is(again.recovery, null)
  assert.is(again.readBytes(inTorn[1].baseOffset, 1 << 20, again.logEndOffset).status, LogStatus.Ok)
  again.close()
})

tail('epochs that started in the truncated tail are forgotten', ({ dir, config }) => {
  const { bases, all } = fill(dir, config, 10, i => (i < 9 ? 1 : 2))
  const active = segmentFile(dir, bases[bases.length - 1], '.log')
  truncateSync(active, statSync(active).size - 1)
  const log = PartitionLog.open({ dir, config })
  assert.is(log.logEndOffset, all[9].baseOffset)
  assert.equal(log.leaderEpochs, [{ epoch: 1, startOffset: 0 }])
  log.close()
})

tail('random cut points never lose a whole batch nor keep a partial one', ({ dir, config }) => {
  const { bases, all } = fill(dir, config, 12)
  const active = segmentFile(dir, bases[bases.length - 1], '.log')
  const original = readFileSync(active)
  const inActive = all.filter(b => b.baseOffset >= bases[bases.length - 1])
  const origin = inActive[0].position
  for (const b of inActive) b.position -= origin
  let seed = 42
  for (let round = 0; round < 25; round++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    const cut = seed % (original.length + 1)
    writeFileSync(active, original.subarray(0, cut))
    const whole = inActive.filter(b => b.position + b.size <= cut)
    const expectedEnd = whole.length === 0 ? bases[bases.length - 1] : whole[whole.length - 1].lastOffset + 1
    const report = recoverPartitionDir(dir, config)
    assert.is(report.logEndOffset, expectedEnd, `cut at ${cut}`)
    assert.is(statSync(active).size, whole.reduce((n, b) => n + b.size, 0))
  }
})

tail.run()

// ---
const crash = withDir('open after a crash')

crash('a crash image (files copied while open, never flushed) opens with recovery and loses nothing', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  for (let i = 0; i < 25; i++) log.append(makeBatch({ records: 2, timestamp: 5000 + i }), 0)
  const image = `${dir}-image`
  cpSync(dir, image, { recursive: true })
  log.close()
  try {
    const reopened = PartitionLog.open({ dir: image, config })
    assert.ok(reopened.recovery !== null)
    assert.is(reopened.recovery?.truncatedBytes, 0)
    assert.is(reopened.logEndOffset, 50)
    assert.is(batchesIn(readAll(reopened)).length, 25)
    assert.equal(reopened.offsetForTimestamp(5010), { status: LogStatus.Ok, offset: 19, timestamp: 5010 })
    reopened.close()
  } finally {
    rmSync(image, { recursive: true, force: true })
  }
})

crash('after the recovery job, open does not rescan', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  for (let i = 0; i < 25; i++) log.append(makeBatch({ records: 2 }), 0)
  const image = `${dir}-image`
  cpSync(dir, image, { recursive: true })
  log.close()
  try {
    const report = recoverPartitionDir(image, config)
    assert.is(report.logEndOffset, 50)
    const reopened = PartitionLog.open({ dir: image, config })
    assert.is(reopened.recovery, null)
    assert.is(reopened.logEndOffset, 50)
    reopened.close()
  } finally {
    rmSync(image, { recursive: true, force: true })
  }
})

crash('a missing recovery point means a full scan', ({ dir, config }) => {
  const { all } = fill(dir, config, 30)
  unlinkSync(join(dir, 'recovery-point-offset-checkpoint'))
  const report = recoverPartitionDir(dir, config)
  assert.is(report.validatedBatches, all.length)
  assert.is(report.logEndOffset, 90)
  assert.is(report.truncatedBytes, 0)
  assert.is(report.rebuiltIndexes, 0)
})

crash('an empty directory recovers to an empty log', ({ dir, config }) => {
  const report = recoverPartitionDir(dir, config)
  assert.is(report.logEndOffset, 0)
  assert.is(report.segments, 0)
})

crash('the in-memory store recovers the same way', ({ config }) => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config, store })
  for (let i = 0; i < 10; i++) log.append(makeBatch({ records: 2 }), 0)
  log.close()
  const name = store.list().filter(n => n.endsWith('.log')).sort().at(-1) as string
  const file = store.open(name)
  file.truncate(file.size - 3)
  file.close()
  const report = recoverStore(store, config)
  assert.is(report.logEndOffset, 18)
  assert.is(PartitionLog.open({ dir: null, config, store }).logEndOffset, 18)
})

crash.run()

// ---
const indexes = withDir('index rebuild')

indexes('a deleted .index and a corrupted .timeindex are rebuilt as they were', ({ dir, config }) => {
  const { bases } = fill(dir, config, 40)
  const offsetIndex = segmentFile(dir, bases[0], '.index')
  const timeIndex = segmentFile(dir, bases[1], '.timeindex')
  const offsetBefore = readFileSync(offsetIndex)
  const timeBefore = readFileSync(timeIndex)
  assert.ok(offsetBefore.length > 0 && timeBefore.length > 12)
  unlinkSync(offsetIndex)
  const broken = Buffer.from(timeBefore)
  broken.writeInt32BE(0, 0)
  broken.writeUInt32BE(999_999, 4) // first entry's timestamp now above the next one
  writeFileSync(timeIndex, broken)
  const report = recoverPartitionDir(dir, config)
  assert.is(report.rebuiltIndexes, 2)
  assert.equal(readFileSync(offsetIndex), offsetBefore)
  assert.equal(readFileSync(timeIndex), timeBefore)
})

indexes('an index with a torn entry or pointing past the log is rebuilt', ({ dir, config }) => {
  const { bases } = fill(dir, config, 40)
  const a = segmentFile(dir, bases[0], '.index')
  const b = segmentFile(dir, bases[1], '.index')
  const aBefore = readFileSync(a)
  const bBefore = readFileSync(b)
  appendFileSync(a, Buffer.from([0, 0, 0]))
  const far = Buffer.alloc(8)
  far.writeInt32BE(1000, 0)
  far.writeInt32BE(1_000_000, 4)
  appendFileSync(b, far)
  assert.is(recoverPartitionDir(dir, config).rebuiltIndexes, 2)
  assert.equal(readFileSync(a), aBefore)
  assert.equal(readFileSync(b), bBefore)
})

indexes('open rebuilds a closed segment\'s missing indexes when it first needs them', ({ dir, config }) => {
  const { bases, all, bytes } = fill(dir, config, 40)
  const offsetIndex = segmentFile(dir, bases[0], '.index')
  const timeIndex = segmentFile(dir, bases[0], '.timeindex')
  const offsetBefore = readFileSync(offsetIndex)
  const timeBefore = readFileSync(timeIndex)
  unlinkSync(offsetIndex)
  writeFileSync(timeIndex, Buffer.from([1, 2, 3, 4, 5]))
  const log = PartitionLog.open({ dir, config })
  assert.is(log.recovery, null)
  for (const b of all) assert.is(batchesIn(log.readBytes(b.lastOffset, 1, log.logEndOffset).bytes)[0].baseOffset, b.baseOffset)
  assert.equal(readAll(log), bytes)
  assert.equal(log.offsetForTimestamp(1015), { status: LogStatus.Ok, offset: 6, timestamp: 1020 })
  assert.equal(readFileSync(offsetIndex), offsetBefore)
  assert.equal(readFileSync(timeIndex), timeBefore)
  log.close()
})

indexes('a damaged index of the active segment sends open to recovery', ({ dir, config }) => {
  const { bases, bytes } = fill(dir, config, 40)
  const active = segmentFile(dir, bases[bases.length - 1], '.index')
  writeFileSync(active, Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 2]))
  const log = PartitionLog.open({ dir, config })
  assert.equal(readAll(log), bytes)
  assert.is(log.logEndOffset, 120)
  log.close()
})

indexes.run()
