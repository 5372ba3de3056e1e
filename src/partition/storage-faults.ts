/**
 * Logs the fs errors of a partition worker's logs (ENOSPC, EIO, EMFILE …): the log engine turns
 * them into StorageError answers (the client gets KAFKA_STORAGE_ERROR) and reports them here.
 * One line per directory, operation and errno code a second at most, with the count held back,
 * so a full disk under a steady produce load costs a line a second, not one per batch.
 *
 * Thread: a partition worker; lines go to the dispatcher through workerLogger.
 */
import { LogRateLimiter, type Logger } from '../logger.js'
import type { StorageOp } from '../log/partition-log.js'

/** What the line says first, for the errno codes an operator can act on. */
const CAUSES: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EROFS: 'read-only file system',
  EMFILE: 'out of file descriptors (raise ulimit -n)',
  ENFILE: 'out of file descriptors (system-wide)'
}

export interface FaultyPartition {
  topic: string
  partition: number
  /** The partition directory, or null for a log in memory. */
  dir: string | null
}

export class StorageFaultLog {
  readonly #log: Logger
  readonly #limiter: LogRateLimiter
  readonly #now: () => number

  constructor (log: Logger, options: { limiter?: LogRateLimiter, now?: () => number } = {}) {
    this.#log = log
    this.#limiter = options.limiter ?? new LogRateLimiter()
    this.#now = options.now ?? Date.now
  }

  report (where: FaultyPartition, op: StorageOp | 'open' | 'request', err: unknown): void {
    const code = (err as NodeJS.ErrnoException | null)?.code ?? 'unknown'
    const dir = where.dir ?? `(memory) ${where.topic}-${where.partition}`
    const suppressed = this.#limiter.admit(`${dir}|${op}|${code}`, this.#now())
    if (suppressed === null) return
    this.#log.error(
      { topic: where.topic, partition: where.partition, dir, op, code, err, suppressed },
      `partition storage error: ${CAUSES[code] ?? 'fs call failed'} during ${op}; requests that need the disk get KAFKA_STORAGE_ERROR`)
  }
}
