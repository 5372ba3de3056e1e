/**
 * Which old segments retention may delete: a prefix of the closed segments, by age (the
 * segment's largest timestamp, or its file time when no batch carries one) and by total size.
 * Like Kafka, a segment goes only once the high watermark has passed all of it, and never the
 * active segment.
 */
import type { LogConfig } from './config.js'
import type { Segment } from './segment.js'

/** How many segments at the head of `segments` retention deletes now. */
export function expiredSegmentCount (segments: readonly Segment[], config: LogConfig, nowMs: number, highWatermark: number, totalBytes: number): number {
  if (!config.cleanupPolicy.includes('delete')) return 0
  let count = 0
  // Closed segments whose successor starts at or below the high watermark.
  let deletable = 0
  while (deletable + 1 < segments.length && segments[deletable + 1].baseOffset <= highWatermark) deletable++

  if (config.retentionMs >= 0) {
    while (count < deletable && nowMs - newestTimestamp(segments[count]) > config.retentionMs) count++
  }
  if (config.retentionBytes >= 0) {
    let excess = totalBytes - config.retentionBytes
    for (let i = 0; i < count; i++) excess -= segments[i].size
    while (count < deletable && excess - segments[count].size >= 0) {
      excess -= segments[count].size
      count++
    }
  }
  return count
}

function newestTimestamp (segment: Segment): number {
  const max = segment.maxTimestamp
  return max >= 0 ? max : segment.createdMs
}
