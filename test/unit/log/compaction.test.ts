import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rmSync } from 'node:fs'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { DiskStore, MemoryStore, type LogStore } from '../../../src/log/store.js'
import { readCleanerCheckpoint, type CleanResult } from '../../../src/log/compaction.js'
import { cleanPartitionDir, CLEANED_SUFFIX } from '../../../src/log/segment-cleaner.js'
import { swapSteps, SWAP_MANIFEST_FILE, writeSwapManifest } from '../../../src/log/clean-swap.js'
import { RECOVERY_POINT_FILE } from '../../../src/log/checkpoint.js'
import { ATTR_DELETE_HORIZON } from '../../../src/protocol/batch-header.js'
import { BatchBuilder, Compression, decodeBatches, type DecodedBatch } from '../../../src/protocol/record-batch.js'
import { makeBatch } from './batches.js'
import { tmpDir } from '../../helpers/tmp-dir.js'
import { xorshift } from '../../helpers/seeded-random.js'

type Kind = 'memory' | 'file'
type Rec = [string, string | null]

const T0 = 1_700_000_000_000
/** Small segments: a batch of a few records rolls the log. */
const COMPACT = { 'cleanup.policy': 'compact', 'segment.bytes': '400', 'min.cleanable.dirty.ratio': '0', 'index.interval.bytes': '100' }

class Harness {
  readonly kind: Kind
  readonly dir: string | null
  readonly memory = new MemoryStore()
  clock = T0
  log: PartitionLog | null = null
  config: Record<string, string> = COMPACT

  constructor (kind: Kind) {
    this.kind = kind
    this.dir = kind === 'file' ? tmpDir('millrace-compact-') : null
  }

  get store (): LogStore { return this.dir === null ? this.memory : new DiskStore(this.dir) }

  open (config: Record<string, string> = this.config): PartitionLog {
    this.config = config
    const now = (): number => this.clock
    this.log = PartitionLog.open({ dir: this.dir, config: logConfigFromTopicConfig(config), now, store: this.dir === null ? this.memory : undefined })
    return this.log
  }

  /** Opens again without closing: what a crash leaves. */
  crashAndOpen (): PartitionLog { return this.open() }

  cleanup (): void {
    this.log?.close()
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true })
  }
}

interface Ctx { h: Harness }

/** Appends one batch of `records` (key, value; null value = tombstone) stamped with the clock; returns their offsets. */
function produce (h: Harness, records: Rec[], compression = Compression.None): number[] {
  const builder = new BatchBuilder({ compression })
  for (const [k, v] of records) builder.append(h.clock, Buffer.from(k), v === null ? null : Buffer.from(v))
  const log = h.log!
  const result = log.append(builder.build(), 0)
  assert.is(result.status, LogStatus.Ok)
  log.setHighWatermark(log.logEndOffset)
  return records.map((_, i) => result.baseOffset + i)
}

interface Seen { offset: number, key: string, value: string | null, timestamp: number }

/** Every record from the log start on, as a consumer reads it (advancing by lastOffsetDelta). */
function consume (log: PartitionLog): { records: Seen[], batches: DecodedBatch[] } {
  const records: Seen[] = []
  const batches: DecodedBatch[] = []
  let offset = log.logStartOffset
  while (offset < log.highWatermark) {
    const read = log.readBytes(offset, 1 << 20, log.highWatermark)
    assert.is(read.status, LogStatus.Ok)
    if (read.bytes.length === 0) break
    for (const batch of decodeBatches(read.bytes, { verifyCrc: true })) {
      batches.push(batch)
      for (const r of batch.records) if (r.offset >= offset) records.push({ offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString(), timestamp: r.timestamp })
      offset = batch.baseOffset + batch.lastOffsetDelta + 1
    }
  }
  return { records, batches }
}

/** One plan → clean → commit on the log's own thread; null when nothing was planned. */
function cleanPass (h: Harness, now = h.clock, viaJob = false): CleanResult | null {
  const log = h.log!
  const plan = log.planClean(now)
  if (plan === null) return null
  const result = viaJob ? cleanPartitionDir(plan) : log.cleanInline(plan)
  assert.is(log.commitClean(result), LogStatus.Ok)
  return result
}

