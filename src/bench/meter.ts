/**
 * Counts records as a run goes and samples the counts on a timer, giving the rate over time
 * that the HTML report plots and the live progress line shows. Producers and consumers only
 * add to two numbers; nothing is allocated per record.
 */

/** How often the counts are sampled for the throughput-over-time chart. */
export const SAMPLE_INTERVAL_MS = 250

export interface RateSample {
  /** Milliseconds since the run started. */
  t: number
  /** Records per second over the interval that ends at `t`. */
  produced: number
  consumed: number
}

export class Meter {
  produced = 0
  consumed = 0
  readonly samples: RateSample[] = []
  #startedAt = 0
  #lastAt = 0
  #lastProduced = 0
  #lastConsumed = 0
  #timer: NodeJS.Timeout | undefined
  readonly #onSample: ((m: Meter) => void) | undefined

  constructor (onSample?: (m: Meter) => void) {
    this.#onSample = onSample
  }

  start (): void {
    this.#startedAt = this.#lastAt = performance.now()
    this.#timer = setInterval(() => this.#sample(), SAMPLE_INTERVAL_MS)
  }

  get elapsedMs (): number { return performance.now() - this.#startedAt }

  #sample (): void {
    const now = performance.now()
    const seconds = (now - this.#lastAt) / 1000
    if (seconds <= 0) return
    this.samples.push({
      t: Math.round(now - this.#startedAt),
      produced: Math.round((this.produced - this.#lastProduced) / seconds),
      consumed: Math.round((this.consumed - this.#lastConsumed) / seconds)
    })
    this.#lastAt = now
    this.#lastProduced = this.produced
    this.#lastConsumed = this.consumed
    this.#onSample?.(this)
  }

  /** Takes a last sample and stops the timer. */
  stop (): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    if (performance.now() - this.#lastAt >= SAMPLE_INTERVAL_MS / 5) this.#sample()
  }
}
