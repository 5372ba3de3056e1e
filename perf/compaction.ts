/**
 * Cleaning throughput of the compaction job: MB/s of closed segments read by one clean
 * (cleanPartitionDir, the body of the 'clean' pool job), on one thread, files in the OS temp
 * dir. Each case writes MB_PER_CASE of batches (100 records of VALUE_BYTES each, keys drawn
 * from KEYS, so most records are superseded; values are random bytes, so a codec does not
 * shrink them and every case reads about as many records), rolls, plans and cleans once.
 *
 *   node dist/perf/compaction.js [MB per case, default 128]
 */
import { rmSync } from 'node:fs'
import { PartitionLog } from '../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../src/log/config.js'
import { cleanPartitionDir } from '../src/log/segment-cleaner.js'
import { BatchBuilder, Compression } from '../src/protocol/record-batch.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { xorshift } from '../test/helpers/seeded-random.js'

const MB_PER_CASE = Number(process.argv[2] ?? 128)
const RECORDS_PER_BATCH = 100
const VALUE_BYTES = 200
const KEYS = 50_000


function runCase (name: string, compression: Compression): void {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-perf-compact-'))
  try {
    const config = logConfigFromTopicConfig({ 'cleanup.policy': 'compact', 'segment.bytes': String(16 << 20), 'min.cleanable.dirty.ratio': '0' })
    const log = PartitionLog.open({ dir, config })
    const builder = new BatchBuilder({ compression })
    const random = xorshift(12345)
    const pool = Buffer.alloc(1 << 20)
    for (let i = 0; i < pool.length; i += 4) pool.writeUInt32BE(random(), i)
    while (log.size < MB_PER_CASE * 1e6) {
      builder.reset()
      for (let i = 0; i < RECORDS_PER_BATCH; i++) {
        const r = random()
        const at = r % (pool.length - VALUE_BYTES)
        builder.append(Date.now(), Buffer.from(`key-${r % KEYS}`), pool.subarray(at, at + VALUE_BYTES))
      }
      log.append(builder.build(), 0)
    }
    // A batch in a new segment: everything before it is closed and cleanable.
    builder.reset()
    builder.append(Date.now(), Buffer.from('end'), Buffer.alloc(1))
    log.setConfig(logConfigFromTopicConfig({ 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0' }))
    log.append(builder.build(), 0)
    log.setHighWatermark(log.logEndOffset)
    log.flush()
    const plan = log.planClean(Date.now())
    if (plan === null) throw new Error('nothing planned')
    const result = cleanPartitionDir(plan)
    log.commitClean(result)
    log.close()
    const mbRead = result.readBytes / 1e6
    console.log(`${name.padEnd(6)} read ${mbRead.toFixed(1)} MB in ${result.segments.length} segments, ${result.records} records → kept ${result.keptRecords} (${(result.writtenBytes / 1e6).toFixed(1)} MB): ` +
      `${(result.durationMs / 1000).toFixed(2)} s, ${(mbRead / (result.durationMs / 1000)).toFixed(1)} MB/s, ${(result.records / (result.durationMs / 1000) / 1e6).toFixed(2)} M records/s`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`compaction clean job, node ${process.version}, ${MB_PER_CASE} MB per case, ${KEYS} keys, ${RECORDS_PER_BATCH} records of ${VALUE_BYTES} B per batch`)
runCase('none', Compression.None)
runCase('lz4', Compression.Lz4)
runCase('gzip', Compression.Gzip)
