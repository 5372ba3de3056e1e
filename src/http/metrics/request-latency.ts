/**
 * Kafka requests per API and how long their handlers took, kept in typed arrays indexed by API
 * key: one request costs a bucket search and three increments, and allocates nothing.
 * (prom-client's Histogram.observe builds and hashes a labels object on every call: about
 * 0.8 µs a request measured on the 2-core dev machine; this costs too little to tell apart
 * from the two performance.now() calls around the handler, ~0.1 µs each.) Thread: the dispatcher's.
 *
 * prom-client reads it at scrape time as one of its metrics: the Registry asks each metric for
 * `get()` (name, help, type and sample values) and formats that, so this class answers `get()`
 * with the same shape prom-client's own Histogram gives: cumulative `_bucket` samples with `le`,
 * then `_sum` and `_count`, per API.
 */
import { apiByKey } from '../../protocol/api-keys.js'

/** Kafka API keys are below this (the largest we serve is 47). */
export const API_KEY_SLOTS = 128

interface Sample { metricName: string, labels: Record<string, string | number>, value: number }

export class RequestLatency {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #bounds: Float64Array
  readonly #counts = new Float64Array(API_KEY_SLOTS)
  readonly #sums = new Float64Array(API_KEY_SLOTS)
  /** Per API, the requests that fell in each bucket (not cumulative); above the last bound only in #counts. */
  readonly #buckets: Float64Array

  constructor (name: string, help: string, bounds: readonly number[]) {
    this.name = name
    this.help = help
    this.#bounds = Float64Array.from(bounds)
    this.#buckets = new Float64Array(API_KEY_SLOTS * bounds.length)
  }

  observe (apiKey: number, seconds: number): void {
    if (apiKey < 0 || apiKey >= API_KEY_SLOTS) return
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && seconds > bounds[i]) i++
    if (i < bounds.length) this.#buckets[apiKey * bounds.length + i]++
    this.#counts[apiKey]++
    this.#sums[apiKey] += seconds
  }

  /** Requests of `apiKey` so far. */
  count (apiKey: number): number { return this.#counts[apiKey] }

  /** API keys that have had at least one request. */
  * apiKeys (): Iterable<number> {
    for (let key = 0; key < API_KEY_SLOTS; key++) if (this.#counts[key] > 0) yield key
  }

  /** prom-client's metric contract: read by the Registry at scrape time. */
  async get (): Promise<{ name: string, help: string, type: string, aggregator: string, values: Sample[] }> {
    const values: Sample[] = []
    const n = this.#bounds.length
    for (const key of this.apiKeys()) {
      const api = apiName(key)
      let cumulative = 0
      for (let i = 0; i < n; i++) {
        cumulative += this.#buckets[key * n + i]
        values.push({ metricName: `${this.name}_bucket`, labels: { api, le: this.#bounds[i] }, value: cumulative })
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { api, le: '+Inf' }, value: this.#counts[key] })
      values.push({ metricName: `${this.name}_sum`, labels: { api }, value: this.#sums[key] })
      values.push({ metricName: `${this.name}_count`, labels: { api }, value: this.#counts[key] })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** prom-client's Registry.resetMetrics() calls it. */
  reset (): void {
    this.#counts.fill(0)
    this.#sums.fill(0)
    this.#buckets.fill(0)
  }
}

/** Kafka's name of an API ('Produce', 'Fetch', …). */
export function apiName (apiKey: number): string {
  return apiByKey(apiKey)?.name ?? `api-${apiKey}`
}
