import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PartitionLog } from '../../../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../../../src/log/config.js'
import { LogStatus } from '../../../src/log/errors.js'
import { MemoryStore, type StoreFile } from '../../../src/log/store.js'
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, kAttributes, kBatchLength, sealCrc } from '../../../src/protocol/batch-header.js'
import { BatchBuilder } from '../../../src/protocol/record-batch.js'
import { Compression } from '../../../src/protocol/compression.js'

/** One batch of records with the given timestamps, in that order. */
function batchOf (timestamps: number[], compression = Compression.None, valueBytes = 20): Buffer {
  const builder = new BatchBuilder({ compression })
  for (let i = 0; i < timestamps.length; i++) builder.append(timestamps[i], null, Buffer.alloc(valueBytes, i))
  return builder.build()
}

function openLog (topicConfig: Record<string, string> = {}, now = (): number => 1_700_000_000_000): PartitionLog {
  return PartitionLog.open({ dir: null, config: logConfigFromTopicConfig(topicConfig), now, store: new MemoryStore() })
}

function append (log: PartitionLog, batch: Buffer): void {
  assert.is(log.append(batch, 0).status, LogStatus.Ok)
  log.setHighWatermark(log.logEndOffset)
}

interface Ctx { log: PartitionLog }

const CODECS: Array<[string, Compression]> = [
  ['none', Compression.None], ['gzip', Compression.Gzip], ['zstd', Compression.Zstd],
  ['snappy', Compression.Snappy], ['lz4', Compression.Lz4]
]

for (const [name, codec] of CODECS) {
  // ---
  const records = suite<Ctx>(`record timestamps inside one batch (${name})`, { log: null as unknown as PartitionLog })
  records.before.each(ctx => {
    ctx.log = openLog({ 'index.interval.bytes': '0' })
    // Offsets 0-4, then 5-9: two batches whose records are out of order in time.
    append(ctx.log, batchOf([1000, 1040, 1010, 1030, 1020], codec))
    append(ctx.log, batchOf([2000, 2050, 2050, 2010, 2040], codec))
  })
  records.after.each(ctx => { ctx.log.close() })

  records('the first record at or after the target, not the batch start', ({ log }) => {
    assert.equal(log.offsetForTimestamp(1000), { status: LogStatus.Ok, offset: 0, timestamp: 1000 })
    assert.equal(log.offsetForTimestamp(1001), { status: LogStatus.Ok, offset: 1, timestamp: 1040 })
    assert.equal(log.offsetForTimestamp(1041), { status: LogStatus.Ok, offset: 5, timestamp: 2000 })
    assert.equal(log.offsetForTimestamp(2011), { status: LogStatus.Ok, offset: 6, timestamp: 2050 })
    assert.equal(log.offsetForTimestamp(0), { status: LogStatus.Ok, offset: 0, timestamp: 1000 })
  })

  records('a target later than every record: NotFound (offset -1, timestamp -1)', ({ log }) => {
    assert.equal(log.offsetForTimestamp(2051), { status: LogStatus.NotFound, offset: -1, timestamp: -1 })
  })

  records('MAX_TIMESTAMP: the first record holding the largest timestamp', ({ log }) => {
    assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 6, timestamp: 2050 })
    assert.equal(log.offsetForTimestamp(-3), { status: LogStatus.Ok, offset: 6, timestamp: 2050 })
  })

  records('records below the log start offset are passed over', ({ log }) => {
    assert.is(log.deleteRecordsBefore(7), LogStatus.Ok)
    assert.equal(log.offsetForTimestamp(1000), { status: LogStatus.Ok, offset: 7, timestamp: 2050 })
    assert.equal(log.offsetForTimestamp(2041), { status: LogStatus.Ok, offset: 7, timestamp: 2050 })
    assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 7, timestamp: 2050 })
    assert.is(log.deleteRecordsBefore(8), LogStatus.Ok)
    assert.equal(log.offsetForTimestamp(2041), { status: LogStatus.NotFound, offset: -1, timestamp: -1 })
    assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 9, timestamp: 2040 })
  })

  records.run()
}

// ---
const appendTime = suite('LogAppendTime')

appendTime('every record takes the batch time: the first record of the first batch at or after it', () => {
  let clock = 5000
  const log = openLog({ 'message.timestamp.type': 'LogAppendTime' }, () => clock)
  append(log, batchOf([1, 2, 3]))
  clock = 6000
  append(log, batchOf([9, 8, 7], Compression.Gzip))
  assert.equal(log.offsetForTimestamp(4000), { status: LogStatus.Ok, offset: 0, timestamp: 5000 })
  assert.equal(log.offsetForTimestamp(5001), { status: LogStatus.Ok, offset: 3, timestamp: 6000 })
  assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 3, timestamp: 6000 })
  log.close()
})

appendTime.run()

// ---
const skipping = suite('batches whose maxTimestamp no record holds')

