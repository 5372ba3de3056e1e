/**
 * Driver for any Kafka-protocol broker at HOST:PORT: producers in their own threads (one
 * connection each), consumers on this thread (one connection each, fixed partitions).
 */
import type { Endpoint } from '../cli/args.js'
import { formatEndpoint } from '../cli/args.js'
import type { KafkaClient } from '../cli/kafka-client.js'
import type { BenchOptions } from './options.js'
import type { ConsumeJob, Driver, ProduceJob, ProduceOutcome } from './driver.js'
import { connectKafka, createKafkaTopic, deleteKafkaTopic, partitionsOf, runKafkaConsumer, runKafkaProducer, type ProduceSpec } from './kafka-load.js'
import { startProducers } from './producer-pool.js'

export class KafkaDriver implements Driver {
  readonly label: string
  readonly details: Record<string, string | number | boolean>
  readonly inProcess = false
  readonly pid: number | undefined
  readonly #endpoint: Endpoint
  readonly #options: BenchOptions
  readonly #admin: KafkaClient

  private constructor (label: string, endpoint: Endpoint, options: BenchOptions, admin: KafkaClient, pid: number | undefined) {
    this.label = label
    this.#endpoint = endpoint
    this.#options = options
    this.#admin = admin
    this.pid = pid
    this.details = { address: formatEndpoint(endpoint), replicationFactor: options.replicationFactor }
  }

  static async open (label: string, endpoint: Endpoint, options: BenchOptions, pid?: number): Promise<KafkaDriver> {
    return new KafkaDriver(label, endpoint, options, await connectKafka(endpoint, options.security), pid)
  }

  async createTopic (topic: string, partitions: number): Promise<void> {
    await createKafkaTopic(this.#admin, topic, partitions, this.#options.topicConfig, this.#options.replicationFactor)
  }

  async deleteTopic (topic: string): Promise<void> {
    await deleteKafkaTopic(this.#admin, topic)
  }

  #spec (job: Pick<ProduceJob, 'topic' | 'partitions' | 'records' | 'durationMs' | 'rate' | 'stamp'>, index: number, count: number): ProduceSpec {
    const o = this.#options
    const share = (total: number | undefined): number | undefined => total === undefined ? undefined : Math.floor(total / count) + (index < total % count ? 1 : 0)
    return {
      topic: job.topic,
      partitions: partitionsOf(index, count, job.partitions),
      recordBytes: o.recordBytes,
      batchBytes: o.batchBytes,
      compression: o.compression,
      acks: o.acks,
      inFlight: o.inFlight,
      quota: share(job.records),
      durationMs: job.durationMs,
      rate: job.rate === undefined ? undefined : job.rate / count,
      lingerMs: o.lingerMs,
      stamp: job.stamp
    }
  }

  async prepareProduce (job: ProduceJob): Promise<() => Promise<ProduceOutcome>> {
    const count = this.#options.producers
    const pool = await startProducers(this.#endpoint, Array.from({ length: count }, (_, i) => this.#spec(job, i, count)), job.meter, this.#options.security)
    return async () => await pool.go()
  }

  async prepareConsume (job: ConsumeJob): Promise<() => Promise<number>> {
    const count = Math.min(this.#options.consumers, job.partitions)
    const clients = await Promise.all(Array.from({ length: count }, async () => await connectKafka(this.#endpoint, this.#options.security)))
    return async () => {
      const readByAll = { count: 0 }
      try {
        const counts = await Promise.all(clients.map(async (client, i) => await runKafkaConsumer(client, {
          topic: job.topic, partitions: partitionsOf(i, count, job.partitions), expected: job.expected, readByAll, signal: job.signal, histogram: job.histogram
        }, (n) => { job.meter.consumed += n })))
        return counts.reduce((a, b) => a + b, 0)
      } finally {
        for (const c of clients) c.close()
      }
    }
  }

  async roundTrip (topic: string): Promise<void> {
    const o = this.#options
    const spec = this.#spec({ topic, partitions: 1, records: 1, durationMs: undefined, rate: undefined, stamp: false }, 0, 1)
    // acks=0 would leave nothing to wait for: the round trip needs the record stored.
    await runKafkaProducer(this.#admin, { ...spec, inFlight: 1, acks: o.acks === 0 ? 1 : o.acks }, () => {})
    await runKafkaConsumer(this.#admin, { topic, partitions: [0], expected: { count: 1 }, readByAll: { count: 0 }, signal: new AbortController().signal, histogram: undefined }, () => {})
  }

  async close (): Promise<void> {
    this.#admin.close()
  }
}