/** Keys k0..k{keys-1}, `rounds` values each, one batch per round of `perBatch` records; returns the expected view. */
function fill (h: Harness, keys: number, rounds: number, compression = Compression.None): Map<string, { value: string, offset: number }> {
  const latest = new Map<string, { value: string, offset: number }>()
  for (let r = 0; r < rounds; r++) {
    const records: Rec[] = []
    for (let k = 0; k < keys; k++) records.push([`k${k}`, `v${k}-${r}`])
    const offsets = produce(h, records, compression)
    records.forEach(([k, v], i) => latest.set(k, { value: v!, offset: offsets[i] }))
    h.clock += 10
  }
  return latest
}

/** Rolls the log with a batch of one key no test reads, so everything before it is closed. */
function roll (h: Harness): void {
  const log = h.log!
  const before = log.segmentBaseOffsets.length
  while (log.segmentBaseOffsets.length === before) produce(h, [['zz-roll', 'end']])
}

function assertLatest (log: PartitionLog, expected: Map<string, { value: string, offset: number }>): void {
  const seen = consume(log).records.filter(r => !r.key.startsWith('zz-'))
  assert.equal(seen.map(r => [r.key, r.value, r.offset]), [...expected].sort((a, b) => a[1].offset - b[1].offset).map(([k, e]) => [k, e.value, e.offset]))
}

function define (kind: Kind, name: string): ReturnType<typeof suite<Ctx>> {
  const s = suite<Ctx>(`${kind}: ${name}`, { h: null as unknown as Harness })
  s.before.each(ctx => { ctx.h = new Harness(kind) })
  s.after.each(ctx => { ctx.h.cleanup() })
  return s
}

