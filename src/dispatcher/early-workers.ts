/**
 * Partition worker threads spawned before the broker's own modules load.
 *
 * A partition worker needs ~70 ms to boot a Node thread and load its modules, and `millrace
 * start` needs about as long to load the dispatcher's: done one after the other they are most
 * of the cold start. The CLI entry spawns the workers first (this module imports nothing but
 * node:worker_threads and ./thread-options.ts), so both run at once on different cores;
 * WorkerLink then claims a waiting thread and posts it the settings it would otherwise get as
 * workerData.
 *
 * Unclaimed threads are unref'd (they never keep the process alive) and are terminated once
 * the broker has all its workers (`releaseEarlyWorkers`).
 */
import { Worker } from 'node:worker_threads'
import { threadOptions } from './thread-options.js'

export const PARTITION_WORKER_URL = new URL('../../workers/partition-worker.js', import.meta.url)

/** workerData of a thread spawned early: its settings arrive as its first message. */
export interface AwaitSettings { awaitSettings: true }

export interface EarlyWorker {
  worker: Worker
  /** Settles when the thread runs, or rejects if it failed before. */
  online: Promise<void>
}

interface Waiting extends EarlyWorker {
  exited: boolean
}

const waiting: Waiting[] = []

export function spawnEarlyWorkers (count: number): void {
  for (let i = 0; i < count; i++) {
    const worker = new Worker(PARTITION_WORKER_URL, { name: `millrace-partition-${i}`, ...threadOptions(), workerData: { awaitSettings: true } satisfies AwaitSettings })
    worker.unref()
    const entry: Waiting = {
      worker,
      exited: false,
      online: new Promise<void>((resolve, reject) => {
        worker.once('online', resolve)
        worker.once('error', reject)
      })
    }
    entry.online.catch(() => {})
    worker.once('exit', () => { entry.exited = true })
    waiting.push(entry)
  }
}

/** A thread spawned early that is still alive, now owned by the caller (and ref'd again); undefined when none is left. */
export function claimEarlyWorker (): EarlyWorker | undefined {
  for (let entry = waiting.shift(); entry !== undefined; entry = waiting.shift()) {
    if (entry.exited) continue
    entry.worker.ref()
    return { worker: entry.worker, online: entry.online }
  }
  return undefined
}

/** Terminates the threads nobody claimed (a broker configured with fewer workers). */
export function releaseEarlyWorkers (): void {
  for (const entry of waiting.splice(0)) void entry.worker.terminate()
}

/**
 * How many workers to spawn early for `millrace start <args>`: the count its flags ask for or
 * the default (one per core but one); none for help. A wrong value spawns none and is left to
 * the real parser to report; a config file's `workers` is not read here (missing threads are
 * spawned as usual, extra ones released).
 */
export function earlyWorkerCount (args: string[], cores: number): number {
  if (args.includes('-h') || args.includes('--help')) return 0
  let count = Math.max(1, cores - 1)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const value = arg === '--workers' ? args[i + 1] ?? '' : arg.startsWith('--workers=') ? arg.slice('--workers='.length) : undefined
    if (value === undefined) continue
    const n = Number(value)
    count = Number.isInteger(n) && n >= 1 && n <= 256 ? n : 0
  }
  return count
}
