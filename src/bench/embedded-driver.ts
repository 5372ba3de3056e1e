/**
 * Driver for Millrace in library mode: the broker runs in this process and the producers and
 * consumers are the library's own (broker.producer(), broker.consumer()), with no TCP. Flat-out
 * producers reuse one array of messages per send, so the load generator allocates nothing per
 * record; the consumer is the library's, message objects and all, as an application sees it.
 */
import { randomBytes } from 'node:crypto'
import { Broker } from '../broker.js'
import type { Producer } from '../client/producer.js'
import type { ConsumeJob, Driver, ProduceJob, ProduceOutcome } from './driver.js'
import { partitionsOf, recordsPerBatch } from './kafka-load.js'
import type { BenchOptions } from './options.js'
import { readStamp, writeStamp } from './stamp.js'
import { replicaLayout } from './replica-layout.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
const CONSUMER_WAIT_MS = 100
const CONSUMER_PARTITION_BYTES = 8 * 1024 * 1024

interface Message { value: Buffer, partition: number }

export class EmbeddedDriver implements Driver {
  readonly label = 'millrace (embedded)'
  readonly details: Record<string, string | number | boolean>
  readonly inProcess = true
  readonly pid = undefined
  readonly #broker: Broker
  readonly #options: BenchOptions
  readonly #tempDir: string | undefined

  private constructor (broker: Broker, options: BenchOptions, tempDir: string | undefined) {
    this.#broker = broker
    this.#options = options
    this.#tempDir = tempDir
    this.details = { storage: broker.config.dataDir === null ? 'memory' : 'disk', workers: broker.config.workers, dataDirs: broker.config.dataDirs.length, replicationFactor: options.replicationFactor }
  }

  static async open (options: BenchOptions): Promise<EmbeddedDriver> {
    const tempDir = options.dataDir === undefined ? makeTempDir('millrace-bench-') : undefined
    const base = tempDir ?? options.dataDir
    const layout = base === null || base === undefined ? null : replicaLayout(base, options.replicationFactor)
    const broker = await Broker.start(layout === null ? { dataDir: base } : { dataDirs: layout.dataDirs, workers: layout.workers })
    return new EmbeddedDriver(broker, options, tempDir)
  }

  async createTopic (topic: string, partitions: number): Promise<void> {
    await this.#broker.createTopic({ topic, partitions, replicationFactor: this.#options.replicationFactor, config: this.#options.topicConfig })
  }

  async deleteTopic (topic: string): Promise<void> {
    await this.#broker.deleteTopic(topic)
  }

