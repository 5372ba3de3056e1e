import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { MemoryStore } from '../../../src/log/store.js'
import { ATTR_TRANSACTIONAL, kBatchLength, kMagic, kProducerEpoch, sealCrc, writeInt64 } from '../../../src/protocol/batch-header.js'
import { batchesIn, makeBatch } from './batches.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

type Kind = 'memory' | 'file'

/** One replica's log on its own directory (or MemoryStore), reopened on the same files. */
class Replica {
  readonly dir: string | null
  readonly store = new MemoryStore()
  readonly topicConfig: Record<string, string>
  clock = 1_700_000_000_000
  log: PartitionLog

  constructor (kind: Kind, topicConfig: Record<string, string>) {
    this.dir = kind === 'file' ? tmpDir('millrace-replica-') : null
    this.topicConfig = topicConfig
    this.log = this.#open()
  }

  #open (): PartitionLog {
    const config = logConfigFromTopicConfig(this.topicConfig)
    const now = (): number => this.clock
    return this.dir !== null ? PartitionLog.open({ dir: this.dir, config, now }) : PartitionLog.open({ dir: null, config, now, store: this.store })
  }

  reopen (): PartitionLog {
    this.log.close()
    this.log = this.#open()
    return this.log
  }

  cleanup (): void {
    this.log.close()
    if (this.dir !== null) removeDir(this.dir)
  }
}

/** An idempotent (or, with `transactional`, transactional) batch. */
function producerBatch (producerId: number, epoch: number, baseSequence: number, records = 1, transactional = false, valueBytes = 10): Buffer {
  const b = makeBatch({ producerId, baseSequence, records, valueBytes, attributes: transactional ? ATTR_TRANSACTIONAL : 0 })
  b.writeInt16BE(epoch, kProducerEpoch)
  sealCrc(b, 0)
  return b
}

/** A leader's append: offsets and epoch assigned, high watermark moved as with one replica. */
function lead (log: PartitionLog, batch: Buffer, epoch: number): number {
  const r = log.append(batch, epoch)
  assert.is(LogStatus[r.status], 'Ok')
  return r.baseOffset
}

/** Every byte of the log from its start to its end, as a follower's fetches would read it. */
function allBytes (log: PartitionLog): Buffer {
  const parts: Buffer[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const read = log.readBytes(offset, 1 << 30, log.logEndOffset)
    assert.is(LogStatus[read.status], 'Ok')
    const batches = batchesIn(read.bytes)
    parts.push(read.bytes)
    offset = batches[batches.length - 1].lastOffset + 1
  }
  return Buffer.concat(parts)
}

/**
 * The follower's fetch loop: reads from the leader at the follower's log end, at most
 * `maxBytes` a round (the first batch whole), and appends what it read, until caught up.
 */
function catchUp (leader: PartitionLog, follower: PartitionLog, maxBytes = 1 << 20): void {
  while (follower.logEndOffset < leader.logEndOffset) {
    const read = leader.readBytes(follower.logEndOffset, maxBytes, leader.logEndOffset)
    assert.is(LogStatus[read.status], 'Ok')
    const r = follower.appendAsFollower(read.bytes)
    assert.is(LogStatus[r.status], 'Ok', r.fault?.message)
  }
}

function define (kind: Kind, name: string): ReturnType<typeof suite<{ replicas: Replica[] }>> {
  const s = suite<{ replicas: Replica[] }>(`${kind}: ${name}`, { replicas: [] })
  s.after.each(ctx => {
    for (const r of ctx.replicas) r.cleanup()
    ctx.replicas = []
  })
  return s
}

function replicas (ctx: { replicas: Replica[] }, kind: Kind, count: number, topicConfig: Record<string, string> = {}): Replica[] {
  for (let i = 0; i < count; i++) ctx.replicas.push(new Replica(kind, topicConfig))
  return ctx.replicas
}

const SMALL_SEGMENTS = { 'segment.bytes': '1500', 'index.interval.bytes': '200' }

