import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, rmSync } from 'node:fs'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { MemoryStore } from '../../../src/log/store.js'
import { ATTR_TIMESTAMP_TYPE, attributesOf, BatchCheck, checkBatch, sealCrc } from '../../../src/protocol/batch-header.js'
import { batchesIn, controlBatch, makeBatch } from './batches.js'
import { tmpDir } from '../../helpers/tmp-dir.js'

type Kind = 'memory' | 'file'

/** Opens logs of one kind on one directory (or one MemoryStore), with a settable clock. */
class Harness {
  readonly kind: Kind
  readonly dir: string | null
  store: MemoryStore
  clock = 1_700_000_000_000
  log: PartitionLog | null = null

  constructor (kind: Kind) {
    this.kind = kind
    this.dir = kind === 'file' ? tmpDir('millrace-log-') : null
    this.store = new MemoryStore()
  }

  open (topicConfig: Record<string, string> = {}): PartitionLog {
    const config = logConfigFromTopicConfig(topicConfig)
    const now = (): number => this.clock
    this.log = this.kind === 'file'
      ? PartitionLog.open({ dir: this.dir, config, now })
      : PartitionLog.open({ dir: null, config, now, store: this.store })
    return this.log
  }

  reopen (topicConfig: Record<string, string> = {}): PartitionLog {
    this.log?.close()
    return this.open(topicConfig)
  }

  cleanup (): void {
    this.log?.close()
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true })
  }
}

interface Ctx { h: Harness }

function append (log: PartitionLog, batch: Buffer, epoch = 0): number {
  const result = log.append(batch, epoch)
  assert.is(result.status, LogStatus.Ok)
  log.setHighWatermark(log.logEndOffset)
  return result.baseOffset
}

function define (kind: Kind, name: string): ReturnType<typeof suite<Ctx>> {
  const s = suite<Ctx>(`${kind}: ${name}`, { h: null as unknown as Harness })
  s.before.each(ctx => { ctx.h = new Harness(kind) })
  s.after.each(ctx => { ctx.h.cleanup() })
  return s
}