  #producer (transactionalId?: string): Producer {
    const o = this.#options
    // No linger in the producer: each send already carries a full batch, or at a rate what one tick gathered.
    return this.#broker.producer({
      acks: o.acks as 0 | 1 | -1,
      batchSize: o.batchBytes,
      lingerMs: 0,
      compression: COMPRESSION_NAMES[o.compression],
      idempotent: o.producerMode !== 'plain',
      transactionalId
    })
  }

  async prepareProduce (job: ProduceJob): Promise<() => Promise<ProduceOutcome>> {
    const o = this.#options
    const count = o.producers
    const perSend = recordsPerBatch(o.recordBytes, o.batchBytes)
    const value = randomBytes(o.recordBytes)
    const transactional = o.producerMode === 'transactional'
    const producers = Array.from({ length: count }, (_, i) => this.#producer(transactional ? `${job.topic}-txn-${i}` : undefined))
    const commitMs: number[] = []
    const deadline = (): number => job.durationMs === undefined ? Infinity : start + job.durationMs
    let start = 0
    const loop = async (producer: Producer, index: number): Promise<number> => {
      const partitions = partitionsOf(index, count, job.partitions)
      const quota = job.records === undefined ? Infinity : Math.floor(job.records / count) + (index < job.records % count ? 1 : 0)
      const rate = job.rate === undefined ? undefined : job.rate / count
      const messages = (n: number, from: number): Message[] => Array.from({ length: n }, (_, i) => {
        const v = job.stamp ? Buffer.from(value) : value
        if (job.stamp) writeStamp(v)
        return { value: v, partition: partitions[(from + i) % partitions.length] }
      })
      let sent = 0
      let acked = 0
      const inFlight = new Set<Promise<void>>()
      const send = (batch: Message[]): void => {
        sent += batch.length
        const p = producer.send({ topic: job.topic, messages: batch }).then(() => { acked += batch.length; job.meter.produced += batch.length })
        inFlight.add(p)
        void p.finally(() => inFlight.delete(p)).catch(() => {})
      }
      if (transactional) {
        // Flat out, one transaction per txnRecords records; each commit waits for its sends.
        const full = messages(Math.min(perSend, o.txnRecords), 0)
        while (sent < quota && performance.now() < deadline()) {
          const end = Math.min(quota, sent + o.txnRecords)
          await producer.beginTransaction()
          while (sent < end) {
            send(end - sent >= full.length ? full : full.slice(0, end - sent))
            if (inFlight.size >= o.inFlight) await Promise.race(inFlight)
          }
          await Promise.all(inFlight)
          const t = performance.now()
          await producer.commitTransaction()
          commitMs.push(performance.now() - t)
        }
      } else if (rate === undefined) {
        const full = messages(perSend, 0)
        while (sent < quota && performance.now() < deadline()) {
          send(job.stamp ? messages(Math.min(perSend, quota - sent), sent) : quota - sent >= perSend ? full : full.slice(0, quota - sent))
          if (inFlight.size >= o.inFlight) await Promise.race(inFlight)
        }
      } else {
        while (sent < quota && performance.now() < deadline()) {
          const due = Math.min(quota, Math.floor((performance.now() - start) / 1000 * rate)) - sent
          if (due > 0) send(messages(due, sent))
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, o.lingerMs)))
        }
      }
      await Promise.all(inFlight)
      await producer.flush()
      return acked
    }
    return async () => {
      start = performance.now()
      const counts = await Promise.all(producers.map(loop))
      await Promise.all(producers.map(async (p) => await p.close()))
      return { records: counts.reduce((a, b) => a + b, 0), busyMs: undefined, commitMs: transactional ? commitMs : undefined }
    }
  }

  async prepareConsume (job: ConsumeJob): Promise<() => Promise<number>> {
    const count = Math.min(this.#options.consumers, job.partitions)
    const consumers = Array.from({ length: count }, (_, i) => {
      const c = this.#broker.consumer({
        maxWaitMs: CONSUMER_WAIT_MS,
        maxPartitionBytes: CONSUMER_PARTITION_BYTES,
        isolationLevel: job.readCommitted === true ? 'read_committed' : 'read_uncommitted'
      })
      c.assign(partitionsOf(i, count, job.partitions).map((partition) => ({ topic: job.topic, partition, offset: 0n })))
      return c
    })
    let got = 0
    const hist = job.histogram
    // poll() waits until records come: a consumer whose partitions are drained returns only once closed.
    const closeAll = (): void => { for (const c of consumers) void c.close() }
    return async () => {
      job.signal.addEventListener('abort', closeAll)
      try {
        await Promise.all(consumers.map(async (c) => {
          while (got < job.expected.count && !job.signal.aborted) {
            const messages = await c.poll()
            if (hist !== undefined) for (const m of messages) if (m.value !== null) hist.record(readStamp(m.value))
            got += messages.length
            job.meter.consumed += messages.length
          }
          closeAll()
        }))
      } finally {
        job.signal.removeEventListener('abort', closeAll)
        closeAll()
      }
      return got
    }
  }

  async roundTrip (topic: string): Promise<void> {
    await this.#producer().send({ topic, messages: [{ value: 'x', partition: 0 }] })
    const c = this.#broker.consumer({ maxWaitMs: 0 })
    c.assign([{ topic, partition: 0, offset: 0n }])
    await c.poll()
    await c.close()
  }

  async close (): Promise<void> {
    await this.#broker.close()
    if (this.#tempDir !== undefined) removeTempDir(this.#tempDir)
  }
}
