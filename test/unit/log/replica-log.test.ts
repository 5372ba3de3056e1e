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
function producerBatch (producerId: number, epoch: number, baseSequence: number, records = 1, transactional = false): Buffer {
  const b = makeBatch({ producerId, baseSequence, records, attributes: transactional ? ATTR_TRANSACTIONAL : 0 })
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
}
