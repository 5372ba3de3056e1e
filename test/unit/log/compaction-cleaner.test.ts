import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { LogCleaner, type Cleanable } from '../../../src/dispatcher/log-cleaner.js'
import { silentLogger } from '../../../src/logger.js'
import { CoordinatorLog } from '../../../src/coordinator/coordinator-log.js'
import { LogStatus } from '../../../src/log/errors.js'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../../../src/log/config.js'
import { BatchBuilder, Compression } from '../../../src/protocol/record-batch.js'
import { baseOffsetOf, recordCountOf } from '../../../src/protocol/batch-header.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

/** A Cleanable over a log on this thread, as the coordinator registers its offsets log. */
function cleanableOf (log: PartitionLog, name: string): Cleanable & { commits: number } {
  const source = {
    name,
    commits: 0,
    planClean: async (now: number) => log.planClean(now),
    cleanInline: async (plan: Parameters<PartitionLog['cleanInline']>[0]) => log.cleanInline(plan),
    commitClean: async (result: Parameters<PartitionLog['commitClean']>[0]) => {
      source.commits++
      return log.commitClean(result) === LogStatus.Ok
    }
  }
  return source
}

/** Commits of `groups` × `partitions` offsets, `rounds` times over: the same keys again and again. */
function commitRounds (log: CoordinatorLog, rounds: number, now: number): Map<string, string> {
  const latest = new Map<string, string>()
  for (let round = 0; round < rounds; round++) {
    for (let g = 0; g < 3; g++) {
      const records: Array<[Buffer, Buffer | null]> = []
      for (let p = 0; p < 4; p++) {
        const key = `offset:g${g}:t:${p}`
        const value = `${round * 100 + p}:${'m'.repeat(40)}`
        records.push([Buffer.from(key), Buffer.from(value)])
        latest.set(key, value)
      }
      assert.is(log.write(records, now), LogStatus.Ok)
    }
  }
  return latest
}

function replayed (log: CoordinatorLog): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = []
  log.replay((key, value) => { out.push([key.toString(), value === null ? null : value.toString()]) })
  return out
}

const cleaner = suite('log cleaner passes')

for (const where of ['memory', 'disk'] as const) {
  cleaner(`${where}: a registered offsets log is compacted by cleanNow and replays to the latest commit per key`, async () => {
    const dir = where === 'disk' ? tmpDir('millrace-offsets-') : null
    const offsets = CoordinatorLog.open(dir, { 'segment.bytes': '2000', 'min.cleanable.dirty.ratio': '0.1' })
    try {
      const now = Date.now()
      const latest = commitRounds(offsets, 20, now)
      // One more small write so the last commit round is in a closed segment too.
      offsets.write([[Buffer.from('zz-roll'), Buffer.alloc(2100)]], now)
      offsets.write([[Buffer.from('zz-roll'), Buffer.from('end')]], now)
      const before = offsets.log.size
      const cleanerPass = new LogCleaner({ intervalMs: 60_000, runJob: null, partitions: () => [], logger: silentLogger })
      const source = cleanableOf(offsets.log, '__consumer_offsets-0')
      const unregister = cleanerPass.register(source)
      const report = await cleanerPass.cleanNow()
      assert.is(report.cleaned, 1)
      assert.is(source.commits, 1)
      assert.ok(offsets.log.size < before / 5, `${offsets.log.size} bytes of ${before}`)
      const seen = replayed(offsets).filter(([k]) => k !== 'zz-roll')
      assert.equal(new Map(seen), latest)
      assert.is(seen.length, latest.size, 'one record per key')
      // Nothing dirty: the next pass plans nothing; an unregistered source is not visited.
      assert.is((await cleanerPass.cleanNow()).skipped, 1)
      unregister()
      assert.equal(await cleanerPass.cleanNow(), { cleaned: 0, skipped: 0, failed: 0, results: [] })
      await cleanerPass.stop()
    } finally {
      offsets.close()
      if (dir !== null) removeDir(dir)
    }
  })
}

cleaner('a failing source is counted and the pass goes on; after stop nothing is committed', async () => {
  const offsets = CoordinatorLog.open(null, { 'segment.bytes': '2000', 'min.cleanable.dirty.ratio': '0' })
  try {
    commitRounds(offsets, 10, Date.now())
    offsets.write([[Buffer.from('zz-roll'), Buffer.alloc(2100)]], Date.now())
    const pass = new LogCleaner({ intervalMs: 60_000, runJob: null, partitions: () => [], logger: silentLogger })
    const broken: Cleanable = { name: 'broken', planClean: async () => { throw new Error('worker gone') }, commitClean: async () => {} }
    const good = cleanableOf(offsets.log, 'offsets')
    pass.register(broken)
    pass.register(good)
    const report = await pass.cleanNow()
    assert.is(report.failed, 1)
    assert.is(report.cleaned, 1)
    commitRounds(offsets, 10, Date.now())
    offsets.write([[Buffer.from('zz-roll'), Buffer.alloc(2100)]], Date.now())
    await pass.stop()
    assert.equal(await pass.cleanNow(), { cleaned: 0, skipped: 0, failed: 0, results: [] })
    assert.is(good.commits, 1)
  } finally {
    offsets.close()
  }
})

cleaner.run()

// ---

const bombs = suite('log cleaner: batches that inflate past the cap')

bombs('a stored batch inflating past max.message.bytes × 32 is kept unread, counted and logged', async () => {
  const topicConfig = { 'cleanup.policy': 'compact', 'segment.bytes': '4096', 'min.cleanable.dirty.ratio': '0.01', 'max.message.bytes': '1048576' }
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig(topicConfig) })
  // 8 MiB of one byte: a few hundred bytes of zstd, taken while the cap is 32 MiB.
  const bomb = new BatchBuilder({ compression: Compression.Zstd })
  for (let i = 0; i < 8; i++) bomb.append(1_700_000_000_000, Buffer.from('k'), Buffer.alloc(1024 * 1024, 0x61))
  assert.is(log.append(bomb.build(), 0).status, LogStatus.Ok)
  for (let i = 0; i < 40; i++) {
    const b = new BatchBuilder()
    b.append(1_700_000_000_000 + i, Buffer.from(`key-${i % 4}`), Buffer.alloc(200, i))
    assert.is(log.append(b.build(), 0).status, LogStatus.Ok)
  }
  log.setHighWatermark(log.logEndOffset)
  // Lowered since: the stored batch now inflates past its topic's cap of 2 MiB.
  log.setConfig(logConfigFromTopicConfig({ ...topicConfig, 'max.message.bytes': '65536' }))
  const capture = new CaptureLogger()
  const pass = new LogCleaner({ intervalMs: 60_000, runJob: null, partitions: () => [], logger: capture.logger })
  pass.register(cleanableOf(log, 'bombed-0'))
  const report = await pass.cleanNow()
  assert.is(report.cleaned, 1)
  assert.is(report.results[0].unreadableBatches, 1)
  const line = capture.lines.find(l => l.msg.includes('could not read'))
  assert.ok(line !== undefined, 'the unreadable batch is logged')
  assert.equal(line.fields, { partition: 'bombed-0', unreadableBatches: 1 })
  // Offset 0 (the bomb) is still there: kept as it was, never silently dropped.
  const kept = log.readBytes(0, 1 << 20, log.highWatermark).bytes
  assert.is(baseOffsetOf(kept, 0), 0)
  assert.is(recordCountOf(kept, 0), 8)
  await pass.stop()
  log.close()
})

bombs.run()
