import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig, type LogConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { MemoryStore } from '../../../src/log/store.js'
import { addSequence, ProducerStateTable, snapshotFileName, snapshotOffsets } from '../../../src/log/producer-state.js'
import { kProducerEpoch, sealCrc } from '../../../src/protocol/batch-header.js'
import { makeBatch } from './batches.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const INT32_MAX = 2147483647

/** An idempotent batch: producer id, epoch, first sequence, record count. */
function batch (producerId: number, epoch: number, baseSequence: number, records = 1, timestamp = 1_700_000_000_000): Buffer {
  const b = makeBatch({ producerId, baseSequence, records, timestamp })
  b.writeInt16BE(epoch, kProducerEpoch)
  sealCrc(b, 0)
  return b
}

function memoryLog (topic: Record<string, string> = {}, now?: () => number): PartitionLog {
  return PartitionLog.open({ dir: null, config: logConfigFromTopicConfig(topic), store: new MemoryStore(), now })
}

function appended (log: PartitionLog, bytes: Buffer): { status: LogStatus, baseOffset: number } {
  const r = log.append(bytes, 0)
  if (r.status === LogStatus.Ok) log.setHighWatermark(log.logEndOffset)
  return { status: r.status, baseOffset: r.baseOffset }
}

// ---

const rules = suite('producer state: Kafka rules')

rules('a retried batch is answered with its original offsets and not appended again', () => {
  const log = memoryLog()
  assert.equal(appended(log, batch(7, 0, 0, 3)), { status: LogStatus.Ok, baseOffset: 0 })
  assert.equal(appended(log, batch(7, 0, 3, 2)), { status: LogStatus.Ok, baseOffset: 3 })
  assert.equal(appended(log, batch(7, 0, 0, 3)), { status: LogStatus.Ok, baseOffset: 0 })
  assert.equal(appended(log, batch(7, 0, 3, 2)), { status: LogStatus.Ok, baseOffset: 3 })
  assert.is(log.logEndOffset, 5)
  const r = log.append(batch(7, 0, 3, 2), 0)
  assert.is(r.lastOffset, 4)
})

rules('the rules table', () => {
  const cases: Array<[string, Buffer[], LogStatus, number]> = [
    // [what, batches appended before, status of the last one, its base offset or -1]
    ['first batch of a new producer at sequence 0', [batch(1, 0, 0)], LogStatus.Ok, 0],
    ['unknown producer at a non-zero sequence (Kafka accepts: its state may have been deleted)', [batch(1, 0, 42)], LogStatus.Ok, 0],
    ['next sequence', [batch(1, 0, 0, 2), batch(1, 0, 2)], LogStatus.Ok, 2],
    ['a gap', [batch(1, 0, 0, 2), batch(1, 0, 3)], LogStatus.OutOfOrderSequence, -1],
    ['a sequence already passed but not one of the kept batches', [batch(1, 0, 0, 2), batch(1, 0, 1)], LogStatus.OutOfOrderSequence, -1],
    ['an older epoch is fenced', [batch(1, 3, 0), batch(1, 2, 1)], LogStatus.InvalidProducerEpoch, -1],
    ['an older epoch is fenced even at a kept sequence', [batch(1, 3, 0), batch(1, 2, 0)], LogStatus.InvalidProducerEpoch, -1],
    ['a newer epoch starts at 0', [batch(1, 0, 0, 5), batch(1, 1, 0)], LogStatus.Ok, 5],
    ['a newer epoch not at 0', [batch(1, 0, 0, 5), batch(1, 1, 5)], LogStatus.OutOfOrderSequence, -1],
    ['the sequence wraps after INT32_MAX', [batch(1, 0, INT32_MAX - 1, 2), batch(1, 0, 0)], LogStatus.Ok, 2],
    ['a batch across the wrap, then its successor', [batch(1, 0, INT32_MAX - 1, 3), batch(1, 0, 1)], LogStatus.Ok, 3],
    ['producers do not share sequences', [batch(1, 0, 0, 4), batch(2, 0, 0), batch(1, 0, 4)], LogStatus.Ok, 5],
    ['the oldest of six batches is no longer a duplicate', [0, 1, 2, 3, 4, 5, 0].map((s) => batch(1, 0, s)), LogStatus.OutOfOrderSequence, -1],
    ['the oldest of the five kept batches is still a duplicate', [0, 1, 2, 3, 4, 0].map((s) => batch(1, 0, s)), LogStatus.Ok, 0],
    ['a same-range batch of another epoch is not a duplicate', [batch(1, 0, 0), batch(1, 1, 0), batch(1, 0, 0)], LogStatus.InvalidProducerEpoch, -1],
    ['a non-idempotent batch is not checked', [batch(1, 0, 0), makeBatch()], LogStatus.Ok, 1]
  ]
  for (const [what, batches, status, offset] of cases) {
    const log = memoryLog()
    for (let i = 0; i < batches.length - 1; i++) assert.is(appended(log, batches[i]).status, LogStatus.Ok, `${what}: setup ${i}`)
    const leo = log.logEndOffset
    const last = appended(log, batches[batches.length - 1])
    assert.is(last.status, status, what)
    if (status === LogStatus.Ok) assert.is(last.baseOffset, offset, what)
    else assert.is(log.logEndOffset, leo, `${what}: nothing appended`)
  }
})

