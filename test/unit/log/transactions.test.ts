import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig, type LogConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { MemoryStore } from '../../../src/log/store.js'
import { ProducerStateTable } from '../../../src/log/producer-state.js'
import { RECOVERY_POINT_FILE } from '../../../src/log/checkpoint.js'
import { ABORTED_TXN_BYTES, decodeTxnIndex, TXN_INDEX_SUFFIX } from '../../../src/log/txn-index.js'
import { ATTR_TRANSACTIONAL, kProducerEpoch, sealCrc } from '../../../src/protocol/batch-header.js'
import { crc32c } from '../../../src/protocol/crc32c.js'
import { makeBatch } from './batches.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

/** A transactional batch of `records` records: producer id, epoch, first sequence. */
function txnBatch (producerId: number, epoch: number, baseSequence: number, records = 1): Buffer {
  const b = makeBatch({ producerId, baseSequence, records, attributes: ATTR_TRANSACTIONAL })
  b.writeInt16BE(epoch, kProducerEpoch)
  sealCrc(b, 0)
  return b
}

function plainBatch (records = 1): Buffer {
  return makeBatch({ records })
}

function memoryLog (): PartitionLog {
  return PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}), store: new MemoryStore() })
}

/** Appends and moves the high watermark, as the partition actor does with one replica. */
function append (log: PartitionLog, bytes: Buffer): number {
  const r = log.append(bytes, 0)
  assert.is(LogStatus[r.status], 'Ok')
  log.setHighWatermark(log.logEndOffset)
  return r.baseOffset
}

function marker (log: PartitionLog, producerId: number, epoch: number, commit: boolean): { status: string, offset: number } {
  const r = log.appendMarker(producerId, epoch, 0, commit, 0)
  if (r.status === LogStatus.Ok) log.setHighWatermark(log.logEndOffset)
  return { status: LogStatus[r.status], offset: r.baseOffset }
}

// ---

const lso = suite('last stable offset')

lso('equals the high watermark without transactions, and stops at the first open transaction', () => {
  const log = memoryLog()
  append(log, plainBatch(3))
  assert.is(log.lastStableOffset, 3)
  append(log, txnBatch(7, 0, 0, 2)) // 3-4
  append(log, plainBatch(1)) // 5
  append(log, txnBatch(8, 0, 0, 1)) // 6
  assert.is(log.highWatermark, 7)
  assert.is(log.lastStableOffset, 3)
  assert.equal(marker(log, 7, 0, true), { status: 'Ok', offset: 7 })
  assert.is(log.lastStableOffset, 6, 'the other open transaction holds it now')
  assert.equal(marker(log, 8, 0, false), { status: 'Ok', offset: 8 })
  assert.is(log.lastStableOffset, 9)
  assert.is(log.highWatermark, 9)
})

lso('a second transaction batch of the same producer keeps the first offset', () => {
  const log = memoryLog()
  append(log, txnBatch(7, 0, 0, 2))
  append(log, txnBatch(7, 0, 2, 2))
  assert.is(log.producers.openTransactionOf(7), 0)
  assert.is(log.lastStableOffset, 0)
})

lso('reads limited to the LSO never return open transactions', () => {
  const log = memoryLog()
  append(log, plainBatch(2))
  append(log, txnBatch(7, 0, 0, 2))
  const read = log.readBytes(0, 1 << 20, log.lastStableOffset)
  assert.is(read.bytes.length, plainBatch(2).length)
  assert.is(log.read(2, 1 << 20, log.lastStableOffset).length, 0)
})

lso.run()

// ---

const markers = suite('markers')

markers('a marker takes an offset and ends only its own producer\'s transaction', () => {
  const log = memoryLog()
  append(log, txnBatch(7, 0, 0))
  append(log, txnBatch(8, 0, 0))
  assert.equal(marker(log, 8, 0, true), { status: 'Ok', offset: 2 })
  assert.is(log.producers.openTransactionOf(7), 0)
  assert.is(log.producers.openTransactionOf(8), -1)
  assert.is(log.logEndOffset, 3)
})

markers('a marker sent again (coordinator retry) is appended and changes nothing', () => {
  const log = memoryLog()
  append(log, txnBatch(7, 0, 0, 2))
  assert.equal(marker(log, 7, 0, false), { status: 'Ok', offset: 2 })
  assert.equal(marker(log, 7, 0, false), { status: 'Ok', offset: 3 })
  assert.is(log.abortedTransactionCount, 1, 'the second abort closes nothing, so adds no entry')
  assert.is(log.lastStableOffset, 4)
})

markers('a marker from an older epoch is refused; a newer one bumps the epoch and fences old batches', () => {
  const log = memoryLog()
  append(log, txnBatch(7, 3, 0))
  assert.equal(marker(log, 7, 2, true), { status: 'InvalidProducerEpoch', offset: -1 })
  assert.is(log.logEndOffset, 1)
  assert.equal(marker(log, 7, 4, false), { status: 'Ok', offset: 1 })
  assert.is(log.producers.describe(7)?.epoch, 4)
  const late = log.append(txnBatch(7, 3, 1), 0)
  assert.is(LogStatus[late.status], 'InvalidProducerEpoch', 'a delayed produce from the fenced epoch')
  // The new epoch starts at sequence 0.
  assert.is(append(log, txnBatch(7, 4, 0)), 2)
})

