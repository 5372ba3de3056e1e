/**
 * `broker.faults`: the faults a replicated broker survives, on demand, for tests (ours and the
 * users' own suites). Each call resolves when the fault is in effect, not when it has healed:
 * wait for the broker's recovery (describeTopic, /ready) as a client would.
 *
 * Thread: the broker's (library mode). The work is the worker supervisor's
 * (../dispatcher/worker-supervisor.ts); this only checks what it is given.
 */
import { resolve } from 'node:path'
import { invalidOption } from '../errors.js'
import type { WorkerSupervisor } from '../dispatcher/worker-supervisor.js'

export interface BrokerFaultsOptions {
  readonly workers: WorkerSupervisor
  /** The broker's data dirs as configured (empty in memory). */
  readonly dataDirs: readonly string[]
  /** Throws MR_ERR_CLOSED once the broker closes. */
  readonly assertOpen: () => void
}

export class BrokerFaults {
  readonly #options: BrokerFaultsOptions

  constructor (options: BrokerFaultsOptions) {
    this.#options = options
  }

  /**
   * Terminates partition worker `index` (0 ≤ index < workers) as a crash would. Resolves once
   * its thread is gone. The broker restarts it: requests caught meanwhile get
   * NOT_LEADER_OR_FOLLOWER, leaderships it held move to in-sync replicas, and its partitions
   * recover from disk and catch up. Throws MR_ERR_INVALID_OPTION for a bad index.
   */
  async killWorker (index: number): Promise<void> {
    this.#options.assertOpen()
    await this.#options.workers.killWorker(this.#workerIndex('faults.killWorker()', index))
  }

  /**
   * Blocks partition worker `index`'s thread for `ms` (as a stuck fsync or a long GC pause
   * would). Resolves once it is blocked. When `ms` reaches `replicaLagTimeMaxMs` the broker
   * declares it hung: fences it (whatever it does on resuming is refused), moves its
   * leaderships, and restarts it. Throws MR_ERR_INVALID_OPTION for a bad index or duration.
   */
  async hangWorker (index: number, ms: number): Promise<void> {
    this.#options.assertOpen()
    const worker = this.#workerIndex('faults.hangWorker()', index)
    if (!Number.isSafeInteger(ms) || ms <= 0) throw invalidOption('faults.hangWorker() ms', `must be a positive integer; got ${String(ms)}`)
    await this.#options.workers.hangWorker(worker, ms)
  }

  /**
   * Fails data dir `dir` (one of the broker's dataDirs) as a dead disk would: every replica in it
   * goes offline until the broker restarts, leaderships move, requests on its partitions get
   * KAFKA_STORAGE_ERROR (MR_ERR_STORAGE in library mode). Resolves once the dir is offline.
   * Throws MR_ERR_INVALID_OPTION for a dir that is not one of the broker's.
   */
  async failDataDir (dir: string): Promise<void> {
    this.#options.assertOpen()
    const dirs = this.#options.dataDirs
    const wanted = typeof dir === 'string' && dir.length > 0 ? resolve(dir) : null
    const found = wanted === null ? undefined : dirs.find((d) => resolve(d) === wanted)
    if (found === undefined) {
      throw invalidOption('faults.failDataDir() dir', dirs.length === 0 ? 'has no data dir to fail: the broker runs in memory' : `must be one of the broker's data dirs (${dirs.join(', ')}); got ${JSON.stringify(dir)}`)
    }
    await this.#options.workers.failDataDir(found, 'faults.failDataDir()')
  }

  #workerIndex (what: string, index: number): number {
    const count = this.#options.workers.count
    if (!Number.isInteger(index) || index < 0 || index >= count) throw invalidOption(`${what} index`, `must be a worker index from 0 to ${count - 1}; got ${String(index)}`)
    return index
  }
}
