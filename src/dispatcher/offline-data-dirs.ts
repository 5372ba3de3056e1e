/**
 * Data dirs taken offline after a storage failure (Kafka's JBOD behaviour: one failed replica
 * takes its whole log dir offline until the broker restarts; no write goes there again).
 *
 * Thread: the dispatcher's. Plain state: the supervisor acts on it, readiness and describe read it.
 */
import type { Logger } from '../logger.js'

export interface OfflineDataDir {
  readonly dir: string
  /** What failed first (the storage error's message, or the fault hook). */
  readonly cause: string
  /** Replicas it held when it went offline, as `topic-partition` (~r for replica r ≥ 1). */
  readonly replicas: readonly string[]
}

export class OfflineDataDirs {
  readonly #dirs = new Map<string, OfflineDataDir>()
  readonly #logger: Logger

  constructor (logger: Logger) {
    this.#logger = logger
  }

  has (dir: string | null): boolean { return dir !== null && this.#dirs.has(dir) }

  get size (): number { return this.#dirs.size }

  list (): OfflineDataDir[] { return [...this.#dirs.values()] }

  /** Marks `dir` offline; false (and nothing logged) when it already was: a failed dir is logged once. */
  add (dir: string, cause: string, replicas: readonly string[]): boolean {
    if (this.#dirs.has(dir)) return false
    this.#dirs.set(dir, { dir, cause, replicas })
    this.#logger.error({ dataDir: dir, cause, replicas, errorCode: 'KAFKA_STORAGE_ERROR' },
      'data dir offline after a storage failure: its replicas are offline until the broker restarts, requests on them get KAFKA_STORAGE_ERROR')
    return true
  }
}
