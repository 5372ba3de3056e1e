/**
 * The background job pool (piscina): recovery scans at start, directory deletion, cleaning,
 * scrubbing. Threads start on first use and leave when idle, so a broker with nothing to
 * recover pays nothing.
 */
import type { Piscina } from 'piscina'
import { threadOptions } from './thread-options.js'
import type { DiscoverResult, JobTask } from '../jobs/tasks.js'
import type { RecoveryReport } from '../log/recovery.js'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import type { ScrubProgress, ScrubTask } from '../log/scrub.js'

const JOB_URL = new URL('../../workers/job.js', import.meta.url)
const IDLE_TIMEOUT_MS = 2000

export class JobPool {
  readonly #pool: Piscina<JobTask, unknown>

  private constructor (pool: Piscina<JobTask, unknown>) {
    this.#pool = pool
  }

  /** Loads piscina on demand: an in-memory broker never needs it. */
  static async create (threads: number): Promise<JobPool> {
    const { Piscina } = await import('piscina')
    return new JobPool(new Piscina({ filename: JOB_URL.href, maxThreads: threads, minThreads: 0, idleTimeout: IDLE_TIMEOUT_MS, ...threadOptions() }))
  }

  discover (dataDirs: readonly string[]): Promise<DiscoverResult> {
    return this.#pool.run({ type: 'discover', dataDirs }) as Promise<DiscoverResult>
  }

  /** Recovers the partition in `dir` if it was not closed cleanly; resolves with what recovery found, or null. */
  recover (dir: string, topicDefaults: Record<string, string>, overrides: Record<string, string>): Promise<RecoveryReport | null> {
    return this.#pool.run({ type: 'recover', dir, topicDefaults, overrides }) as Promise<RecoveryReport | null>
  }

  /** Cleans a partition's closed segments into `.cleaned` files (compaction.ts); the owner commits them. */
  clean (plan: CleanPlan): Promise<CleanResult> {
    return this.#pool.run({ type: 'clean', plan }) as Promise<CleanResult>
  }

  /** Verifies one chunk of a sealed segment (scrub.ts). */
  scrub (task: ScrubTask): Promise<ScrubProgress> {
    return this.#pool.run({ type: 'scrub', task }) as Promise<ScrubProgress>
  }

  deleteDir (dir: string): Promise<void> {
    return this.#pool.run({ type: 'delete-dir', dir }) as Promise<void>
  }

  close (): Promise<void> {
    return this.#pool.close()
  }
}
