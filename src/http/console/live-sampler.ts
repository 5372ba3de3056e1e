/**
 * LiveSampler: the console's one source of broker state. Lives on the broker's (main) thread.
 * While at least one event stream listens it takes a snapshot every intervalMs and hands it to
 * every listener; with none it takes nothing. Reads that are not streams (a page load) share the
 * latest snapshot while it is younger than maxAgeMs, so no number of open pages or refreshes
 * describes the broker more than once per interval. Throughput is the change in high watermarks
 * and sizes between two consecutive snapshots.
 */
import type { BrokerSnapshot, PartitionSnapshot, TopicSnapshot } from './broker-snapshot.js'

export interface Rates {
  /** null until two snapshots exist. */
  recordsPerSec: number | null
  /** Growth of the log on disk; 0 while retention shrinks it. */
  bytesPerSec: number | null
}

export type LivePartition = PartitionSnapshot & Rates
export type LiveTopic = Omit<TopicSnapshot, 'partitions'> & Rates & { partitions: LivePartition[] }
export type LiveSample = Omit<BrokerSnapshot, 'topics'> & { topics: LiveTopic[] }

export type SampleListener = (sample: LiveSample | Error) => void

export interface LiveSamplerOptions {
  intervalMs?: number
  maxAgeMs?: number
}

export class LiveSampler {
  readonly #take: () => Promise<BrokerSnapshot>
  readonly #intervalMs: number
  readonly #maxAgeMs: number
  readonly #listeners = new Set<SampleListener>()
  #timer: NodeJS.Timeout | null = null
  #previous: BrokerSnapshot | null = null
  #latest: LiveSample | null = null
  #inFlight: Promise<LiveSample> | null = null
  #taken = 0

  constructor (take: () => Promise<BrokerSnapshot>, options: LiveSamplerOptions = {}) {
    this.#take = take
    this.#intervalMs = options.intervalMs ?? 1000
    this.#maxAgeMs = options.maxAgeMs ?? this.#intervalMs
  }

  /** Snapshots taken so far (for tests and the benchmark). */
  get taken (): number { return this.#taken }

  /** True while the interval timer runs, which is exactly while someone listens. */
  get sampling (): boolean { return this.#timer !== null }

  get listeners (): number { return this.#listeners.size }

  /** The latest sample if young enough, else a new one (concurrent callers share it). */
  async current (): Promise<LiveSample> {
    const latest = this.#latest
    if (latest !== null && Date.now() - latest.time < this.#maxAgeMs) return latest
    return await this.#sample()
  }

  /** Starts sampling with the first listener; the returned function stops it with the last. */
  subscribe (listener: SampleListener): () => void {
    this.#listeners.add(listener)
    this.current().then(listener, listener)
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs)
      this.#timer.unref()
    }
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stop()
    }
  }

  close (): void {
    this.#listeners.clear()
    this.#stop()
  }

  #stop (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }

  #tick (): void {
    if (this.#inFlight !== null) return // a slow broker gets no pile of overlapping samples
    this.#sample().then(
      (sample) => { for (const l of this.#listeners) l(sample) },
      (err: Error) => { for (const l of this.#listeners) l(err) })
  }

  #sample (): Promise<LiveSample> {
    this.#inFlight ??= (async () => {
      try {
        const snapshot = await this.#take()
        this.#taken++
        const sample = withRates(this.#previous, snapshot)
        this.#previous = snapshot
        this.#latest = sample
        return sample
      } finally {
        this.#inFlight = null
      }
    })()
    return this.#inFlight
  }
}

/** `next` with each topic's and partition's throughput since `previous`. */
export function withRates (previous: BrokerSnapshot | null, next: BrokerSnapshot): LiveSample {
  const seconds = previous === null ? 0 : (next.time - previous.time) / 1000
  const before = new Map<string, TopicSnapshot>()
  if (seconds > 0) for (const t of previous!.topics) before.set(t.topic, t)
  const topics = next.topics.map((t): LiveTopic => {
    const prev = before.get(t.topic)
    let topicRecords = prev === undefined ? null : 0
    let topicBytes = prev === undefined ? null : 0
    const partitions = t.partitions.map((p): LivePartition => {
      const pp = prev?.partitions[p.partition]
      if (pp === undefined || pp.partition !== p.partition) return { ...p, recordsPerSec: null, bytesPerSec: null }
      const recordsPerSec = Math.max(0, p.highWatermark - pp.highWatermark) / seconds
      const bytesPerSec = p.sizeBytes === null || pp.sizeBytes === null ? 0 : Math.max(0, p.sizeBytes - pp.sizeBytes) / seconds
      if (topicRecords !== null) topicRecords += recordsPerSec
      if (topicBytes !== null) topicBytes += bytesPerSec
      return { ...p, recordsPerSec, bytesPerSec }
    })
    return { ...t, partitions, recordsPerSec: topicRecords, bytesPerSec: topicBytes }
  })
  return { ...next, topics }
}
