/**
 * The fetch path's storage half on one thread: PartitionLog.read + copyRead over a whole log,
 * 1 MiB per read, as a partition worker serves a consumer. Two shapes: one 100-byte record per
 * batch (the most batch headers per byte to check) and 128 KiB batches (the bench default).
 * `node dist/perf/micro/log-read.js [runs]` prints the median MB per CPU-second of each (CPU
 * time, not wall time: on a shared machine, waiting for a core is not the code's cost); asserts
 * nothing.
 */
import { PartitionLog } from '../../src/log/partition-log.js'
import { logConfigFromTopicConfig } from '../../src/log/config.js'
import { LogStatus } from '../../src/log/errors.js'
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, kLastOffsetDelta, kMagic, kRecordCount, sealCrc } from '../../src/protocol/batch-header.js'
import { median } from '../lib/stats.js'
import { removeDir, tmpDir } from '../../test/helpers/tmp-dir.js'

const LOG_BYTES = 64 * 1024 * 1024
const READ_BYTES = 1 << 20

/** A batch of `records` records of `recordBytes` opaque bytes each: headers right, records not decoded by the log. */
function batch (records: number, recordBytes: number): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_BYTES + records * recordBytes)
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, 8)
  buf.writeInt8(2, kMagic)
  buf.writeInt32BE(records - 1, kLastOffsetDelta)
  buf.writeBigInt64BE(-1n, 43) // producerId: none
  buf.writeInt32BE(-1, 53) // baseSequence
  buf.writeInt32BE(records, kRecordCount)
  sealCrc(buf, 0)
  return buf
}

function readAllOnce (log: PartitionLog, target: Buffer): number {
  let offset = log.logStartOffset
  let bytes = 0
  while (offset < log.logEndOffset) {
    const read = log.read(offset, READ_BYTES, log.logEndOffset)
    if (read.status !== LogStatus.Ok || read.length === 0) throw new Error(`read at ${offset}: status ${read.status}`)
    if (log.copyRead(read, target, 0) !== LogStatus.Ok) throw new Error(`copy at ${offset}`)
    bytes += read.length
    // The next offset from the last batch copied: the header's base offset and delta.
    let at = 0
    let last = offset
    while (at < read.length) {
      const size = target.readInt32BE(at + 8) + BATCH_LOG_OVERHEAD
      last = Number(target.readBigInt64BE(at)) + target.readInt32BE(at + kLastOffsetDelta)
      at += size
    }
    offset = last + 1
  }
  return bytes
}

function shape (name: string, records: number, recordBytes: number, runs: number): void {
  const dir = tmpDir('millrace-log-read-')
  try {
    const log = PartitionLog.open({ dir, config: logConfigFromTopicConfig({ 'flush.messages': '9223372036854775807' }) })
    const template = batch(records, recordBytes)
    for (let written = 0; written < LOG_BYTES; written += template.length) log.append(Buffer.from(template), 0)
    log.setHighWatermark(log.logEndOffset)
    const target = Buffer.alloc(READ_BYTES + (1 << 18))
    readAllOnce(log, target) // warm the page cache and the code
    const rates: number[] = []
    for (let i = 0; i < runs; i++) {
      const started = process.cpuUsage()
      const bytes = readAllOnce(log, target)
      const used = process.cpuUsage(started)
      rates.push(bytes / ((used.user + used.system) / 1e6) / 1e6)
    }
    log.close()
    process.stdout.write(`${name}: median ${median(rates).toFixed(0)} MB per CPU-second (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}), ${runs} runs\n`)
  } finally {
    removeDir(dir)
  }
}

const runs = Number(process.argv[2] ?? 9)
shape('read+copy, 1 × 100 B record per batch', 1, 100, runs)
shape('read+copy, 128 KiB batches', 1300, 100, runs)
