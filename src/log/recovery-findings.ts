/**
 * Logs what recovery cut or deleted, one line each. Recovery itself logs nothing: it may run on
 * a job thread whose log records nobody relays, so whoever receives its report logs it (the
 * dispatcher after a recovery job, a partition worker when opening had to recover). Kept apart
 * from recovery.ts so the dispatcher's thread does not load the storage engine to log a report.
 */
import type { Logger } from '../logger.js'
import type { RecoveryReport } from './recovery.js'

export function logRecoveryFindings (log: Logger, dir: string, report: RecoveryReport): void {
  for (const cut of report.truncations) {
    log.warn({ dir, segment: cut.segment, offset: cut.offset, bytes: cut.bytes }, 'recovery cut a damaged segment at this offset; later segments are kept, the offsets up to the next segment are lost')
  }
  if (report.deletedSegments > 0) {
    log.warn({ dir, segments: report.deletedSegments, bytes: report.truncatedBytes }, 'recovery deleted segments whose offsets overlapped the segment before them')
  }
}
