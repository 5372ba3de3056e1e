/**
 * ListOffsets by time, inside the partition log (one thread, files in the OS temp dir): µs per
 * lookup for random targets, per batch shape and codec. Two figures from the same files in
 * one run:
 *   batch   the sparse time index and the batch headers only (Segment.locateTimestamp): the
 *           old, batch-granular answer
 *   record  PartitionLog.offsetForTimestamp: the same, then the one batch decoded (inflated
 *           when compressed) to find the first record at or after the target
 * Each case writes about MB_PER_CASE of records with timestamps 1 ms apart, in one segment.
 *
 *   node dist/perf/list-offsets.js [MB per case, default 32]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PartitionLog } from '../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../src/log/config.js'
import { LogStatus } from '../src/log/errors.js'
import { Segment } from '../src/log/segment.js'
import { DiskStore } from '../src/log/store.js'
import { BatchBuilder, Compression } from '../src/protocol/record-batch.js'
import { median } from './lib/stats.js'
import { xorshift } from '../test/helpers/seeded-random.js'

const MB_PER_CASE = Number(process.argv[2] ?? 32)
const VALUE_BYTES = 100
const LOOKUPS = 400
const ROUNDS = 7
const T0 = 1_700_000_000_000


/** A JSON-like value: compresses about as well as typical event payloads. */
function valueOf (i: number): Buffer {
  const text = `{"id":${i},"user":"u${i % 977}","event":"page_view","path":"/item/${i % 5003}","ms":${i % 1000}}`
  return Buffer.from(text.padEnd(VALUE_BYTES, ' ').slice(0, VALUE_BYTES))
}

function timeOf (fn: (target: number) => void, targets: number[]): number {
  const start = process.hrtime.bigint()
  for (const t of targets) fn(t)
  return Number(process.hrtime.bigint() - start) / 1000 / targets.length
}

function runCase (shape: string, recordsPerBatch: number, codecName: string, compression: Compression): void {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-perf-list-offsets-'))
  try {
    const config = logConfigFromTopicConfig({ 'segment.bytes': String(1 << 30), 'max.message.bytes': String(2 << 20) })
    let log = PartitionLog.open({ dir, config })
    const builder = new BatchBuilder({ compression })
    let records = 0
    while (records * VALUE_BYTES < MB_PER_CASE * 1e6) {
      builder.reset()
      for (let i = 0; i < recordsPerBatch; i++, records++) builder.append(T0 + records, null, valueOf(records))
      if (log.append(builder.build(), 0).status !== LogStatus.Ok) throw new Error('append failed')
    }
    log.setHighWatermark(log.logEndOffset)
    log.close()
    log = PartitionLog.open({ dir, config })
    const segment = Segment.open(new DiskStore(dir), 0, { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes })
    // Opened outside the log, the segment learns its end and exact offsets as the log's scan would tell it.
    segment.nextOffset = log.logEndOffset
    segment.contiguous = true

    const random = xorshift(42)
    const targets = Array.from({ length: LOOKUPS }, () => T0 + (random() % records))
    // Both answers must agree with the data: the batch holds the record, the record is exact.
    for (const t of targets.slice(0, 20)) {
      const found = log.offsetForTimestamp(t)
      if (found.status !== LogStatus.Ok || found.offset !== t - T0 || found.timestamp !== t) throw new Error(`record lookup wrong at ${t}`)
      if (!segment.locateTimestamp(t, 0)) throw new Error(`batch lookup found nothing at ${t}`)
    }
    const batch: number[] = []
    const record: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      batch.push(timeOf((t) => { segment.locateTimestamp(t, 0) }, targets))
      record.push(timeOf((t) => { log.offsetForTimestamp(t) }, targets))
    }
    const b = median(batch)
    const r = median(record)
    console.log(`${shape.padEnd(28)} ${codecName.padEnd(6)} batch ${b.toFixed(1).padStart(7)} µs   record ${r.toFixed(1).padStart(7)} µs   decode +${(r - b).toFixed(1)} µs`)
    segment.log.close()
    log.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`ListOffsets by time: median of ${ROUNDS} rounds of ${LOOKUPS} random lookups, ~${MB_PER_CASE} MB per case, node ${process.version}`)
const shapes: Array<[string, number]> = [['16 KiB batches (160 × 100 B)', 160], ['1 MiB batches (10,000 × 100 B)', 10_000]]
const codecs: Array<[string, Compression]> = [['none', Compression.None], ['gzip', Compression.Gzip], ['zstd', Compression.Zstd], ['lz4', Compression.Lz4]]
for (const [shape, perBatch] of shapes) {
  for (const [name, codec] of codecs) runCase(shape, perBatch, name, codec)
}
