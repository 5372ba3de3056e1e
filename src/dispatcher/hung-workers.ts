/**
 * Hung-worker detection: a timer reads every partition worker's heartbeat word (the worker adds
 * to it every pump pass and tick, ../partition/control-block.ts) and reports a worker whose word
 * has not moved for `replica.lag.time.max.ms`. A stuck event loop answers no message, so shared
 * memory is the only way to see it from outside.
 *
 * Thread: the dispatcher's. Time is monotonic (performance.now()); tests pass their own clock.
 */

/** What the watch reads of one worker. */
export interface Heartbeating {
  readonly index: number
  readonly alive: boolean
  heartbeat: () => number
}

export interface HungWorkerWatchOptions {
  /** The workers now (a restart replaces one, so it is asked each round). */
  readonly workers: () => readonly Heartbeating[]
  /** A heartbeat unchanged for this long means the worker is hung. */
  readonly hungAfterMs: number
  /** Called once per stuck worker, with how long it was silent. */
  readonly onHung: (worker: Heartbeating, silentMs: number) => void
  readonly now?: () => number
}

/** The check interval: at most 250 ms, and several checks per lag time so detection is not late by a whole period. */
export function checkIntervalMs (hungAfterMs: number): number {
  return Math.max(10, Math.min(250, Math.floor(hungAfterMs / 4)))
}

interface Reading {
  worker: Heartbeating
  beat: number
  /** When the beat last changed (or the worker was first seen). */
  since: number
}

export class HungWorkerWatch {
  readonly #options: HungWorkerWatchOptions
  readonly #now: () => number
  /** By worker index; a new worker object at an index (a restart) starts a fresh reading. */
  readonly #readings = new Map<number, Reading>()
  #timer: NodeJS.Timeout | null = null

  constructor (options: HungWorkerWatchOptions) {
    this.#options = options
    this.#now = options.now ?? (() => performance.now())
  }

  start (): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => this.check(), checkIntervalMs(this.#options.hungAfterMs))
    this.#timer.unref()
  }

  /** One round (the timer calls it; tests call it with their clock). */
  check (): void {
    const now = this.#now()
    for (const worker of this.#options.workers()) {
      if (!worker.alive) continue
      const beat = worker.heartbeat()
      const last = this.#readings.get(worker.index)
      if (last === undefined || last.worker !== worker || last.beat !== beat) {
        this.#readings.set(worker.index, { worker, beat, since: now })
        continue
      }
      const silentMs = now - last.since
      if (silentMs < this.#options.hungAfterMs) continue
      // Reported once: the owner replaces the worker, and its replacement gets a reading of its own.
      this.#readings.delete(worker.index)
      this.#options.onHung(worker, silentMs)
    }
  }

  stop (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}