for (const kind of ['memory', 'file'] as Kind[]) {
  const latest = define(kind, 'compaction keeps the latest value per key')

  latest('several segments clean down to one record per key, offsets unchanged, gaps left', ({ h }) => {
    const log = h.open()
    const expected = fill(h, 5, 12)
    roll(h)
    const segmentsBefore = log.segmentBaseOffsets.length
    const end = log.logEndOffset
    const result = cleanPass(h, h.clock, kind === 'file')!
    assert.ok(result !== null)
    assert.ok(result.records >= 60)
    // One record per key, plus the last of the rolling filler when some of it was closed.
    assert.is(result.keptRecords, result.records > 60 ? 6 : 5)
    assert.is(log.logEndOffset, end)
    assertLatest(log, expected)
    assert.is(readCleanerCheckpoint(h.store).firstDirtyOffset, log.segmentBaseOffsets[log.segmentBaseOffsets.length - 1])
    assert.ok(!h.store.list().some(n => n.endsWith(CLEANED_SUFFIX) || n === SWAP_MANIFEST_FILE))
    // The next pass merges the small cleaned segments.
    produce(h, [['k1', 'last']])
    expected.set('k1', { value: 'last', offset: log.logEndOffset - 1 })
    roll(h)
    cleanPass(h, h.clock, kind === 'file')
    assertLatest(log, expected)
    assert.ok(log.segmentBaseOffsets.length < segmentsBefore, `${log.segmentBaseOffsets.length} segments of ${segmentsBefore}`)
  })

  latest('a batch keeps its base offset, offset range, producer fields and attributes; empty batches go', ({ h }) => {
    const log = h.open()
    const first = produce(h, [['a', '1'], ['b', '1'], ['c', '1']])
    produce(h, [['a', '2'], ['b', '2']])
    roll(h)
    cleanPass(h)
    const { batches } = consume(log)
    const kept = batches.filter(b => b.records.some(r => !r.key!.toString().startsWith('zz-')))
    assert.equal(kept.map(b => [b.baseOffset, b.lastOffsetDelta, b.recordCount, b.producerId, b.compression]), [[first[0], 2, 1, -1, 0], [3, 1, 2, -1, 0]])
    assert.equal(kept[0].records.map(r => [r.offset, r.key!.toString()]), [[2, 'c']])
  })

  latest('the active segment is never cleaned, nor what is above the high watermark', ({ h }) => {
    const log = h.open({ ...COMPACT, 'segment.bytes': '100000' })
    fill(h, 3, 4)
    assert.is(log.planClean(h.clock), null, 'one active segment')
    h.open({ ...COMPACT })
    const l2 = h.log!
    fill(h, 3, 4)
    l2.setHighWatermark(l2.segmentBaseOffsets[1])
    const plan = l2.planClean(h.clock)!
    assert.equal(plan.segments.map(s => s.baseOffset), [l2.segmentBaseOffsets[0]])
  })

  const gaps = define(kind, 'reads and lookups across gaps')

  gaps('a fetch at a cleaned-away offset returns the next surviving batch; every offset still reads', ({ h }) => {
    const log = h.open()
    const rnd = xorshift(7)
    const expected = new Map<string, { value: string, offset: number }>()
    for (let i = 0; i < 60; i++) {
      const key = `k${rnd() % 8}`
      const [offset] = produce(h, [[key, `v${i}`]])
      expected.set(key, { value: `v${i}`, offset })
      h.clock += 5
    }
    roll(h)
    const end = log.logEndOffset
    cleanPass(h)
    assertLatest(log, expected)
    const survivors = [...expected.values()].map(e => e.offset).sort((a, b) => a - b)
    for (let offset = 0; offset < survivors[survivors.length - 1]; offset++) {
      const read = log.read(offset, 1, end)
      assert.is(read.status, LogStatus.Ok)
      const next = survivors.find(o => o >= offset)!
      assert.is(read.firstOffset, next, `fetch at ${offset}`)
    }
    // ListOffsets by time lands on a surviving batch at or after the time.
    const lookup = log.offsetForTimestamp(T0 + 5 * 30)
    assert.is(lookup.status, LogStatus.Ok)
    assert.is(lookup.offset, survivors.find(o => o >= 30))
    assert.is(log.offsetForTimestamp(-1).offset, end)
    assert.is(log.read(end, 1000, end).length, 0)
  })

  gaps('a segment cleaned to nothing is read past', ({ h }) => {
    const log = h.open({ ...COMPACT, 'segment.bytes': '150' })
    produce(h, [['a', 'old']])
    produce(h, [['b', 'old']])
    produce(h, [['a', 'new']])
    produce(h, [['b', 'new']])
    roll(h)
    const result = cleanPass(h)!
    assert.ok(result.writtenBytes > 0)
    const { records } = consume(log)
    assert.equal(records.filter(r => r.key !== 'zz-roll').map(r => [r.offset, r.key, r.value]), [[2, 'a', 'new'], [3, 'b', 'new']])
    assert.is(log.read(0, 1000, log.highWatermark).firstOffset, 2)
  })

  const tombstones = define(kind, 'tombstones')

  tombstones('a tombstone stays delete.retention.ms after the first clean passed it, then goes', ({ h }) => {
    const log = h.open({ ...COMPACT, 'delete.retention.ms': '1000' })
    produce(h, [['a', '1'], ['b', '1'], ['c', '1']])
    h.clock += 10
    const [tomb] = produce(h, [['a', null], ['b', '2']])
    roll(h)
    cleanPass(h, T0 + 100)
    let view = consume(log)
    assert.equal(view.records.filter(r => !r.key.startsWith('zz')).map(r => [r.key, r.value]), [['c', '1'], ['a', null], ['b', '2']])
    const stamped = view.batches.find(b => b.baseOffset === tomb)!
    assert.ok((stamped.attributes & ATTR_DELETE_HORIZON) !== 0)
    assert.is(stamped.baseTimestamp, T0 + 100 + 1000, 'the delete horizon')
    assert.equal(stamped.records.map(r => r.timestamp), [T0 + 10, T0 + 10], 'record timestamps do not change')
    assert.is(readCleanerCheckpoint(h.store).earliestHorizon, T0 + 1100)

    assert.is(log.planClean(T0 + 1099), null, 'nothing dirty and the horizon is ahead')
    const result = cleanPass(h, T0 + 1100)!
    assert.is(result.droppedTombstones, 1)
    view = consume(log)
    assert.equal(view.records.filter(r => !r.key.startsWith('zz')).map(r => [r.key, r.value]), [['c', '1'], ['b', '2']])
    assert.is(readCleanerCheckpoint(h.store).earliestHorizon, -1)
  })

  tombstones('with delete.retention.ms at Long.MAX a tombstone stays and record timestamps stay exact', ({ h }) => {
    const log = h.open({ ...COMPACT, 'delete.retention.ms': '9223372036854775807' })
    produce(h, [['a', null], ['b', 'kept']])
    roll(h)
    cleanPass(h)
    cleanPass(h, h.clock + 365 * 86_400_000 * 1000) // a thousand years on
    const view = consume(log).records.filter(r => !r.key.startsWith('zz'))
    assert.equal(view.map(r => [r.key, r.value, r.timestamp]), [['a', null, T0], ['b', 'kept', T0]])
  })

  tombstones('a tombstone that is superseded by a later value is dropped at once', ({ h }) => {
    const log = h.open()
    produce(h, [['a', '1']])
    produce(h, [['a', null]])
    produce(h, [['a', '3']])
    roll(h)
    cleanPass(h)
    assert.equal(consume(log).records.filter(r => r.key === 'a').map(r => r.value), ['3'])
  })

  const policy = define(kind, 'when the cleaner runs')

  policy('min.cleanable.dirty.ratio holds a clean back until enough is dirty', ({ h }) => {
    const log = h.open({ ...COMPACT, 'min.cleanable.dirty.ratio': '0.5' })
    fill(h, 30, 2)
    roll(h)
    assert.ok(cleanPass(h) !== null)
    // One more small batch: little dirty against the cleaned bytes.
    produce(h, [['k0', 'later']])
    roll(h)
    assert.is(log.planClean(h.clock), null)
    fill(h, 30, 2)
    roll(h)
    const plan = log.planClean(h.clock)!
    assert.is(plan.reason, 'dirty-ratio')
    assert.is(plan.firstDirtyOffset, readCleanerCheckpoint(h.store).firstDirtyOffset)
  })

  policy('max.compaction.lag.ms forces a clean below the ratio', ({ h }) => {
    const log = h.open({ ...COMPACT, 'min.cleanable.dirty.ratio': '0.99', 'max.compaction.lag.ms': '60000' })
    fill(h, 4, 10)
    roll(h)
    assert.ok(cleanPass(h) !== null)
    produce(h, [['k0', 'later']])
    roll(h)
    assert.is(log.planClean(h.clock), null)
    assert.is(log.planClean(h.clock + 60_001)!.reason, 'max-lag')
  })

  policy('min.compaction.lag.ms keeps young segments out', ({ h }) => {
    const log = h.open({ ...COMPACT, 'min.compaction.lag.ms': '10000' })
    fill(h, 4, 6)
    roll(h)
    assert.is(log.planClean(h.clock), null)
    const plan = log.planClean(h.clock + 10_000)!
    assert.is(plan.endOffset, log.segmentBaseOffsets[log.segmentBaseOffsets.length - 1])
  })

  policy('a delete-only topic is never planned; compact,delete still applies retention', ({ h }) => {
    let log = h.open({ ...COMPACT, 'cleanup.policy': 'delete' })
    fill(h, 4, 6)
    roll(h)
    assert.is(log.planClean(h.clock), null)
    log.close()
    log = h.open({ ...COMPACT, 'cleanup.policy': 'compact,delete', 'retention.ms': '1000' })
    const segments = log.segmentBaseOffsets.length
    assert.ok(log.applyRetention(h.clock + 100_000) > 0)
    assert.ok(log.segmentBaseOffsets.length < segments)
  })

  policy('a result made stale by retention is discarded, not swapped in', ({ h }) => {
    const log = h.open({ ...COMPACT, 'cleanup.policy': 'compact,delete', 'retention.ms': '1000' })
    fill(h, 4, 6)
    roll(h)
    const plan = log.planClean(h.clock)!
    const result = log.cleanInline(plan)
    assert.ok(log.applyRetention(h.clock + 100_000) > 0)
    assert.is(log.commitClean(result), LogStatus.NotFound)
    assert.ok(!h.store.list().some(n => n.endsWith(CLEANED_SUFFIX)))
    assert.is(consume(log).records.length, log.logEndOffset - log.logStartOffset)
  })

  const codecs = define(kind, 'compressed batches')

  for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    codecs(`codec ${Compression[codec]}: re-compressed with its own codec`, ({ h }) => {
      const log = h.open()
      const expected = fill(h, 6, 5, codec)
      // Half the keys again: the last batch keeps only some records.
      produce(h, [['k0', 'x0'], ['k1', 'x1'], ['k2', null]], codec)
      expected.set('k0', { value: 'x0', offset: log.logEndOffset - 3 })
      expected.set('k1', { value: 'x1', offset: log.logEndOffset - 2 })
      expected.delete('k2')
      roll(h)
      cleanPass(h)
      const { records, batches } = consume(log)
      for (const b of batches) if (!b.records.some(r => r.key!.toString().startsWith('zz'))) assert.is(b.compression, codec)
      const view = records.filter(r => !r.key.startsWith('zz') && r.value !== null)
      assert.equal(view.map(r => [r.key, r.value, r.offset]), [...expected].sort((a, b) => a[1].offset - b[1].offset).map(([k, e]) => [k, e.value, e.offset]))
      assert.ok(records.some(r => r.key === 'k2' && r.value === null), 'the tombstone waits for its horizon')
    })
  }

  const crash = define(kind, 'crash safety')

  crash('a crash at each step of the swap leaves a log that opens to the cleaned view', ({ h }) => {
    h.open()
    const expected = fill(h, 5, 8)
    roll(h)
    const end = h.log!.logEndOffset
    const plan = h.log!.planClean(h.clock)!
    const result = h.log!.cleanInline(plan)
    const steps = swapSteps(h.store, result.groups.map(g => g.replaces)).length
    assert.ok(steps > 5)
    h.log!.close()
    // Keep a copy of the directory as it was before the swap, to replay each crash point.
    const snapshot = new Map<string, Buffer>()
    for (const name of h.store.list()) snapshot.set(name, h.store.readAll(name)!)
    for (let k = -1; k <= steps; k++) {
      const store = h.store
      for (const name of store.list()) store.remove(name)
      for (const [name, bytes] of snapshot) store.writeAtomic(name, bytes)
      if (k >= 0) {
        writeSwapManifest(store, result.groups)
        const all = swapSteps(store, result.groups.map(g => g.replaces))
        for (let i = 0; i < k; i++) all[i]()
      }
      const log = h.crashAndOpen()
      assert.is(log.logEndOffset, end, `crash point ${k}`)
      const names = store.list()
      assert.ok(!names.some(n => n.endsWith(CLEANED_SUFFIX) || n === SWAP_MANIFEST_FILE), `crash point ${k}: leftovers ${names.join(',')}`)
      if (k < 0) {
        assert.is(consume(log).records.length, end, 'uncommitted: the old segments stay')
      } else {
        assertLatest(log, expected)
        assert.is(consume(log).records.length, expected.size + 2, `crash point ${k}: swapped`)
      }
      log.close()
    }
  })

  crash('a cleaned log reopens, and a full recovery scan accepts its gaps and short batches', ({ h }) => {
    let log = h.open()
    const expected = fill(h, 5, 8)
    roll(h)
    cleanPass(h)
    log.close()
    log = h.open()
    assertLatest(log, expected)
    log.close()
    // No recovery point and no indexes: every segment is validated and re-indexed from its headers.
    const store = h.store
    store.remove(RECOVERY_POINT_FILE)
    for (const name of store.list()) if (name.endsWith('.index') || name.endsWith('.timeindex')) store.remove(name)
    log = h.open()
    assert.ok(log.recovery !== null)
    assert.is(log.recovery!.truncatedBytes, 0)
    assert.is(log.recovery!.deletedSegments, 0)
    assertLatest(log, expected)
    // And it can be cleaned again after more writes.
    produce(h, [['k0', 'again']])
    expected.set('k0', { value: 'again', offset: log.logEndOffset - 1 })
    roll(h)
    cleanPass(h)
    assertLatest(log, expected)
  })

  const keys = define(kind, 'null keys')

  for (const s of [latest, gaps, tombstones, policy, codecs, crash]) s.run()

  keys('a record without a key is refused on a compacted topic only (INVALID_RECORD)', ({ h }) => {
    let log = h.open()
    assert.is(log.append(makeBatch({ records: 2 }), 0).status, LogStatus.InvalidRecord)
    const gz = new BatchBuilder({ compression: Compression.Gzip })
    gz.append(T0, Buffer.from('k'), Buffer.from('v'))
    gz.append(T0, null, Buffer.from('v'))
    assert.is(log.append(gz.build(), 0).status, LogStatus.InvalidRecord, 'checked inside a compressed batch too')
    assert.is(log.logEndOffset, 0)
    produce(h, [['k', 'v']])
    log.close()
    log = h.open({ ...COMPACT, 'cleanup.policy': 'delete' })
    assert.is(log.append(makeBatch({ records: 2 }), 0).status, LogStatus.Ok)
  })
  keys.run()
}