for (const kind of ['memory', 'file'] as Kind[]) {
  // ---
  const roundTrip = define(kind, 'append and read round trip')

  roundTrip('a single batch gets offsets, epoch, and reads back byte for byte', ({ h }) => {
    const log = h.open()
    const batch = makeBatch({ records: 10 })
    const result = log.append(batch, 3)
    assert.equal(result, { status: LogStatus.Ok, baseOffset: 0, lastOffset: 9, logAppendTime: -1, logStartOffset: 0, synced: false, fault: null })
    assert.is(log.logEndOffset, 10)
    const read = log.readBytes(0, 1 << 20, log.logEndOffset)
    assert.is(read.status, LogStatus.Ok)
    assert.equal(read.bytes, batch)
    const [info] = batchesIn(read.bytes)
    assert.is(info.baseOffset, 0)
    assert.is(info.leaderEpoch, 3)
    assert.is(checkBatch(read.bytes, 0), BatchCheck.Ok)
  })

  roundTrip('several batches in one append get contiguous offsets', ({ h }) => {
    const log = h.open()
    append(log, makeBatch({ records: 2 }))
    const records = Buffer.concat([makeBatch({ records: 3 }), makeBatch({ records: 1 }), makeBatch({ records: 5 })])
    const result = log.append(records, 0)
    assert.is(result.baseOffset, 2)
    assert.is(result.lastOffset, 10)
    assert.is(log.logEndOffset, 11)
    const bytes = log.readBytes(2, 1 << 20, 11).bytes
    assert.equal(batchesIn(bytes).map(b => [b.baseOffset, b.lastOffset]), [[2, 4], [5, 5], [6, 10]])
  })

  roundTrip('a read from the middle of a batch starts at that batch', ({ h }) => {
    const log = h.open()
    append(log, makeBatch({ records: 10 }))
    append(log, makeBatch({ records: 10 }))
    const read = log.read(15, 1 << 20, 20)
    assert.is(read.status, LogStatus.Ok)
    assert.is(read.firstOffset, 10)
    assert.equal(batchesIn(log.readBytes(15, 1 << 20, 20).bytes).map(b => b.baseOffset), [10])
  })

  roundTrip('every offset is found through a sparse index', ({ h }) => {
    const log = h.open({ 'index.interval.bytes': '100' })
    for (let i = 0; i < 200; i++) append(log, makeBatch({ records: 1 + (i % 4), valueBytes: 20 + (i % 7) }))
    for (let offset = 0; offset < log.logEndOffset; offset++) {
      const [first] = batchesIn(log.readBytes(offset, 1, log.logEndOffset).bytes)
      assert.ok(first.baseOffset <= offset && offset <= first.lastOffset, `offset ${offset}`)
    }
  })

  roundTrip('copyRead puts the bytes at an offset of a shared buffer', ({ h }) => {
    const log = h.open()
    const batch = makeBatch({ records: 4 })
    append(log, batch)
    const target = new Uint8Array(new SharedArrayBuffer(batch.length + 16))
    const read = log.read(0, 1 << 20, 4)
    assert.is(log.copyRead(read, target, 16), LogStatus.Ok)
    assert.equal(Buffer.from(target.buffer, 16), batch)
    assert.is(log.copyRead(read, target, 17), LogStatus.BadRequest)
  })

  roundTrip('an empty produce appends nothing', ({ h }) => {
    const log = h.open()
    const result = log.append(Buffer.alloc(0), 0)
    assert.is(result.status, LogStatus.Ok)
    assert.is(result.baseOffset, -1)
    assert.is(log.logEndOffset, 0)
  })

  roundTrip.run()

  // ---
  const limits = define(kind, 'read limits')

  limits('maxBytes keeps whole batches, and the first batch is whole even when larger', ({ h }) => {
    const log = h.open()
    const sizes: number[] = []
    for (let i = 0; i < 5; i++) {
      const batch = makeBatch({ records: 2, valueBytes: 100 })
      sizes.push(batch.length)
      append(log, batch)
    }
    const two = sizes[0] + sizes[1]
    assert.equal(batchesIn(log.readBytes(0, two, 10).bytes).map(b => b.baseOffset), [0, 2])
    assert.equal(batchesIn(log.readBytes(0, two + sizes[2] - 1, 10).bytes).map(b => b.baseOffset), [0, 2])
    assert.equal(batchesIn(log.readBytes(3, 10, 10).bytes).map(b => b.baseOffset), [2])
    assert.is(log.read(3, 10, 10, false).length, 0)
    assert.is(log.read(0, 1 << 20, 10).length, sizes.reduce((a, b) => a + b))
  })

  limits('maxOffset excludes batches starting at or after it', ({ h }) => {
    const log = h.open({ 'index.interval.bytes': '0' })
    for (let i = 0; i < 10; i++) append(log, makeBatch({ records: 2 }))
    assert.equal(batchesIn(log.readBytes(0, 1 << 20, 7).bytes).map(b => b.baseOffset), [0, 2, 4, 6])
    assert.equal(batchesIn(log.readBytes(0, 1 << 20, 6).bytes).map(b => b.baseOffset), [0, 2, 4])
    const empty = log.read(6, 1 << 20, 6)
    assert.is(empty.status, LogStatus.Ok)
    assert.is(empty.length, 0)
  })

  limits('offsets outside [logStartOffset, logEndOffset] are out of range; the end is empty', ({ h }) => {
    const log = h.open()
    append(log, makeBatch({ records: 3 }))
    assert.is(log.read(4, 100, 10).status, LogStatus.OffsetOutOfRange)
    assert.is(log.read(-1, 100, 10).status, LogStatus.OffsetOutOfRange)
    const end = log.read(3, 100, 10)
    assert.is(end.status, LogStatus.Ok)
    assert.is(end.length, 0)
  })

  limits('a read never crosses a segment', ({ h }) => {
    const log = h.open({ 'segment.bytes': '1000' })
    for (let i = 0; i < 10; i++) append(log, makeBatch({ records: 2, valueBytes: 100 }))
    assert.ok(log.segmentBaseOffsets.length > 1)
    const second = log.segmentBaseOffsets[1]
    const bytes = log.readBytes(0, 1 << 20, log.logEndOffset).bytes
    assert.is(batchesIn(bytes).at(-1)?.lastOffset, second - 1)
    assert.is(batchesIn(log.readBytes(second, 1 << 20, log.logEndOffset).bytes)[0].baseOffset, second)
  })

  limits('reads match a simple model for random offsets, sizes and bounds', ({ h }) => {
    const log = h.open({ 'segment.bytes': '3000', 'index.interval.bytes': '100' })
    let seed = 7
    const next = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
    for (let i = 0; i < 150; i++) append(log, makeBatch({ records: 1 + next(5), valueBytes: next(120) }))
    const segments = log.segmentBaseOffsets.map(base => batchesIn(log.readBytes(base, 1 << 30, log.logEndOffset).bytes))
    const leo = log.logEndOffset
    for (let round = 0; round < 500; round++) {
      const offset = next(leo)
      const maxBytes = next(1500)
      const maxOffset = offset + 1 + next(leo - offset + 5)
      const batches = segments.find(list => list[0].baseOffset <= offset && offset <= list[list.length - 1].lastOffset) as typeof segments[0]
      let i = batches.findIndex(b => b.lastOffset >= offset)
      const firstOffset = batches[i].baseOffset
      let length = batches[i].size
      const limit = Math.max(maxBytes, length)
      for (i++; i < batches.length && batches[i].baseOffset < maxOffset && length + batches[i].size <= limit; i++) length += batches[i].size
      const read = log.read(offset, maxBytes, maxOffset)
      assert.equal([read.status, read.firstOffset, read.length], [LogStatus.Ok, firstOffset, length], `read(${offset}, ${maxBytes}, ${maxOffset})`)
    }
  })

  limits.run()

  // ---
  const rejected = define(kind, 'rejected batches')

  rejected('bad batches leave the log and the caller buffer unchanged', ({ h }) => {
    const log = h.open({ 'max.message.bytes': '2000' })
    append(log, makeBatch({ records: 2 }))
    const before = log.readBytes(0, 1 << 20, 2).bytes

    const badCrc = makeBatch({ records: 2 })
    badCrc[badCrc.length - 1] ^= 0xff
    const magic1 = makeBatch({ records: 2 })
    magic1[16] = 1
    const badCount = makeBatch({ records: 3 })
    badCount.writeInt32BE(5, 57)
    const tooLarge = makeBatch({ records: 1, valueBytes: 2100 })
    const noSequence = makeBatch({ producerId: 5, baseSequence: -1 })
    const cases: Array<[Buffer, LogStatus]> = [
      [badCrc, LogStatus.CorruptMessage],
      [magic1, LogStatus.InvalidRecord],
      [badCount, LogStatus.InvalidRecord],
      [controlBatch(), LogStatus.InvalidRecord],
      [tooLarge, LogStatus.RecordTooLarge],
      [noSequence, LogStatus.InvalidRecord],
      [makeBatch().subarray(0, 40), LogStatus.CorruptMessage],
      [Buffer.concat([makeBatch(), Buffer.from([1, 2, 3])]), LogStatus.CorruptMessage]
    ]
    for (const [bad, status] of cases) {
      const good = makeBatch({ records: 4 })
      const pristine = Buffer.from(good)
      const result = log.append(Buffer.concat([good, bad]), 0)
      assert.is(result.status, status)
      assert.is(result.baseOffset, -1)
      assert.is(log.logEndOffset, 2)
      assert.equal(good, pristine)
    }
    assert.equal(log.readBytes(0, 1 << 20, 2).bytes, before)
    assert.is(append(log, makeBatch()), 2)
  })

  rejected('CRC-valid batches with malformed records are refused with the record named; the next valid batch appends', ({ h }) => {
    const log = h.open()
    append(log, makeBatch({ records: 2 }))
    // Record 0 takes 17 bytes (10-byte value), so record 1's offsetDelta is at 61 + 17 + 3.
    const duplicateDelta = makeBatch({ records: 2 })
    duplicateDelta[61 + 17 + 3] = 0
    sealCrc(duplicateDelta, 0)
    const countTooLarge = makeBatch({ records: 2 })
    countTooLarge.writeInt32BE(3, 57)
    countTooLarge.writeInt32BE(2, 23)
    sealCrc(countTooLarge, 0)
    // Transactional without a producer id: no transaction could own it.
    const transactional = makeBatch({ records: 1 })
    transactional.writeInt16BE(0x10, 21)
    sealCrc(transactional, 0)
    const cases: Array<[Buffer, LogStatus, number[]]> = [
      [duplicateDelta, LogStatus.InvalidRecord, [1]],
      [countTooLarge, LogStatus.CorruptMessage, [2]],
      [transactional, LogStatus.InvalidRecord, []]
    ]
    for (const [bad, status, records] of cases) {
      const result = log.append(bad, 0)
      assert.is(LogStatus[result.status], LogStatus[status])
      assert.ok(result.fault !== null)
      assert.equal(result.fault.recordIndexes, records)
      assert.is(log.logEndOffset, 2)
      assert.is(log.highWatermark, 2)
    }
    assert.is(append(log, makeBatch()), 2)
  })

  rejected.run()

  // ---
  const timestamps = define(kind, 'timestamps')

  timestamps('offsetForTimestamp finds the first record whose timestamp reaches the target', ({ h }) => {
    const log = h.open({ 'index.interval.bytes': '0', 'segment.bytes': '1000' })
    for (let i = 0; i < 40; i++) append(log, makeBatch({ records: 2, timestamp: 10_000 + i * 100 }))
    assert.ok(log.segmentBaseOffsets.length > 2)
    // Batch i covers offsets 2i, 2i+1 and timestamps 10000 + 100i, +1.
    assert.equal(log.offsetForTimestamp(10_000), { status: LogStatus.Ok, offset: 0, timestamp: 10_000 })
    assert.equal(log.offsetForTimestamp(10_001), { status: LogStatus.Ok, offset: 1, timestamp: 10_001 })
    assert.equal(log.offsetForTimestamp(10_002), { status: LogStatus.Ok, offset: 2, timestamp: 10_100 })
    assert.equal(log.offsetForTimestamp(12_550), { status: LogStatus.Ok, offset: 52, timestamp: 12_600 })
    assert.equal(log.offsetForTimestamp(12_601), { status: LogStatus.Ok, offset: 53, timestamp: 12_601 })
    assert.equal(log.offsetForTimestamp(0), { status: LogStatus.Ok, offset: 0, timestamp: 10_000 })
    assert.is(log.offsetForTimestamp(99_999).status, LogStatus.NotFound)
    assert.equal(log.offsetForTimestamp(-1), { status: LogStatus.Ok, offset: 80, timestamp: -1 })
    assert.equal(log.offsetForTimestamp(-2), { status: LogStatus.Ok, offset: 0, timestamp: -1 })
  })

  timestamps('out-of-order timestamps: the first batch reaching the target wins', ({ h }) => {
    const log = h.open({ 'index.interval.bytes': '0' })
    for (const t of [5000, 1000, 7000, 2000, 9000]) append(log, makeBatch({ timestamp: t }))
    assert.equal(log.offsetForTimestamp(1500), { status: LogStatus.Ok, offset: 0, timestamp: 5000 })
    assert.equal(log.offsetForTimestamp(6000), { status: LogStatus.Ok, offset: 2, timestamp: 7000 })
    assert.equal(log.offsetForTimestamp(8000), { status: LogStatus.Ok, offset: 4, timestamp: 9000 })
    assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 4, timestamp: 9000 })
  })

  timestamps('LogAppendTime stamps the broker time and keeps the CRC valid', ({ h }) => {
    const log = h.open({ 'message.timestamp.type': 'LogAppendTime' })
    h.clock = 1_800_000_000_000
    const result = log.append(makeBatch({ records: 3, timestamp: 5 }), 0)
    assert.is(result.logAppendTime, 1_800_000_000_000)
    const bytes = log.readBytes(0, 1 << 20, 3).bytes
    assert.is(checkBatch(bytes, 0), BatchCheck.Ok)
    assert.is(batchesIn(bytes)[0].maxTimestamp, 1_800_000_000_000)
    assert.ok((attributesOf(bytes, 0) & ATTR_TIMESTAMP_TYPE) !== 0)
    assert.is(log.offsetForTimestamp(1_799_999_999_999).offset, 0)
  })

  timestamps.run()

  // ---
  const roll = define(kind, 'segment roll')

  roll('by size: before an append that would exceed segment.bytes', ({ h }) => {
    const log = h.open({ 'segment.bytes': '1000' })
    const batch = makeBatch({ records: 1, valueBytes: 300 })
    const perSegment = Math.floor(1000 / batch.length)
    for (let i = 0; i < 10; i++) append(log, makeBatch({ records: 1, valueBytes: 300 }))
    const bases = log.segmentBaseOffsets
    assert.equal(bases, Array.from({ length: Math.ceil(10 / perSegment) }, (_, i) => i * perSegment))
    for (let offset = 0; offset < 10; offset++) assert.is(batchesIn(log.readBytes(offset, 1, 10).bytes)[0].baseOffset, offset)
  })

  roll('by age: the first batch timestamp, else the segment creation time', ({ h }) => {
    const log = h.open({ 'segment.ms': '1000' })
    append(log, makeBatch({ timestamp: 10_000 }))
    append(log, makeBatch({ timestamp: 10_900 }))
    assert.equal(log.segmentBaseOffsets, [0])
    append(log, makeBatch({ timestamp: 11_001 }))
    assert.equal(log.segmentBaseOffsets, [0, 2])
  })

  roll('by age without timestamps: the segment creation time', ({ h }) => {
    const log = h.open({ 'segment.ms': '1000' })
    append(log, makeBatch({ timestamp: -1 }))
    h.clock += 600
    append(log, makeBatch({ timestamp: -1 }))
    assert.equal(log.segmentBaseOffsets, [0])
    h.clock += 600
    append(log, makeBatch({ timestamp: -1 }))
    assert.equal(log.segmentBaseOffsets, [0, 2])
  })

  roll('when the offset index is full', ({ h }) => {
    const log = h.open({ 'segment.index.bytes': '40', 'index.interval.bytes': '0' })
    for (let i = 0; i < 14; i++) append(log, makeBatch())
    // Five entries fit; the first batch of a segment is never indexed.
    assert.equal(log.segmentBaseOffsets, [0, 6, 12])
  })

  roll('when the time index is full (one slot kept for the closing entry)', ({ h }) => {
    const log = h.open({ 'segment.index.bytes': '48', 'index.interval.bytes': '0' })
    for (let i = 0; i < 10; i++) append(log, makeBatch({ timestamp: 1000 + i }))
    assert.equal(log.segmentBaseOffsets, [0, 4, 8])
  })

  roll.run()

  // ---
  const retention = define(kind, 'retention')

  retention('by time: closed segments older than retention.ms go, the active one stays', ({ h }) => {
    const log = h.open({ 'segment.bytes': '500', 'retention.ms': '10000' })
    h.clock = 100_000
    for (let i = 0; i < 9; i++) append(log, makeBatch({ valueBytes: 150, timestamp: 50_000 + i * 10_000 }))
    const bases = log.segmentBaseOffsets
    assert.ok(bases.length >= 3)
    // Segments whose newest timestamp is more than 10 s before 100 000 go.
    const deleted = log.applyRetention(100_000)
    assert.ok(deleted > 0)
    assert.is(log.logStartOffset, log.segmentBaseOffsets[0])
    assert.is(log.read(0, 100, log.logEndOffset).status, LogStatus.OffsetOutOfRange)
    assert.is(log.read(log.logStartOffset, 100, log.logEndOffset).status, LogStatus.Ok)
    const closed = log.segmentBaseOffsets.length - 1
    assert.is(log.applyRetention(10_000_000), closed)
    assert.equal(log.segmentBaseOffsets, [bases[bases.length - 1]])
  })

  retention('by bytes: the oldest segments go while the log is over retention.bytes', ({ h }) => {
    const log = h.open({ 'segment.bytes': '500', 'retention.bytes': '1000', 'retention.ms': '-1' })
    for (let i = 0; i < 12; i++) append(log, makeBatch({ valueBytes: 150 }))
    const before = log.size
    assert.ok(before > 1000)
    log.applyRetention(h.clock)
    assert.ok(log.size <= 1000 + 500)
    assert.ok(log.size > 500)
    assert.is(log.logStartOffset, log.segmentBaseOffsets[0])
  })

  retention('only segments wholly below the high watermark', ({ h }) => {
    const log = h.open({ 'segment.bytes': '500', 'retention.ms': '0' })
    for (let i = 0; i < 9; i++) append(log, makeBatch({ valueBytes: 150, timestamp: 1 }))
    const bases = log.segmentBaseOffsets
    log.setHighWatermark(bases[1])
    assert.is(log.applyRetention(h.clock), 1)
    assert.is(log.logStartOffset, bases[1])
  })

  retention('cleanup.policy=compact keeps everything', ({ h }) => {
    const log = h.open({ 'segment.bytes': '500', 'retention.ms': '0', 'cleanup.policy': 'compact' })
    for (let i = 0; i < 9; i++) append(log, makeBatch({ valueBytes: 150, timestamp: 1, key: 'k' }))
    assert.is(log.applyRetention(h.clock), 0)
  })

  retention.run()

  // ---
  const deleteRecords = define(kind, 'deleteRecordsBefore')

  deleteRecords('raises the log start offset, deletes segments below, survives reopen', ({ h }) => {
    let log = h.open({ 'segment.bytes': '500' })
    for (let i = 0; i < 12; i++) append(log, makeBatch({ records: 2, valueBytes: 100 }))
    const bases = log.segmentBaseOffsets
    assert.is(log.deleteRecordsBefore(log.highWatermark + 1), LogStatus.OffsetBeyondHighWatermark)
    const target = bases[1] + 1
    assert.is(log.deleteRecordsBefore(target), LogStatus.Ok)
    assert.is(log.logStartOffset, target)
    assert.equal(log.segmentBaseOffsets, bases.slice(1))
    assert.is(log.read(target - 1, 100, 100).status, LogStatus.OffsetOutOfRange)
    assert.is(log.read(target, 100, 100).status, LogStatus.Ok)
    assert.is(log.deleteRecordsBefore(2), LogStatus.Ok)
    assert.is(log.logStartOffset, target)
    log = h.reopen({ 'segment.bytes': '500' })
    assert.is(log.logStartOffset, target)
    assert.is(log.logEndOffset, 24)
    assert.is(log.offsetForTimestamp(0).offset, target)
  })

  deleteRecords.run()

  // ---
  const lifecycle = define(kind, 'close and reopen')

  lifecycle('reopen after close finds every batch, index and epoch', ({ h }) => {
    let log = h.open({ 'segment.bytes': '2000', 'index.interval.bytes': '200' })
    let t = 20_000
    for (let i = 0; i < 30; i++) append(log, makeBatch({ records: 3, valueBytes: 30, timestamp: t += 10 }), i < 10 ? 1 : 4)
    const bytes = Buffer.concat(log.segmentBaseOffsets.map(b => log.readBytes(b, 1 << 30, log.logEndOffset).bytes))
    const lookups = [0, 20_000, 20_055, 20_200, 20_301].map(ts => log.offsetForTimestamp(ts))
    assert.is(log.close(), LogStatus.Ok)
    assert.is(log.append(makeBatch(), 0).status, LogStatus.Closed)
    assert.is(log.read(0, 1, 1).status, LogStatus.Closed)
    assert.is(log.flush(), LogStatus.Closed)

    log = h.open({ 'segment.bytes': '2000', 'index.interval.bytes': '200' })
    assert.is(log.recovery, null)
    assert.is(log.logEndOffset, 90)
    assert.is(log.recoveryPoint, 90)
    assert.equal(Buffer.concat(log.segmentBaseOffsets.map(b => log.readBytes(b, 1 << 30, log.logEndOffset).bytes)), bytes)
    assert.equal([0, 20_000, 20_055, 20_200, 20_301].map(ts => log.offsetForTimestamp(ts)), lookups)
    assert.equal(log.leaderEpochs, [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 30 }])
    assert.equal(log.endOffsetForEpoch(1), [1, 30])
    assert.is(append(log, makeBatch({ records: 2, timestamp: 30_000 }), 4), 90)
    assert.equal(log.offsetForTimestamp(29_000), { status: LogStatus.Ok, offset: 90, timestamp: 30_000 })
  })

  lifecycle('delete removes everything', ({ h }) => {
    const log = h.open()
    append(log, makeBatch())
    assert.is(log.delete(), LogStatus.Ok)
    assert.is(log.append(makeBatch(), 0).status, LogStatus.Closed)
    if (h.dir !== null) assert.not.ok(existsSync(h.dir))
    else assert.equal(h.store.list(), [])
  })

  lifecycle.run()

  // ---
  const flush = define(kind, 'flush policy')

  flush('flush.messages=1 syncs every append; the default leaves it to the OS', ({ h }) => {
    let log = h.open()
    assert.is(log.append(makeBatch(), 0).synced, false)
    log = h.reopen({ 'flush.messages': '1' })
    assert.is(log.append(makeBatch(), 0).synced, true)
    log = h.reopen({ 'flush.messages': '3' })
    assert.equal([1, 1, 1, 1].map(() => log.append(makeBatch(), 0).synced), [false, false, true, false])
  })

  flush('maybeFlush syncs once flush.ms has passed and advances the recovery point', ({ h }) => {
    const log = h.open({ 'flush.ms': '1000' })
    append(log, makeBatch({ records: 5 }))
    assert.is(log.recoveryPoint, 0)
    assert.is(log.maybeFlush(h.clock + 500), LogStatus.Ok)
    assert.is(log.recoveryPoint, 0)
    assert.is(log.maybeFlush(h.clock + 1000), LogStatus.Ok)
    assert.is(log.recoveryPoint, 5)
  })

  flush('a rolled segment is synced and checkpointed by the next maybeFlush', ({ h }) => {
    const log = h.open({ 'segment.bytes': '500' })
    for (let i = 0; i < 6; i++) append(log, makeBatch({ valueBytes: 150 }))
    const active = log.segmentBaseOffsets.at(-1)
    log.maybeFlush(h.clock)
    assert.is(log.recoveryPoint, active)
  })

  flush.run()
}