for (const kind of ['memory', 'file'] as const) {
  const copy = define(kind, 'appendAsFollower copies the leader')

  copy('a follower fed the leader\'s bytes holds the same bytes, epochs, indexes and producers', ctx => {
    const [leader, follower] = replicas(ctx, kind, 2, SMALL_SEGMENTS)
    let t = 5_000
    for (let i = 0; i < 12; i++) lead(leader.log, makeBatch({ records: 3, valueBytes: 30, timestamp: t += 10 }), i < 5 ? 1 : 3)
    lead(leader.log, producerBatch(42, 0, 0, 2), 3)
    lead(leader.log, producerBatch(42, 0, 2, 2), 4)
    catchUp(leader.log, follower.log, 400)

    assert.equal(allBytes(follower.log), allBytes(leader.log), 'byte for byte: offsets, epochs and timestamps kept')
    assert.is(follower.log.logEndOffset, 40)
    assert.equal(follower.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 15 }, { epoch: 4, startOffset: 38 }])
    assert.equal(follower.log.leaderEpochs, leader.log.leaderEpochs)
    assert.is(follower.log.latestEpoch, 4)
    assert.ok(follower.log.segmentBaseOffsets.length > 1, 'the follower rolled segments as it went')
    assert.equal(follower.log.producers.describe(42), leader.log.producers.describe(42))
    assert.is(follower.log.highWatermark, 0, 'the caller moves the follower\'s high watermark')
    follower.log.setHighWatermark(40)
    for (const ts of [0, 5_011, 5_055, 5_120]) assert.equal(follower.log.offsetForTimestamp(ts), leader.log.offsetForTimestamp(ts))
  })

  copy('LogAppendTime batches keep the leader\'s stamp', ctx => {
    const [leader, follower] = replicas(ctx, kind, 2, { 'message.timestamp.type': 'LogAppendTime' })
    leader.clock = 9_000_000
    lead(leader.log, makeBatch({ records: 2, timestamp: 1000 }), 0)
    follower.clock = 1 // a follower's clock must not restamp anything
    catchUp(leader.log, follower.log)
    assert.equal(allBytes(follower.log), allBytes(leader.log))
    assert.is(batchesIn(allBytes(follower.log))[0].maxTimestamp, 9_000_000)
  })

  copy('a follower that becomes leader deduplicates a retry and refuses a gap, as the old leader would', ctx => {
    const [leader, follower] = replicas(ctx, kind, 2)
    lead(leader.log, producerBatch(7, 2, 0, 3), 1) // 0..2
    lead(leader.log, makeBatch(), 1) // 3
    lead(leader.log, producerBatch(7, 2, 3, 2), 1) // 4..5
    catchUp(leader.log, follower.log)

    const retry = follower.log.append(producerBatch(7, 2, 3, 2), 2)
    assert.is(LogStatus[retry.status], 'Ok')
    assert.is(retry.baseOffset, 4, 'answered with the original offsets')
    assert.is(follower.log.logEndOffset, 6, 'nothing appended')
    assert.is(LogStatus[follower.log.append(producerBatch(7, 2, 9), 2).status], 'OutOfOrderSequence')
    assert.is(LogStatus[follower.log.append(producerBatch(7, 1, 5), 2).status], 'InvalidProducerEpoch')
    assert.is(lead(follower.log, producerBatch(7, 2, 5), 2), 6)
    assert.equal(follower.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 6 }])
  })

  copy('a replicated marker moves the follower\'s LSO and txn index as the leader\'s', ctx => {
    const [leader, follower] = replicas(ctx, kind, 2)
    lead(leader.log, makeBatch({ records: 2 }), 0) // 0..1
    lead(leader.log, producerBatch(9, 0, 0, 2, true), 0) // 2..3, open
    lead(leader.log, producerBatch(5, 0, 0, 1, true), 0) // 4, open
    lead(leader.log, makeBatch(), 0) // 5
    leader.log.setHighWatermark(leader.log.logEndOffset)
    catchUp(leader.log, follower.log)
    follower.log.setHighWatermark(follower.log.logEndOffset)
    assert.is(follower.log.lastStableOffset, 2)
    assert.is(leader.log.lastStableOffset, 2)

    assert.is(LogStatus[leader.log.appendMarker(9, 0, 0, false, 0).status], 'Ok') // ABORT at 6
    assert.is(LogStatus[leader.log.appendMarker(5, 0, 0, true, 0).status], 'Ok') // COMMIT at 7
    leader.log.setHighWatermark(leader.log.logEndOffset)
    const upToAbort = leader.log.readBytes(6, 1 << 20, 7)
    assert.is(LogStatus[follower.log.appendAsFollower(upToAbort.bytes).status], 'Ok')
    follower.log.setHighWatermark(follower.log.logEndOffset)
    assert.is(follower.log.lastStableOffset, 4, 'the abort replicated: producer 5 still open')
    catchUp(leader.log, follower.log)
    follower.log.setHighWatermark(follower.log.logEndOffset)
    assert.is(follower.log.lastStableOffset, leader.log.lastStableOffset)
    assert.is(follower.log.lastStableOffset, 8)
    assert.equal(follower.log.abortedTransactions(0, 8), leader.log.abortedTransactions(0, 8))
    assert.equal(follower.log.abortedTransactions(0, 8), [{ producerId: 9, firstOffset: 2, lastOffset: 6, lastStableOffset: 4 }])

    const reopened = follower.reopen()
    reopened.setHighWatermark(reopened.logEndOffset)
    assert.equal(reopened.abortedTransactions(0, 8), leader.log.abortedTransactions(0, 8), 'the txn index is on disk')
    assert.is(reopened.lastStableOffset, 8)
  })

  // ---
  const refuse = define(kind, 'appendAsFollower refuses')

  const cases: Array<{ name: string, bytes: (leaderBytes: Buffer, next: number) => Buffer, status: string, message: RegExp }> = [
    {
      name: 'a first batch above the log end',
      bytes: b => { const c = Buffer.from(b); writeInt64(c, 0, 9); return c },
      status: 'OffsetOutOfRange',
      message: /start at offset 9, not at the log end offset 4/
    },
    {
      name: 'a first batch below the log end (already held)',
      bytes: b => { const c = Buffer.from(b); writeInt64(c, 0, 1); return c },
      status: 'OffsetOutOfRange',
      message: /start at offset 1, not at the log end offset 4/
    },
    {
      name: 'a second batch that leaves a gap',
      bytes: (b, next) => { const c = Buffer.from(b); writeInt64(c, next, 20); return c },
      status: 'InvalidRecord',
      message: /not contiguous: a batch at offset 20 where 6 was due/
    },
    {
      name: 'a bad CRC',
      bytes: b => { const c = Buffer.from(b); c[c.length - 1] ^= 0xff; return c },
      status: 'CorruptMessage',
      message: /CRC-32C/
    },
    {
      name: 'a length field past the bytes sent',
      bytes: b => { const c = Buffer.from(b); c.writeInt32BE(c.readInt32BE(kBatchLength) + 5000, kBatchLength); return c },
      status: 'CorruptMessage',
      message: /length field/
    },
    {
      name: 'a cut-off batch',
      bytes: b => b.subarray(0, b.length - 3),
      status: 'CorruptMessage',
      message: /length field/
    },
    {
      name: 'an old magic',
      bytes: b => { const c = Buffer.from(b); c[kMagic] = 1; return c },
      status: 'InvalidRecord',
      message: /magic 2/
    }
  ]
  for (const c of cases) {
    refuse(c.name + ': nothing written', ctx => {
      const [leader, follower] = replicas(ctx, kind, 2)
      lead(leader.log, makeBatch({ records: 4 }), 1) // 0..3
      catchUp(leader.log, follower.log)
      lead(leader.log, makeBatch({ records: 2 }), 2) // 4..5
      lead(leader.log, makeBatch({ records: 2 }), 2) // 6..7
      const tail = leader.log.readBytes(4, 1 << 20, 8).bytes
      const size = follower.log.size
      const r = follower.log.appendAsFollower(c.bytes(tail, batchesIn(tail)[1].position))
      assert.is(LogStatus[r.status], c.status)
      assert.match(r.fault?.message ?? '', c.message)
      assert.is(r.baseOffset, -1)
      assert.is(follower.log.logEndOffset, 4)
      assert.is(follower.log.size, size)
      assert.equal(follower.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }], 'no epoch assigned')
      catchUp(leader.log, follower.log)
      assert.equal(allBytes(follower.log), allBytes(leader.log), 'the right bytes still go in')
    })
  }

  refuse('nothing, but takes a gap on a compacted topic (the leader\'s cleaner leaves them)', ctx => {
    const [follower] = replicas(ctx, kind, 1, { 'cleanup.policy': 'compact' })
    const a = makeBatch({ key: 'k' })
    const b = makeBatch({ key: 'k' })
    writeInt64(b, 0, 5)
    assert.is(LogStatus[follower.log.appendAsFollower(Buffer.concat([a, b])).status], 'Ok')
    assert.is(follower.log.logEndOffset, 6)
  })

  refuse('nothing when closed', ctx => {
    const [follower] = replicas(ctx, kind, 1)
    follower.log.close()
    assert.is(LogStatus[follower.log.appendAsFollower(makeBatch()).status], 'Closed')
    assert.is(LogStatus[follower.log.truncateTo(0)], 'Closed')
    assert.is(LogStatus[follower.log.truncateFullyAndStartAt(0)], 'Closed')
  })

  refuse.run()
  copy.run()

  // ---
  const truncate = define(kind, 'truncateTo')

  /** 30 batches of 3 records over several segments, epoch 1 then 4 from offset 45. */
  function filled (r: Replica): { bytes: Buffer, times: number[] } {
    const times: number[] = []
    for (let i = 0; i < 30; i++) {
      times.push(10_000 + i * 10)
      lead(r.log, makeBatch({ records: 3, valueBytes: 30, timestamp: 10_000 + i * 10 }), i < 15 ? 1 : 4)
    }
    r.log.setHighWatermark(90)
    return { bytes: allBytes(r.log), times }
  }

  truncate('across segments: later segments go, the one holding the offset is cut at its batch', ctx => {
    const [r] = replicas(ctx, kind, 1, SMALL_SEGMENTS)
    const { bytes, times } = filled(r)
    const segments = r.log.segmentBaseOffsets
    assert.ok(segments.length > 3)
    assert.is(r.log.truncateTo(39), LogStatus.Ok)
    assert.is(r.log.logEndOffset, 39)
    assert.is(r.log.highWatermark, 39, 'clamped')
    assert.is(r.log.lastStableOffset, 39)
    assert.is(r.log.recoveryPoint, 39)
    assert.equal(r.log.segmentBaseOffsets, segments.filter(b => b <= 39))
    const kept = batchesIn(bytes).find(b => b.baseOffset === 39)!.position
    assert.equal(allBytes(r.log), bytes.subarray(0, kept))
    assert.is(r.log.size, kept)
    assert.equal(r.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }])
    assert.is(LogStatus[r.log.read(40, 1000, 90).status], 'OffsetOutOfRange')
    assert.equal(r.log.offsetForTimestamp(times[12]), { status: LogStatus.Ok, offset: 36, timestamp: times[12] })
    assert.is(LogStatus[r.log.offsetForTimestamp(times[13]).status], 'NotFound', 'the time index forgot the cut batches')
    assert.equal(r.log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 38, timestamp: times[12] + 2 })

    assert.is(lead(r.log, makeBatch({ records: 2, timestamp: 50_000 }), 5), 39)
    r.log.setHighWatermark(41)
    assert.equal(r.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }, { epoch: 5, startOffset: 39 }])
    assert.equal(r.log.offsetForTimestamp(20_000), { status: LogStatus.Ok, offset: 39, timestamp: 50_000 })
    assert.equal(batchesIn(allBytes(r.log)).map(b => b.baseOffset).slice(-2), [36, 39])
  })

  truncate('an offset inside a batch cuts before that batch', ctx => {
    const [r] = replicas(ctx, kind, 1, SMALL_SEGMENTS)
    filled(r)
    assert.is(r.log.truncateTo(40), LogStatus.Ok)
    assert.is(r.log.logEndOffset, 39)
    assert.is(r.log.truncateTo(90), LogStatus.Ok, 'at or past the end: nothing to do')
    assert.is(r.log.logEndOffset, 39)
  })

  truncate('a segment\'s first offset: the segment stays, empty, and takes the next append', ctx => {
    const [r] = replicas(ctx, kind, 1, SMALL_SEGMENTS)
    filled(r)
    const base = r.log.segmentBaseOffsets[2]
    assert.is(r.log.truncateTo(base), LogStatus.Ok)
    assert.is(r.log.logEndOffset, base)
    assert.equal(r.log.segmentBaseOffsets.slice(-1), [base])
    assert.is(lead(r.log, makeBatch(), 4), base)
  })

  truncate('is durable: a reopen after close, or after a crash (no close), ends at the offset', ctx => {
    const [r] = replicas(ctx, kind, 1, SMALL_SEGMENTS)
    filled(r)
    assert.is(r.log.truncateTo(48), LogStatus.Ok)
    const bytes = allBytes(r.log)
    const epochs = r.log.leaderEpochs

    const config = logConfigFromTopicConfig(SMALL_SEGMENTS)
    const crashed = r.dir !== null ? PartitionLog.open({ dir: r.dir, config }) : PartitionLog.open({ dir: null, config, store: r.store })
    assert.is(crashed.recovery, null, 'the recovery point matched: nothing to rescan')
    assert.is(crashed.logEndOffset, 48)
    assert.equal(allBytes(crashed), bytes)
    assert.equal(crashed.leaderEpochs, epochs)
    crashed.close()

    const reopened = r.reopen()
    assert.is(reopened.logEndOffset, 48)
    assert.equal(allBytes(reopened), bytes)
    assert.equal(reopened.leaderEpochs, [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 45 }])
    assert.is(lead(reopened, makeBatch(), 6), 48)
  })

  truncate('then append again: a follower drops its divergent tail and copies the new leader', ctx => {
    const [leader, follower] = replicas(ctx, kind, 2)
    for (let i = 0; i < 3; i++) lead(leader.log, makeBatch({ records: 2 }), 1) // 0..5, epoch 1
    catchUp(leader.log, follower.log)
    // The follower led epoch 2 for a while; its appends never reached the new leader (epoch 3).
    for (let i = 0; i < 2; i++) lead(follower.log, makeBatch({ records: 2, timestamp: 77 }), 2) // 6..9
    lead(leader.log, makeBatch({ records: 3 }), 3) // 6..8
    lead(leader.log, makeBatch({ records: 3 }), 3) // 9..11

    const [epoch, end] = leader.log.endOffsetForEpoch(follower.log.latestEpoch)
    assert.equal([epoch, end], [1, 6])
    assert.is(follower.log.truncateTo(Math.min(end, follower.log.endOffsetForEpoch(epoch)[1])), LogStatus.Ok)
    assert.is(follower.log.logEndOffset, 6)
    assert.equal(follower.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }])
    catchUp(leader.log, follower.log)
    assert.equal(allBytes(follower.log), allBytes(leader.log))
    assert.equal(follower.log.leaderEpochs, [{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 6 }])
  })

  truncate('producer state is rebuilt: a retry of a kept batch is a duplicate, of a dropped one appends', ctx => {
    const [r] = replicas(ctx, kind, 1, { 'segment.bytes': '700' })
    // Many segments, so snapshots exist; the cut goes below the older kept one (a full replay).
    for (let seq = 0; seq < 20; seq++) lead(r.log, producerBatch(7, 0, seq, 1, false, 200), 0)
    assert.ok(r.log.segmentBaseOffsets.length > 4)
    assert.is(r.log.truncateTo(6), LogStatus.Ok)
    assert.equal(r.log.producers.describe(7), { epoch: 0, lastSeq: 5, batches: 5 })
    const retry = r.log.append(producerBatch(7, 0, 5, 1), 0)
    assert.equal([LogStatus[retry.status], retry.baseOffset, r.log.logEndOffset], ['Ok', 5, 6], 'kept: answered with its offset')
    assert.is(LogStatus[r.log.append(producerBatch(7, 0, 7, 1), 0).status], 'OutOfOrderSequence', 'seq 6 is gone, so 7 is a gap')
    assert.is(lead(r.log, producerBatch(7, 0, 6, 1), 0), 6, 'dropped: appended again')

    const reopened = r.reopen()
    assert.equal(reopened.producers.describe(7), { epoch: 0, lastSeq: 6, batches: 5 })
    assert.is(reopened.append(producerBatch(7, 0, 6, 1), 0).baseOffset, 6)
  })

  truncate('a cut marker reopens its transaction: LSO and txn index go back', ctx => {
    const [r] = replicas(ctx, kind, 1)
    lead(r.log, makeBatch({ records: 2 }), 0) // 0..1
    lead(r.log, producerBatch(9, 0, 0, 2, true), 0) // 2..3
    assert.is(LogStatus[r.log.appendMarker(9, 0, 0, false, 0).status], 'Ok') // ABORT at 4
    lead(r.log, makeBatch(), 0) // 5
    r.log.setHighWatermark(6)
    assert.equal([r.log.lastStableOffset, r.log.abortedTransactionCount], [6, 1])
    assert.is(r.log.truncateTo(4), LogStatus.Ok)
    assert.is(r.log.highWatermark, 4)
    assert.equal([r.log.lastStableOffset, r.log.abortedTransactionCount, r.log.lastAbortMarker], [2, 0, -1])
    assert.is(r.log.producers.openTransactionOf(9), 2)

    const reopened = r.reopen()
    reopened.setHighWatermark(4)
    assert.equal([reopened.lastStableOffset, reopened.abortedTransactionCount, reopened.txnIndexRebuilt], [2, 0, false])
    assert.is(LogStatus[reopened.appendMarker(9, 0, 0, true, 0).status], 'Ok')
    reopened.setHighWatermark(5)
    assert.equal([reopened.lastStableOffset, reopened.abortedTransactionCount], [5, 0])
  })

  truncate('truncateFullyAndStartAt empties the log and starts it at the offset', ctx => {
    const [r] = replicas(ctx, kind, 1, SMALL_SEGMENTS)
    filled(r)
    lead(r.log, producerBatch(3, 0, 0, 2, true), 4)
    assert.is(LogStatus[r.log.appendMarker(3, 0, 0, false, 4).status], 'Ok')
    assert.is(r.log.truncateFullyAndStartAt(500), LogStatus.Ok)
    assert.equal([r.log.logStartOffset, r.log.logEndOffset, r.log.highWatermark, r.log.recoveryPoint, r.log.size], [500, 500, 500, 500, 0])
    assert.equal(r.log.segmentBaseOffsets, [500])
    assert.equal([r.log.leaderEpochs, r.log.latestEpoch, r.log.producers.size, r.log.abortedTransactionCount], [[], -1, 0, 0])
    assert.equal(r.log.endOffsetForEpoch(4), [-1, -1])

    const batch = makeBatch({ records: 2 })
    writeInt64(batch, 0, 500)
    batch.writeInt32BE(7, 12) // partitionLeaderEpoch, outside the CRC
    assert.is(LogStatus[r.log.appendAsFollower(batch).status], 'Ok')
    const reopened = r.reopen()
    assert.equal([reopened.logStartOffset, reopened.logEndOffset, reopened.leaderEpochs], [500, 502, [{ epoch: 7, startOffset: 500 }]])
    assert.equal(allBytes(reopened), batch)

    assert.is(reopened.truncateTo(20), LogStatus.Ok, 'below the log start: starts again there')
    assert.equal([reopened.logStartOffset, reopened.logEndOffset], [20, 20])
  })

  truncate.run()

  // ---
  const epochs = define(kind, 'leader epochs (OffsetForLeaderEpoch)')

  epochs('endOffsetForEpoch answers as Kafka\'s LeaderEpochFileCache', ctx => {
    const [r] = replicas(ctx, kind, 1)
    assert.equal([r.log.latestEpoch, r.log.endOffsetForEpoch(0)], [-1, [-1, -1]], 'no epoch yet')
    lead(r.log, makeBatch({ records: 10 }), 1) // 0..9
    lead(r.log, makeBatch({ records: 15 }), 3) // 10..24
    lead(r.log, makeBatch({ records: 5 }), 6) // 25..29
    assert.is(r.log.latestEpoch, 6)
    const answers: Array<[number, [number, number]]> = [
      [-1, [-1, -1]], // undefined epoch
      [0, [0, 0]], // older than every cached epoch: itself, ending where the first cached one starts
      [1, [1, 10]],
      [2, [1, 10]], // never a leader epoch here: the largest below it
      [3, [3, 25]],
      [5, [3, 25]],
      [6, [6, 30]], // the latest ends at the log end
      [9, [6, 30]] // newer than any: the latest, as Kafka once it assigns the new leader's epoch
    ]
    for (const [epoch, answer] of answers) assert.equal(r.log.endOffsetForEpoch(epoch), answer, `epoch ${epoch}`)
  })

  epochs.run()
}

