/**
 * Per-partition traffic counters, bumped once per append or fetch answer (never per record):
 * record counts come from the batch headers. The metrics sum them per topic at scrape time.
 */
import { countBatchRecords } from '../protocol/batch-header.js'
import type { PartitionState } from './topic-table.js'

/** Batches a partition accepted (Produce, library producers). */
export function countIn (p: PartitionState, batches: Uint8Array): void {
  p.recordsIn += countBatchRecords(batches)
  p.bytesIn += batches.length
}

/** Batches handed to a consumer (Fetch responses, library consumers). */
export function countOut (p: PartitionState, batches: Uint8Array): void {
  if (batches.length === 0) return
  p.recordsOut += countBatchRecords(batches)
  p.bytesOut += batches.length
}