// ---
const faults = suite('storage faults (memory store)')

faults('a write that fails halfway leaves the log as it was', () => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}), store })
  append(log, makeBatch({ records: 2 }))
  const before = log.readBytes(0, 1 << 20, 2).bytes
  store.injectFault({ op: 'write', partialBytes: 30 })
  const result = log.append(makeBatch({ records: 3 }), 0)
  assert.is(result.status, LogStatus.StorageError)
  assert.is(log.logEndOffset, 2)
  assert.is(log.size, before.length)
  assert.equal(log.readBytes(0, 1 << 20, 10).bytes, before)
  assert.is(append(log, makeBatch({ records: 3 })), 2)
  assert.equal(batchesIn(log.readBytes(0, 1 << 20, 10).bytes).map(b => b.baseOffset), [0, 2])
  assert.equal(batchesIn(log.readBytes(2, 1 << 20, 10).bytes).map(b => b.baseOffset), [2])
  log.close()
  const reopened = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}), store })
  assert.is(reopened.recovery, null)
  assert.is(reopened.logEndOffset, 5)
})

faults('a failed fsync under flush.messages=1 rolls the append back', () => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({ 'flush.messages': '1' }), store })
  append(log, makeBatch())
  store.injectFault({ op: 'sync' })
  assert.is(log.append(makeBatch(), 0).status, LogStatus.StorageError)
  assert.is(log.logEndOffset, 1)
  assert.is(log.read(1, 100, 10).length, 0)
  const again = log.append(makeBatch(), 0)
  assert.is(again.status, LogStatus.Ok)
  assert.is(again.baseOffset, 1)
})