rules('several batches in one append are each checked, against the ones before them too', () => {
  const log = memoryLog()
  assert.equal(appended(log, Buffer.concat([batch(1, 0, 0, 2), batch(1, 0, 2), batch(2, 0, 0)])), { status: LogStatus.Ok, baseOffset: 0 })
  assert.equal(log.producers.describe(1), { epoch: 0, lastSeq: 2, batches: 2 })
  assert.is(appended(log, Buffer.concat([batch(1, 0, 3), batch(1, 0, 5)])).status, LogStatus.OutOfOrderSequence)
  assert.is(appended(log, Buffer.concat([batch(1, 0, 3), batch(1, 1, 0), batch(1, 0, 4)])).status, LogStatus.InvalidProducerEpoch)
  assert.is(log.logEndOffset, 4)
  assert.equal(log.producers.describe(1), { epoch: 0, lastSeq: 2, batches: 2 }, 'a refused append changes nothing')
})

rules('a duplicate on a LogAppendTime topic carries the original append time', () => {
  let clock = 5000
  const log = memoryLog({ 'message.timestamp.type': 'LogAppendTime' }, () => clock)
  const first = log.append(batch(1, 0, 0), 0)
  clock = 9000
  const again = log.append(batch(1, 0, 0), 0)
  assert.is(first.logAppendTime, 5000)
  assert.is(again.logAppendTime, 5000)
  assert.is(again.baseOffset, first.baseOffset)
})

rules('addSequence wraps as Kafka does', () => {
  assert.is(addSequence(5, 3), 8)
  assert.is(addSequence(INT32_MAX, 1), 0)
  assert.is(addSequence(INT32_MAX - 1, 3), 1)
})

rules('idle producers expire', () => {
  const table = new ProducerStateTable()
  table.commit(batch(1, 0, 0, 1, 50_000), 1000)
  table.commit(batch(2, 0, 0, 1, 1000), 50_000)
  assert.is(table.expire(60_000, 20_000), 1)
  assert.is(table.describe(1), null)
  assert.ok(table.describe(2) !== null)
})

rules.run()

// ---

interface DirCtx { dir: string, config: LogConfig }
const persisted = suite<DirCtx>('producer state: snapshots and replay', { dir: '', config: logConfigFromTopicConfig({}) })
persisted.before.each(ctx => {
  ctx.dir = tmpDir('millrace-pstate-')
  ctx.config = logConfigFromTopicConfig({ 'segment.bytes': '300' })
})
persisted.after.each(ctx => { removeDir(ctx.dir); removeDir(`${ctx.dir}-image`) })

function fill (log: PartitionLog, producerId: number, batches: number, records = 2): void {
  for (let i = 0; i < batches; i++) assert.is(appended(log, batch(producerId, 0, i * records, records)).status, LogStatus.Ok)
}

persisted('a clean close writes a snapshot at the log end; reopening detects duplicates without a replay', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  fill(log, 9, 12)
  assert.ok(log.segmentBaseOffsets.length > 2, 'the test needs rolls')
  log.close()
  const offsets = snapshotOffsets(new MemoryStoreView(dir))
  assert.is(offsets[offsets.length - 1], 24)
  assert.ok(offsets.length <= 2, 'old snapshots are removed')
  const reopened = PartitionLog.open({ dir, config })
  assert.equal(appended(reopened, batch(9, 0, 22, 2)), { status: LogStatus.Ok, baseOffset: 22 })
  assert.is(appended(reopened, batch(9, 0, 25)).status, LogStatus.OutOfOrderSequence)
  assert.equal(appended(reopened, batch(9, 0, 24)), { status: LogStatus.Ok, baseOffset: 24 })
  reopened.close()
})

persisted('after a crash (no close, no final snapshot), replay from the last roll snapshot rebuilds the table', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  fill(log, 9, 10)
  assert.is(appended(log, batch(4, 2, 0, 3)).status, LogStatus.Ok)
  const image = `${dir}-image`
  cpSync(dir, image, { recursive: true })
  log.close()
  const last = snapshotOffsets(new MemoryStoreView(image))
  assert.ok(last.length > 0 && last[last.length - 1] < 23, 'only roll snapshots in the image')
  const reopened = PartitionLog.open({ dir: image, config })
  assert.ok(reopened.recovery !== null, 'the crash image went through recovery')
  assert.equal(reopened.producers.describe(9), { epoch: 0, lastSeq: 19, batches: 5 })
  assert.equal(reopened.producers.describe(4), { epoch: 2, lastSeq: 2, batches: 1 })
  assert.equal(appended(reopened, batch(9, 0, 18, 2)), { status: LogStatus.Ok, baseOffset: 18 })
  assert.equal(appended(reopened, batch(4, 2, 0, 3)), { status: LogStatus.Ok, baseOffset: 20 })
  assert.is(appended(reopened, batch(4, 1, 3)).status, LogStatus.InvalidProducerEpoch)
  assert.is(reopened.logEndOffset, 23)
  reopened.close()
})

