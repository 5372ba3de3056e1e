/**
 * Latency histogram for `millrace bench`: an HDR histogram (hdr-histogram-js, 3 significant
 * digits, so every percentile is within 0.1 % of the true value) over microseconds. Recording
 * is a bucket increment, cheap enough to run for every record a latency run receives.
 */
import hdr from 'hdr-histogram-js'

/** One hour in microseconds: anything slower than that is not a latency we need to resolve. */
const HIGHEST_TRACKABLE_US = 3_600_000_000
const SIGNIFICANT_DIGITS = 3

export interface LatencySummary {
  count: number
  /** Microseconds. */
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

/** One point of the latency distribution chart: `percentile` % of records took at most `us`. */
export interface DistributionPoint { percentile: number, us: number }

/** Percentiles the report plots, denser near the tail where latency lives. */
const DISTRIBUTION_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]

export class LatencyHistogram {
  readonly #h: hdr.Histogram

  constructor () {
    this.#h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_TRACKABLE_US,
      numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
      useWebAssembly: false
    })
  }

  /** Records one latency in microseconds; values below 1 µs count as 1, above an hour as an hour. */
  record (us: number): void {
    const v = us < 1 ? 1 : us > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : Math.round(us)
    this.#h.recordValue(v)
  }

  get count (): number { return this.#h.totalCount }

  /**
   * The value at `percentile` (0–100) in microseconds; 0 when nothing was recorded. HDR answers
   * with the top of the value's bucket, which can pass the largest value recorded (4,097 µs
   * reads back as 4,099): capped there, so no percentile is ever above the max.
   */
  percentile (percentile: number): number {
    if (this.#h.totalCount === 0) return 0
    return Math.min(this.#h.getValueAtPercentile(percentile), this.#h.maxValue)
  }

  summary (): LatencySummary {
    return {
      count: this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.#h.totalCount === 0 ? 0 : this.#h.maxValue,
      mean: this.#h.totalCount === 0 ? 0 : this.#h.mean
    }
  }

  distribution (): DistributionPoint[] {
    return DISTRIBUTION_PERCENTILES.map((percentile) => ({ percentile, us: this.percentile(percentile) }))
  }

  /** Adds another histogram's counts (one per consumer) into this one. */
  add (other: LatencyHistogram): void {
    this.#h.add(other.#h)
  }
}