faults('group commit: deferred appends owe one fsync, paid by syncOwed; a failed one throws', () => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({ 'flush.messages': '1' }), store })
  log.deferSync = true
  const first = log.append(makeBatch(), 0)
  const second = log.append(makeBatch(), 0)
  assert.equal([first.synced, second.synced], [false, false], 'nothing synced inside the burst')
  assert.ok(log.owesSync)
  // A fault queued now hits the burst's single fsync, not an append.
  store.injectFault({ op: 'sync' })
  assert.throws(() => log.syncOwed(), /injected fault/)
  assert.not.ok(log.owesSync, 'the owner decides what happens to a burst whose fsync failed')
  const third = log.append(makeBatch(), 0)
  assert.is(third.baseOffset, 2)
  log.syncOwed()
  assert.not.ok(log.owesSync)
  log.syncOwed()
  assert.is(log.maybeFlush(Date.now()), LogStatus.Ok)
  log.close()
})

faults('a roll that cannot create its files fails the append and nothing else', () => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({ 'segment.bytes': '200' }), store })
  append(log, makeBatch({ valueBytes: 150 }))
  store.injectFault({ op: 'open' })
  assert.is(log.append(makeBatch({ valueBytes: 150 }), 0).status, LogStatus.StorageError)
  assert.is(log.logEndOffset, 1)
  assert.is(append(log, makeBatch({ valueBytes: 150 })), 1)
  assert.equal(log.segmentBaseOffsets, [0, 1])
})