// ---
const faults = suite('replica log: flush and storage faults (memory store)')

/** A leader log holding `batches` one-record batches of epoch 2, and its bytes. */
function leaderBytes (batches: number): Buffer {
  const leader = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}), store: new MemoryStore() })
  for (let i = 0; i < batches; i++) lead(leader, makeBatch(), 2)
  const bytes = allBytes(leader)
  leader.close()
  return bytes
}

faults('flush.messages=1: a follower\'s append is fsynced, or owes its sync under group commit', () => {
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({ 'flush.messages': '1' }), store: new MemoryStore() })
  const bytes = leaderBytes(2)
  const [one, two] = batchesIn(bytes)
  assert.is(log.appendAsFollower(bytes.subarray(0, one.size)).synced, true)
  log.deferSync = true
  assert.is(log.appendAsFollower(bytes.subarray(two.position)).synced, false)
  assert.ok(log.owesSync)
  log.syncOwed()
  assert.not.ok(log.owesSync)
})

faults('a failed write or fsync appends nothing and assigns no epoch', () => {
  const store = new MemoryStore()
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({ 'flush.messages': '1' }), store })
  const bytes = leaderBytes(1)
  store.injectFault({ op: 'write', partialBytes: 10 })
  assert.is(LogStatus[log.appendAsFollower(bytes).status], 'StorageError')
  assert.equal([log.logEndOffset, log.size, log.leaderEpochs], [0, 0, []])
  store.injectFault({ op: 'sync' })
  assert.is(LogStatus[log.appendAsFollower(bytes).status], 'StorageError')
  assert.equal([log.logEndOffset, log.size, log.leaderEpochs], [0, 0, []])
  assert.is(LogStatus[log.appendAsFollower(bytes).status], 'Ok')
  assert.equal([log.logEndOffset, log.leaderEpochs], [1, [{ epoch: 2, startOffset: 0 }]])
})