markers('a marker for a producer never seen here is appended (Kafka writes it) and opens nothing', () => {
  const log = memoryLog()
  assert.equal(marker(log, 99, 0, true), { status: 'Ok', offset: 0 })
  assert.is(log.lastStableOffset, 1)
  assert.is(log.producers.describe(99)?.epoch, 0)
})

markers('the aborted transactions of a range: marker at or after the fetch offset, first offset below its end, by first offset', () => {
  const log = memoryLog()
  append(log, txnBatch(1, 0, 0)) // 0
  append(log, txnBatch(2, 0, 0)) // 1
  marker(log, 2, 0, false) // 2
  append(log, plainBatch()) // 3
  marker(log, 1, 0, false) // 4
  append(log, txnBatch(3, 0, 0)) // 5
  marker(log, 3, 0, true) // 6: committed, not listed
  assert.equal(log.abortedTransactions(0, 7).map(t => [t.producerId, t.firstOffset]), [[1, 0], [2, 1]])
  assert.equal(log.abortedTransactions(3, 7).map(t => [t.producerId, t.firstOffset]), [[1, 0]], 'the abort of 2 ended before 3')
  assert.equal(log.abortedTransactions(5, 7), [])
  assert.equal(log.abortedTransactions(0, 1).map(t => t.producerId), [1], 'producer 2 starts at the end of the range')
})

markers('a .txnindex write that fails is reported, and the abort stays hidden all the same', () => {
  const store = new MemoryStore()
  const failures: string[] = []
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}), store, onStorageError: (op) => failures.push(op) })
  append(log, txnBatch(5, 0, 0, 2))
  store.injectFault({ op: 'sync' }) // the index entry's fsync: nothing else syncs on this append
  assert.equal(marker(log, 5, 0, false), { status: 'Ok', offset: 2 })
  assert.equal(failures, ['txn index'])
  assert.equal(log.abortedTransactions(0, 3).map(t => [t.producerId, t.firstOffset]), [[5, 0]])
})

markers.run()

// ---

interface DiskCtx { dir: string, config: LogConfig }
const disk = suite<DiskCtx>('transactions on disk')

disk.before.each((ctx) => {
  ctx.dir = tmpDir('millrace-txn-')
  ctx.config = logConfigFromTopicConfig({ 'segment.bytes': '400' })
})
disk.after.each((ctx) => { removeDir(ctx.dir) })

function open (ctx: DiskCtx): PartitionLog {
  const log = PartitionLog.open({ dir: ctx.dir, config: ctx.config })
  log.setHighWatermark(log.logEndOffset)
  return log
}

function txnIndexFiles (dir: string): string[] {
  return readdirSync(dir).filter(n => n.endsWith(TXN_INDEX_SUFFIX)).sort()
}

disk('an abort writes a 34-byte entry to the .txnindex of the marker\'s segment, in Kafka\'s format', (ctx) => {
  const log = open(ctx)
  append(log, txnBatch(5, 1, 0, 2))
  append(log, plainBatch())
  const m = marker(log, 5, 1, false)
  const files = txnIndexFiles(ctx.dir)
  assert.is(files.length, 1)
  const segmentBase = Number(files[0].slice(0, 20))
  const entries = decodeTxnIndex(readFileSync(join(ctx.dir, files[0])), segmentBase, m.offset + 1)
  assert.equal(entries, [{ producerId: 5, firstOffset: 0, lastOffset: m.offset, lastStableOffset: m.offset + 1 }])
  log.close()
})

disk('an open transaction survives a clean restart and a crash (snapshot, then replay)', (ctx) => {
  let log = open(ctx)
  append(log, plainBatch(2))
  append(log, txnBatch(5, 0, 0, 2)) // 2-3
  for (let i = 0; i < 6; i++) append(log, plainBatch(3)) // several segments
  log.close()
  log = open(ctx)
  assert.is(log.lastStableOffset, 2, 'after a clean close: from the snapshot')
  assert.is(log.producers.openTransactionOf(5), 2)
  log.close()
  // A crash: snapshots and the recovery point are gone; replay from the log start finds the transaction.
  for (const name of readdirSync(ctx.dir)) if (name.endsWith('.snapshot') || name === RECOVERY_POINT_FILE) rmSync(join(ctx.dir, name))
  log = open(ctx)
  assert.is(log.lastStableOffset, 2, 'after a crash: from replay')
  assert.equal(marker(log, 5, 0, true).status, 'Ok')
  assert.is(log.lastStableOffset, log.highWatermark)
  log.close()
})