const config = suite('compaction topic configs')

config('defaults are Kafka\'s', () => {
  const c = logConfigFromTopicConfig({})
  assert.is(c.deleteRetentionMs, 86400000)
  assert.is(c.minCleanableDirtyRatio, 0.5)
  assert.is(c.minCompactionLagMs, 0)
  assert.is(c.maxCompactionLagMs, Number.MAX_SAFE_INTEGER)
  assert.equal(logConfigFromTopicConfig({ 'max.compaction.lag.ms': '9223372036854775807' }).maxCompactionLagMs, Number.MAX_SAFE_INTEGER)
})

config('cleanup.policy takes delete, compact, and both in either order', () => {
  assert.equal(logConfigFromTopicConfig({ 'cleanup.policy': 'compact' }).cleanupPolicy, ['compact'])
  assert.equal(logConfigFromTopicConfig({ 'cleanup.policy': 'compact,delete' }).cleanupPolicy, ['compact', 'delete'])
  assert.equal(logConfigFromTopicConfig({ 'cleanup.policy': 'delete, compact' }).cleanupPolicy, ['delete', 'compact'])
  assert.throws(() => logConfigFromTopicConfig({ 'cleanup.policy': 'compacted' }), /cleanup\.policy/)
})

config('bad values are refused with the key and the rule', () => {
  assert.is(logConfigFromTopicConfig({ 'min.cleanable.dirty.ratio': '0.25' }).minCleanableDirtyRatio, 0.25)
  assert.throws(() => logConfigFromTopicConfig({ 'min.cleanable.dirty.ratio': '1.5' }), /min\.cleanable\.dirty\.ratio.*from 0 to 1/)
  assert.throws(() => logConfigFromTopicConfig({ 'min.cleanable.dirty.ratio': 'half' }), /min\.cleanable\.dirty\.ratio/)
  assert.throws(() => logConfigFromTopicConfig({ 'delete.retention.ms': '-1' }), /delete\.retention\.ms/)
  assert.throws(() => logConfigFromTopicConfig({ 'min.compaction.lag.ms': '-5' }), /min\.compaction\.lag\.ms/)
  assert.throws(() => logConfigFromTopicConfig({ 'max.compaction.lag.ms': '0' }), /max\.compaction\.lag\.ms/)
  assert.throws(() => logConfigFromTopicConfig({ 'min.compaction.lag.ms': '100', 'max.compaction.lag.ms': '50' }), /must not be greater than max\.compaction\.lag\.ms/)
})

config.run()