faults('a truncation that fails is reported, closes the log, and the next open finds it whole', () => {
  const store = new MemoryStore()
  const reported: string[] = []
  const config = logConfigFromTopicConfig({ 'segment.bytes': '300' })
  const log = PartitionLog.open({ dir: null, config, store, onStorageError: op => reported.push(op) })
  for (let i = 0; i < 12; i++) lead(log, makeBatch({ records: 2 }), 1)
  log.setHighWatermark(24)
  const before = allBytes(log)
  assert.ok(log.segmentBaseOffsets.length > 2)
  store.injectFault({ op: 'truncate' })
  assert.is(LogStatus[log.truncateTo(log.segmentBaseOffsets[1] + 2)], 'StorageError')
  assert.equal(reported, ['truncate'])
  assert.ok(log.isClosed)
  assert.is(LogStatus[log.appendAsFollower(makeBatch()).status], 'Closed')

  const reopened = PartitionLog.open({ dir: null, config, store })
  assert.ok(reopened.logEndOffset >= log.segmentBaseOffsets[1] + 2, 'what was below the offset is kept')
  assert.equal(allBytes(reopened), before.subarray(0, allBytes(reopened).length), 'a prefix of what the log held')
  assert.is(reopened.truncateTo(log.segmentBaseOffsets[1] + 2), LogStatus.Ok)
  assert.is(reopened.logEndOffset, log.segmentBaseOffsets[1] + 2)
  reopened.close()
})

faults.run()