skipping('a header claiming a later maxTimestamp than its records: the search goes on to the next batch', () => {
  const log = openLog({ 'index.interval.bytes': '0' })
  const liar = batchOf([100, 110, 120])
  liar.writeBigInt64BE(500n, 35) // maxTimestamp
  sealCrc(liar, 0)
  append(log, liar)
  append(log, batchOf([300, 400]))
  assert.equal(log.offsetForTimestamp(200), { status: LogStatus.Ok, offset: 3, timestamp: 300 })
  log.close()
})

skipping.run()

// ---
const cut = suite('MAX_TIMESTAMP after DeleteRecords cut a segment')

cut('the largest timestamp below the log start offset does not hide the records after it', () => {
  const log = openLog({ 'index.interval.bytes': '0' })
  append(log, batchOf([900, 950]))
  append(log, batchOf([300, 400]))
  append(log, batchOf([500, 450]))
  assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 1, timestamp: 950 })
  assert.is(log.deleteRecordsBefore(2), LogStatus.Ok)
  assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 4, timestamp: 500 })
  assert.is(log.deleteRecordsBefore(5), LogStatus.Ok)
  assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 5, timestamp: 450 })
  log.close()
})

cut.run()

// ---
const faults = suite('records that cannot be read')

/**
 * A log whose first batch is stored as `batch`: appended under `appendConfig` (the produce-time
 * checks pass), then reopened under `lookupConfig`, with `damage` applied to the stored bytes in
 * between. Stored data can be worse than what append accepts today: written before a limit was
 * lowered, or damaged on disk.
 */
function storedLog (batch: Buffer, appendConfig: Record<string, string>, lookupConfig: Record<string, string>, damage?: (segment: StoreFile) => void): PartitionLog {
  const store = new MemoryStore()
  const first = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig(appendConfig), store })
  append(first, batch)
  first.close()
  if (damage !== undefined) {
    const segment = store.open(store.list().find((name) => name.endsWith('.log'))!)
    damage(segment)
    segment.close()
  }
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig(lookupConfig), store })
  log.setHighWatermark(log.logEndOffset)
  return log
}

faults('a stored compressed block that does not inflate answers CorruptMessage', () => {
  const batch = batchOf([700], Compression.Gzip)
  const log = storedLog(batch, {}, {}, (segment) => {
    const garbage = Buffer.from('not a gzip stream at all')
    segment.write(garbage, 0, garbage.length, BATCH_HEADER_BYTES)
  })
  assert.equal(log.offsetForTimestamp(600), { status: LogStatus.CorruptMessage, offset: -1, timestamp: -1 })
  assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.CorruptMessage, offset: -1, timestamp: -1 })
  log.close()
})

for (const [name, codec] of [['gzip', Compression.Gzip], ['zstd', Compression.Zstd]] as const) {
  faults(`a stored ${name} block inflating past max.message.bytes × 32 is refused (RecordTooLarge), not inflated`, () => {
    // 200 KB of zeros compress to a few hundred bytes: accepted under a 1 MB limit, a bomb once the limit is 2000.
    const builder = new BatchBuilder({ compression: codec })
    builder.append(700, null, Buffer.alloc(200_000))
    const batch = builder.build()
    assert.ok(batch.length < 2000)
    const log = storedLog(batch, {}, { 'max.message.bytes': '2000' })
    assert.equal(log.offsetForTimestamp(600), { status: LogStatus.RecordTooLarge, offset: -1, timestamp: -1 })
    log.close()
  })
}

faults.run()

// ---
const zstdFrames = suite('zstd batches of several frames')

/** A batch whose records are zstd-compressed as `frames` separate frames, concatenated. */
async function multiFrameZstdBatch (timestamps: number[], frames: number): Promise<Buffer> {
  const { compress } = await import('zstd-napi')
  const plain = batchOf(timestamps)
  const records = plain.subarray(BATCH_HEADER_BYTES)
  const step = Math.ceil(records.length / frames)
  const parts: Buffer[] = []
  for (let at = 0; at < records.length; at += step) parts.push(compress(records.subarray(at, at + step)))
  const block = Buffer.concat(parts)
  const out = Buffer.alloc(BATCH_HEADER_BYTES + block.length)
  plain.copy(out, 0, 0, BATCH_HEADER_BYTES)
  block.copy(out, BATCH_HEADER_BYTES)
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, kBatchLength)
  out.writeInt16BE(Compression.Zstd, kAttributes)
  sealCrc(out, 0)
  return out
}

zstdFrames('the first frame declaring its size does not cut the others short', async () => {
  const log = openLog()
  append(log, await multiFrameZstdBatch([10, 20, 30, 40, 50, 60], 3))
  assert.equal(log.offsetForTimestamp(55), { status: LogStatus.Ok, offset: 5, timestamp: 60 })
  assert.equal(log.offsetForMaxTimestamp(), { status: LogStatus.Ok, offset: 5, timestamp: 60 })
  log.close()
})

zstdFrames.run()