disk('a deleted .txnindex is rebuilt at open', (ctx) => {
  let log = open(ctx)
  append(log, txnBatch(5, 0, 0, 3))
  marker(log, 5, 0, false)
  for (let i = 0; i < 6; i++) append(log, plainBatch(3))
  append(log, txnBatch(6, 0, 0))
  marker(log, 6, 0, false)
  const before = log.abortedTransactions(0, log.logEndOffset)
  assert.is(before.length, 2)
  const files = txnIndexFiles(ctx.dir)
  assert.is(files.length, 2, 'the markers are in different segments')
  log.close()
  rmSync(join(ctx.dir, files[1]))
  log = open(ctx)
  assert.ok(log.txnIndexRebuilt)
  assert.equal(log.abortedTransactions(0, log.logEndOffset), before)
  assert.equal(txnIndexFiles(ctx.dir), files)
  log.close()
})

disk('a damaged .txnindex (a torn entry) is rebuilt at open', (ctx) => {
  let log = open(ctx)
  append(log, txnBatch(5, 0, 0, 3))
  marker(log, 5, 0, false)
  const before = log.abortedTransactions(0, log.logEndOffset)
  log.close()
  const [file] = txnIndexFiles(ctx.dir)
  truncateSync(join(ctx.dir, file), ABORTED_TXN_BYTES - 5)
  log = open(ctx)
  assert.ok(log.txnIndexRebuilt)
  assert.equal(log.abortedTransactions(0, log.logEndOffset), before)
  log.close()
})

disk('an orphan .txnindex (its segment gone) is removed, not applied to a new segment', (ctx) => {
  const orphan = join(ctx.dir, `${String(1000).padStart(20, '0')}${TXN_INDEX_SUFFIX}`)
  writeFileSync(orphan, Buffer.alloc(ABORTED_TXN_BYTES))
  const log = open(ctx)
  assert.not.ok(existsSync(orphan))
  assert.is(log.abortedTransactionCount, 0)
  log.close()
})

disk('retention removes a segment\'s .txnindex with it', (ctx) => {
  ctx.config = logConfigFromTopicConfig({ 'segment.bytes': '400', 'retention.bytes': '1' })
  const log = open(ctx)
  append(log, txnBatch(5, 0, 0, 3))
  marker(log, 5, 0, false)
  for (let i = 0; i < 6; i++) append(log, plainBatch(3))
  assert.is(txnIndexFiles(ctx.dir).length, 1)
  assert.ok(log.applyRetention(Date.now()) > 0)
  assert.is(txnIndexFiles(ctx.dir).length, 0)
  assert.is(log.abortedTransactionCount, 0)
  log.close()
})

disk('compaction is not planned while the log holds aborted transactions, nor past the LSO', (ctx) => {
  ctx.config = logConfigFromTopicConfig({ 'segment.bytes': '400', 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.01' })
  const log = open(ctx)
  const keyed = (records: number, attributes = 0, producerId = -1): Buffer => {
    const b = makeBatch({ records, key: 'k', attributes, producerId, baseSequence: producerId >= 0 ? 0 : -1 })
    return b
  }
  for (let i = 0; i < 6; i++) append(log, keyed(3))
  assert.ok(log.planClean(Date.now()) !== null, 'a plain compacted log is cleaned')
  append(log, keyed(1, ATTR_TRANSACTIONAL, 9))
  const first = log.logEndOffset - 1
  for (let i = 0; i < 6; i++) append(log, keyed(3))
  const plan = log.planClean(Date.now())
  assert.ok(plan !== null && plan.endOffset <= first, 'cleaning stops below the open transaction')
  marker(log, 9, 0, false)
  assert.ok(log.cleaningBlockedByTransactions)
  assert.is(log.planClean(Date.now()), null)
  log.close()
})

disk.run()

// ---

const snapshots = suite('producer state snapshots with transactions')

snapshots('encode then decode keeps open transactions; version 1 snapshots still load', () => {
  const log = memoryLog()
  append(log, txnBatch(7, 2, 0, 2))
  append(log, txnBatch(8, 0, 0, 1))
  marker(log, 8, 0, false)
  const bytes = log.producers.encode()
  const table = ProducerStateTable.decode(bytes)
  assert.ok(table !== null)
  assert.is(table.openTransactionOf(7), 0)
  assert.is(table.openTransactionOf(8), -1)
  assert.is(table.firstUnstableOffset, 0)
  assert.is(table.lastAbortMarker, 3)
  // A version 1 snapshot: header of 10 bytes, entries of 19 (no open transaction).
  const v1 = Buffer.alloc(10 + 19)
  v1.writeInt16BE(1, 0)
  v1.writeInt32BE(1, 6)
  v1.writeBigInt64BE(42n, 10)
  v1.writeInt16BE(3, 18)
  v1.writeBigInt64BE(0n, 20)
  v1.writeInt8(0, 28)
  v1.writeUInt32BE(crc32c(v1.subarray(6)), 2)
  const old = ProducerStateTable.decode(v1)
  assert.ok(old !== null)
  assert.is(old.describe(42)?.epoch, 3)
  assert.is(old.firstUnstableOffset, -1)
})

snapshots.run()