persisted('the largest producer id is known after a crash, from snapshots and the batch headers after them', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  assert.is(log.producers.largestProducerId, -1, 'none yet')
  fill(log, 31, 10)
  assert.is(appended(log, batch(4, 0, 0)).status, LogStatus.Ok)
  assert.is(appended(log, batch(57, 0, 0)).status, LogStatus.Ok) // after the last roll: only in a batch header
  const image = `${dir}-image`
  cpSync(dir, image, { recursive: true })
  log.close()
  const reopened = PartitionLog.open({ dir: image, config })
  assert.ok(reopened.recovery !== null, 'the crash image went through recovery')
  assert.is(reopened.producers.largestProducerId, 57)
  reopened.close()
})

persisted('a tail cut by recovery drops the snapshot beyond it, and the cut batch can be sent again', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config: logConfigFromTopicConfig({}) })
  fill(log, 3, 4)
  log.close()
  assert.ok(existsSync(join(dir, snapshotFileName(8))))
  const segment = join(dir, readdirSync(dir).find((n) => n.endsWith('.log'))!)
  truncateSync(segment, statSync(segment).size - 10)
  writeFileSync(join(dir, 'recovery-point-offset-checkpoint'), '0\n0\n')
  const reopened = PartitionLog.open({ dir, config: logConfigFromTopicConfig({}) })
  assert.is(reopened.logEndOffset, 6)
  assert.not.ok(existsSync(join(dir, snapshotFileName(8))), 'the snapshot past the log end is gone')
  assert.equal(reopened.producers.describe(3), { epoch: 0, lastSeq: 5, batches: 3 })
  assert.equal(appended(reopened, batch(3, 0, 6, 2)), { status: LogStatus.Ok, baseOffset: 6 })
  reopened.close()
})

persisted('retention and DeleteRecords keep the table: a restarted log accepts the next batch and still refuses a gap', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  fill(log, 5, 12)
  assert.is(log.deleteRecordsBefore(log.highWatermark), LogStatus.Ok)
  assert.is(log.segmentBaseOffsets.length, 1)
  log.close()
  const reopened = PartitionLog.open({ dir, config })
  assert.is(reopened.logStartOffset, 24)
  assert.equal(appended(reopened, batch(5, 0, 22, 2)), { status: LogStatus.Ok, baseOffset: 22 }, 'a duplicate of a deleted batch keeps its offsets')
  assert.is(appended(reopened, batch(5, 0, 30)).status, LogStatus.OutOfOrderSequence)
  assert.equal(appended(reopened, batch(5, 0, 24)), { status: LogStatus.Ok, baseOffset: 24 })
  reopened.close()
})

persisted('a damaged snapshot is ignored: the older one and a longer replay take over', ({ dir, config }) => {
  const log = PartitionLog.open({ dir, config })
  fill(log, 6, 12)
  log.close()
  const offsets = snapshotOffsets(new MemoryStoreView(dir))
  const newest = join(dir, snapshotFileName(offsets[offsets.length - 1]))
  const bytes = readFileSync(newest)
  bytes[bytes.length - 1] ^= 0xff
  writeFileSync(newest, bytes)
  assert.is(ProducerStateTable.decode(bytes), null)
  const reopened = PartitionLog.open({ dir, config })
  assert.equal(reopened.producers.describe(6), { epoch: 0, lastSeq: 23, batches: 5 })
  assert.equal(appended(reopened, batch(6, 0, 16, 2)), { status: LogStatus.Ok, baseOffset: 16 })
  reopened.close()
})

persisted('snapshots round-trip', () => {
  const table = new ProducerStateTable()
  for (let s = 0; s < 7; s++) table.commit(batch(11, 1, s * 2, 2, 100 + s), 5000)
  table.commit(batch(12, 0, 5), 6000)
  const copy = ProducerStateTable.decode(table.encode())
  assert.ok(copy !== null)
  assert.equal(copy.describe(11), table.describe(11))
  assert.equal(copy.describe(12), table.describe(12))
  assert.equal(copy.encode(), table.encode())
})

persisted.run()

/** Lists snapshot names of a directory through the store interface. */
class MemoryStoreView extends MemoryStore {
  readonly #dir: string
  constructor (dir: string) { super(); this.#dir = dir }
  override list (): string[] { return readdirSync(this.#dir) }
}
