/**
 * The broker's Prometheus metrics, on a registry of its own (two brokers in one process do not
 * share one), served together with the process's metrics (`processRegistry` below). Thread: the
 * dispatcher's.
 *
 * Nothing here runs per record. The hot path only bumps plain counters: per partition in the
 * dispatcher (../../dispatcher/traffic.ts) and, per request, a few typed-array slots
 * (`requestHandled`, called by the Kafka connections; ./request-latency.ts). Everything else (per-topic sums,
 * partition offsets and sizes, group lag, rings, connections) is read at scrape time.
 */
import { underReplicated } from '../../replication/replica-view.js'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client'
import type { Broker } from '../../broker.js'
import { apiName, RequestLatency } from './request-latency.js'
import type { RequestObserver } from '../../server/request-observer.js'
import type { Logger } from '../../logger.js'

/** Request latency buckets in seconds: most requests take well under a millisecond; a long-poll Fetch up to its maxWaitMs. */
const REQUEST_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Event-loop delay sampling resolution (prom-client's default metrics use the same). */
const LOOP_DELAY_RESOLUTION_MS = 10

export class BrokerMetrics implements RequestObserver {
  readonly registry = new Registry()
  readonly #broker: Broker
  readonly #log: Logger
  readonly #loopDelay: IntervalHistogram
  readonly #requests: Counter<'api'>
  readonly #latency: RequestLatency
  readonly #recordsIn: Counter<'topic'>
  readonly #bytesIn: Counter<'topic'>
  readonly #recordsOut: Counter<'topic'>
  readonly #bytesOut: Counter<'topic'>
  readonly #logSize: Gauge<'topic' | 'partition'>
  readonly #logEnd: Gauge<'topic' | 'partition'>
  readonly #logStart: Gauge<'topic' | 'partition'>
  readonly #highWatermark: Gauge<'topic' | 'partition'>
  readonly #groupLag: Gauge<'group' | 'topic' | 'partition'>
  readonly #offline: Gauge
  readonly #workerRestarts: Counter
  readonly #underReplicated: Gauge
  readonly #ringUsed: Gauge<'worker' | 'ring'>
  readonly #ringCapacity: Gauge
  readonly #loopDelayP50: Gauge
  readonly #loopDelayP99: Gauge
  readonly #loopDelayMax: Gauge
  readonly #connections: Gauge
  #rendering: Promise<string> | null = null

  constructor (broker: Broker, logger: Logger) {
    this.#broker = broker
    this.#log = logger
    const registers = [this.registry]
    this.#requests = new Counter({ name: 'millrace_requests_total', help: 'Kafka requests handled, by API', labelNames: ['api'], registers })
    this.#latency = new RequestLatency('millrace_request_duration_seconds', 'Time from a Kafka request read to its response ready, by API (a long-poll Fetch includes its wait)', REQUEST_SECONDS_BUCKETS)
    // Not one of prom-client's classes, but it answers get() as they do (./request-latency.ts).
    this.registry.registerMetric(this.#latency as unknown as Metric)
    this.#recordsIn = new Counter({ name: 'millrace_topic_records_in_total', help: 'Records appended to the topic (producers over Kafka and in library mode)', labelNames: ['topic'], registers })
    this.#bytesIn = new Counter({ name: 'millrace_topic_bytes_in_total', help: 'Record batch bytes appended to the topic', labelNames: ['topic'], registers })
    this.#recordsOut = new Counter({ name: 'millrace_topic_records_out_total', help: 'Records in the batches fetched from the topic (whole batches, as sent)', labelNames: ['topic'], registers })
    this.#bytesOut = new Counter({ name: 'millrace_topic_bytes_out_total', help: 'Record batch bytes fetched from the topic', labelNames: ['topic'], registers })
    this.#logSize = new Gauge({ name: 'millrace_partition_log_size_bytes', help: 'Bytes of the partition log on disk (absent while offline)', labelNames: ['topic', 'partition'], registers })
    this.#logEnd = new Gauge({ name: 'millrace_partition_log_end_offset', help: 'Offset after the last record in the partition log (absent while offline)', labelNames: ['topic', 'partition'], registers })
    this.#logStart = new Gauge({ name: 'millrace_partition_log_start_offset', help: 'First offset still in the partition log', labelNames: ['topic', 'partition'], registers })
    this.#highWatermark = new Gauge({ name: 'millrace_partition_high_watermark', help: 'Offset consumers may read up to', labelNames: ['topic', 'partition'], registers })
    this.#groupLag = new Gauge({ name: 'millrace_group_lag', help: 'High watermark minus the committed offset, per group and partition', labelNames: ['group', 'topic', 'partition'], registers })
    this.#offline = new Gauge({ name: 'millrace_offline_partitions', help: 'Partitions not serving: of topics left offline at start, or whose worker restarts', registers })
    this.#underReplicated = new Gauge({ name: 'millrace_under_replicated_partitions', help: 'Partitions with fewer in-sync replicas than replicas', registers })
    this.#workerRestarts = new Counter({ name: 'millrace_worker_restarts_total', help: 'Partition workers restarted after dying', registers })
    this.#ringUsed = new Gauge({ name: 'millrace_ring_used_bytes', help: 'Bytes in use in a dispatcher-worker ring (request: to the worker; response: from it)', labelNames: ['worker', 'ring'], registers })
    this.#ringCapacity = new Gauge({ name: 'millrace_ring_capacity_bytes', help: 'Size of each dispatcher-worker ring', registers })
    this.#loopDelayP50 = new Gauge({ name: 'millrace_dispatcher_event_loop_delay_p50_seconds', help: 'Median event-loop delay of the dispatcher thread since the previous scrape', registers })
    this.#loopDelayP99 = new Gauge({ name: 'millrace_dispatcher_event_loop_delay_p99_seconds', help: '99th percentile event-loop delay of the dispatcher thread since the previous scrape', registers })
    this.#loopDelayMax = new Gauge({ name: 'millrace_dispatcher_event_loop_delay_max_seconds', help: 'Largest event-loop delay of the dispatcher thread since the previous scrape', registers })
    this.#connections = new Gauge({ name: 'millrace_open_connections', help: 'Open Kafka client connections', registers })
    this.#loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
    this.#loopDelay.enable()
  }

  requestHandled (apiKey: number, seconds: number): void {
    this.#latency.observe(apiKey, seconds)
  }

  /**
   * The exposition text (Prometheus format) with every scrape-time figure read now. Scrapes that
   * overlap share one reading: each resets and refills the same metrics.
   */
  render (): Promise<string> {
    this.#rendering ??= (async () => {
      try {
        await this.#refresh()
        return await Registry.merge([this.registry, processRegistry()]).metrics()
      } finally {
        this.#rendering = null
      }
    })()
    return this.#rendering
  }

  get contentType (): string { return this.registry.contentType }

  /** Stops sampling the event loop; the broker calls it on close. */
  close (): void {
    this.#loopDelay.disable()
  }

  async #refresh (): Promise<void> {
    const dispatcher = this.#broker.dispatcher
    this.#requests.reset()
    for (const key of this.#latency.apiKeys()) this.#requests.inc({ api: apiName(key) }, this.#latency.count(key))
    for (const metric of [this.#recordsIn, this.#bytesIn, this.#recordsOut, this.#bytesOut]) metric.reset()
    for (const metric of [this.#logSize, this.#logEnd, this.#logStart, this.#highWatermark]) metric.reset()
    const described: Array<Promise<void>> = []
    for (const topic of dispatcher.topics.all()) {
      let recordsIn = 0; let bytesIn = 0; let recordsOut = 0; let bytesOut = 0
      for (const p of topic.partitions) {
        if (p === undefined) continue
        recordsIn += p.recordsIn; bytesIn += p.bytesIn; recordsOut += p.recordsOut; bytesOut += p.bytesOut
        const labels = { topic: topic.name, partition: p.partition }
        described.push(dispatcher.describePartition(p).then((offsets) => {
          this.#highWatermark.set(labels, p.highWatermark)
          this.#logStart.set(labels, p.logStartOffset)
          if (offsets === null) return
          this.#logEnd.set(labels, offsets.logEndOffset)
          this.#logSize.set(labels, offsets.sizeBytes)
        }, () => {
          // Its worker died meanwhile: the offline gauge says so; the last known offsets stand.
          this.#highWatermark.set(labels, p.highWatermark)
          this.#logStart.set(labels, p.logStartOffset)
        }))
      }
      const labels = { topic: topic.name }
      this.#recordsIn.inc(labels, recordsIn)
      this.#bytesIn.inc(labels, bytesIn)
      this.#recordsOut.inc(labels, recordsOut)
      this.#bytesOut.inc(labels, bytesOut)
    }
    this.#offline.set(dispatcher.offlinePartitionCount())
    let under = 0
    for (const p of dispatcher.topics.partitions()) if (underReplicated(p)) under++
    this.#underReplicated.set(under)
    this.#workerRestarts.reset()
    this.#workerRestarts.inc(dispatcher.workerRestarts)
    this.#ringUsed.reset()
    let capacity = 0
    for (const ring of dispatcher.ringUsage()) {
      this.#ringUsed.set({ worker: ring.worker, ring: 'request' }, ring.requestBytes)
      this.#ringUsed.set({ worker: ring.worker, ring: 'response' }, ring.responseBytes)
      capacity = ring.capacityBytes
    }
    this.#ringCapacity.set(capacity)
    this.#connections.set(this.#broker.server?.connectionCount ?? 0)
    this.#readLoopDelay()
    await Promise.all([...described, this.#refreshGroupLag()])
  }

  #readLoopDelay (): void {
    const h = this.#loopDelay
    // The histogram holds nanoseconds; it is empty (NaN/huge min) until its first sample.
    const seconds = (ns: number): number => Number.isFinite(ns) && h.count > 0 ? ns / 1e9 : 0
    this.#loopDelayP50.set(seconds(h.percentile(50)))
    this.#loopDelayP99.set(seconds(h.percentile(99)))
    this.#loopDelayMax.set(seconds(h.max))
    h.reset()
  }

  /** Lag of every group with committed offsets, through the coordinator as describeGroup reads it; none while the coordinator has not started. */
  async #refreshGroupLag (): Promise<void> {
    this.#groupLag.reset()
    if (!this.#broker.dispatcher.coordinatorRunning) return
    const groups = await this.#broker.listGroups()
    await Promise.all(groups.map(async ({ groupId }) => {
      let description
      try {
        description = await this.#broker.describeGroup(groupId)
      } catch (err) {
        // Deleted between the listing and now; anything else is worth a line (rare: per scrape, not per request).
        if ((err as { code?: string }).code !== 'MR_ERR_KAFKA') this.#log.warn({ group: groupId, err }, `metrics: cannot read the lag of group '${groupId}'`)
        return
      }
      for (const row of description.offsets) {
        if (row.lag !== null) this.#groupLag.set({ group: groupId, topic: row.topic, partition: row.partition }, Number(row.lag))
      }
    }))
  }
}

let shared: Registry | null = null

/**
 * Node's process metrics (CPU, memory, heap, GC, handles: prom-client's default metrics), once
 * per process: they describe the process, which every broker in it shares, and prom-client
 * offers no way to stop their collectors, so one set per broker would pile up as brokers come
 * and go (a test suite starts hundreds).
 */
function processRegistry (): Registry {
  if (shared === null) {
    shared = new Registry()
    collectDefaultMetrics({ register: shared })
  }
  return shared
}
