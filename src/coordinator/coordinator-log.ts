/**
 * CoordinatorLog: the coordinator's own compacted log (`__consumer_offsets-0` in the data dir,
 * or in memory). Every committed offset and every group's membership is a keyed record here;
 * the newest record per key is the state, so replaying the log at start rebuilds it, and
 * compaction keeps the log from growing with every commit.
 *
 * Thread: the coordinator actor's. It is the only writer of these files, as a partition actor
 * is of its own.
 */
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { PartitionLog } from '../log/partition-log.js'
import { logConfigFromTopicConfig } from '../log/config.js'
import { LogStatus } from '../log/errors.js'
import { BatchBuilder, forEachBatch, forEachRecord } from '../protocol/record-batch.js'
import { baseOffsetOf, lastOffsetDeltaOf } from '../protocol/batch-header.js'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import { OFFSETS_DIR, OFFSETS_TOPIC } from './offsets-topic.js'
import { salvageCoordinatorLog } from './log-salvage.js'
import { DiskStore } from '../log/store.js'
import { StorageFaultLog } from '../partition/storage-faults.js'
import { silentLogger, type Logger } from '../logger.js'


/** Kafka's offsets.topic.segment.bytes default: small segments so compaction can reach old commits. */
const OFFSETS_SEGMENT_BYTES = '104857600'
/** Bytes read per step while replaying the log at start. */
const REPLAY_READ_BYTES = 1 << 20

export type CoordinatorRecord = readonly [key: Buffer, value: Buffer | null]

export class CoordinatorLog {
  readonly #log: PartitionLog
  readonly #builder = new BatchBuilder()
  readonly #dirName: string

  private constructor (log: PartitionLog, dirName: string) {
    this.#log = log
    this.#dirName = dirName
  }

  /**
   * Opens (and recovers) the log, cutting damaged batches out first (log-salvage.ts) and logging
   * each on `logger`; `overrides` are topic configs for tests (segment.bytes…). `dirName` is
   * the offsets log's unless given (the transaction log lives beside it, in the same format).
   */
  static open (dataDir: string | null, overrides: Record<string, string> = {}, logger: Logger = silentLogger, dirName: string = OFFSETS_DIR): CoordinatorLog {
    const config = logConfigFromTopicConfig({ 'cleanup.policy': 'compact', 'segment.bytes': OFFSETS_SEGMENT_BYTES, ...overrides })
    let dir: string | null = null
    if (dataDir !== null) {
      dir = join(dataDir, dirName)
      mkdirSync(dir, { recursive: true })
      salvageCoordinatorLog(new DiskStore(dir), logger)
    }
    const faults = new StorageFaultLog(logger)
    const where = { topic: dirName === OFFSETS_DIR ? OFFSETS_TOPIC : dirName.replace(/-0$/, ''), partition: 0, dir }
    const log = PartitionLog.open({ dir, config, onStorageError: (op, err) => faults.report(where, op, err) })
    log.setHighWatermark(log.logEndOffset)
    return new CoordinatorLog(log, dirName)
  }

  /** The engine log, for the cleaner. */
  get log (): PartitionLog { return this.#log }

  /** Calls `visit` for every record from the start of the log, in offset order. */
  replay (visit: (key: Buffer, value: Buffer | null, timestamp: number) => void): void {
    const log = this.#log
    let offset = log.logStartOffset
    while (offset < log.logEndOffset) {
      const { status, bytes } = log.readBytes(offset, REPLAY_READ_BYTES, log.logEndOffset)
      if (status !== LogStatus.Ok) throw new Error(`cannot read the coordinator log at offset ${offset}: status ${LogStatus[status]}`)
      if (bytes.length === 0) break
      let next = offset
      forEachBatch(bytes, (at) => {
        forEachRecord(bytes, at, (_offset, timestamp, key, value) => {
          if (key !== null) visit(key, value, timestamp)
        })
        // The header, not the records, says where the batch ends: compaction leaves gaps.
        next = baseOffsetOf(bytes, at) + lastOffsetDeltaOf(bytes, at) + 1
      })
      if (next <= offset) break
      offset = next
    }
  }

  /** Appends records as one batch; they land together or not at all. */
  write (records: readonly CoordinatorRecord[], now: number): LogStatus {
    if (records.length === 0) return LogStatus.Ok
    const builder = this.#builder
    builder.reset()
    for (const [key, value] of records) builder.append(now, key, value)
    const result = this.#log.append(builder.build(), 0)
    if (result.status === LogStatus.Ok) this.#log.setHighWatermark(this.#log.logEndOffset)
    return result.status
  }

  // Compaction: the dispatcher's log cleaner drives these, as for a compacted topic partition.
  planClean (now: number): CleanPlan | null { return this.#log.planClean(now) }
  cleanInline (plan: CleanPlan): CleanResult { return this.#log.cleanInline(plan) }
  commitClean (result: CleanResult): boolean {
    const status = this.#log.commitClean(result)
    if (status === LogStatus.StorageError) throw new Error(`${this.#dirName}: the cleaned segments could not be swapped in`)
    return status === LogStatus.Ok
  }

  close (): void {
    this.#log.close()
  }
}