faults('every fs error turned into StorageError is reported with the operation and the errno code', () => {
  const store = new MemoryStore()
  const reported: Array<[string, string | undefined]> = []
  const log = PartitionLog.open({
    dir: null,
    config: logConfigFromTopicConfig({ 'segment.bytes': '200', 'flush.messages': '1' }),
    store,
    onStorageError: (op, err) => { reported.push([op, (err as NodeJS.ErrnoException).code]) }
  })
  store.injectFault({ op: 'write' })
  assert.is(log.append(makeBatch({ valueBytes: 150 }), 0).status, LogStatus.StorageError)
  store.injectFault({ op: 'sync', code: 'EIO' })
  assert.is(log.append(makeBatch({ valueBytes: 150 }), 0).status, LogStatus.StorageError)
  assert.is(append(log, makeBatch({ valueBytes: 150 })), 0, 'the log works again once the disk does')
  assert.is(reported.length, 2, 'a success reports nothing')
  // The next append needs a new segment, and its files cannot be opened.
  store.injectFault({ op: 'open' })
  assert.is(log.append(makeBatch({ valueBytes: 150 }), 0).status, LogStatus.StorageError)
  assert.equal(reported, [['append', 'ENOSPC'], ['fsync', 'EIO'], ['roll', 'EMFILE']])
})

faults('a reporter that throws does not turn a StorageError answer into an exception', () => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}), store, onStorageError: () => { throw new Error('reporter bug') } })
  store.injectFault({ op: 'write' })
  assert.is(log.append(makeBatch(), 0).status, LogStatus.StorageError)
})

faults('dir: null gives a working log', () => {
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}) })
  assert.is(append(log, makeBatch({ records: 7 })), 0)
  assert.is(log.logEndOffset, 7)
})

faults.run()
