/**
 * NATS JetStream as a peer: nats-server with JetStream on file storage in a temp dir, one
 * stream per topic. The producer publishes with many acknowledgements in flight (the official
 * client's js.publish), the consumer is an ordered consumer reading from the start. Partitions
 * do not apply: one stream, one subject.
 */
import type { NatsConnection, JetStreamClient, JetStreamManager } from 'nats'
import type { ConsumeJob, Driver, ProduceJob, ProduceOutcome } from './driver.js'
import type { BenchOptions } from './options.js'
import { connectWithRetry, spawnPeer, type PeerProcess } from './peer-process.js'
import { peerProduce } from './peer-load.js'
import { readStamp } from './stamp.js'

type NatsModule = typeof import('nats')

/** Messages a consume() call asks the server for at a time. */
const CONSUME_BATCH = 10_000

export class NatsDriver implements Driver {
  readonly label = 'nats jetstream'
  readonly details: Record<string, string | number | boolean>
  readonly inProcess = false
  readonly #peer: PeerProcess
  readonly #nats: NatsModule
  readonly #nc: NatsConnection
  readonly #js: JetStreamClient
  readonly #jsm: JetStreamManager
  readonly #options: BenchOptions

  private constructor (peer: PeerProcess, nats: NatsModule, nc: NatsConnection, jsm: JetStreamManager, options: BenchOptions) {
    this.#peer = peer
    this.#nats = nats
    this.#nc = nc
    this.#jsm = jsm
    this.#js = nc.jetstream()
    this.#options = options
    this.details = { storage: 'file', server: nc.info?.version ?? 'unknown', client: 'nats (npm)' }
  }

  get pid (): number | undefined { return this.#peer.child.pid }

  static async open (binary: string, options: BenchOptions): Promise<NatsDriver> {
    const nats = await import('nats')
    const peer = await spawnPeer(binary, (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], 'millrace-bench-nats-')
    try {
      const nc = await connectWithRetry(async () => await nats.connect({ servers: `127.0.0.1:${peer.port}`, reconnect: false }), peer, 'nats-server')
      const jsm = await connectWithRetry(async () => await nc.jetstreamManager(), peer, 'JetStream')
      return new NatsDriver(peer, nats, nc, jsm, options)
    } catch (err) {
      await peer.stop()
      throw err
    }
  }

  async createTopic (topic: string): Promise<void> {
    await this.#jsm.streams.add({ name: topic, subjects: [topic], storage: this.#nats.StorageType.File })
  }

  async deleteTopic (topic: string): Promise<void> {
    await this.#jsm.streams.delete(topic)
  }

  /**
   * Publishes with a reply subject on one inbox subscription and counts the stream's
   * acknowledgements there: many acks in flight without a promise and a timer per message,
   * which js.publish() costs (about 8× slower here).
   */
  async prepareProduce (job: ProduceJob): Promise<() => Promise<ProduceOutcome>> {
    const nc = this.#nc
    const o = this.#options
    const inbox = this.#nats.createInbox()
    let published = 0
    let acked = 0
    let failure: Error | null = null
    const waiters: Array<{ until: number, resolve: () => void, reject: (err: Error) => void }> = []
    const sub = nc.subscribe(inbox, {
      callback: (err, m) => {
        // An ack is {"stream":…}; an error is {"error":…}.
        if (err !== null) failure ??= err
        else if (m.data.length < 3 || m.data[2] !== 0x73) failure ??= new Error(`JetStream refused a message: ${new TextDecoder().decode(m.data)}`)
        acked++
        while (waiters.length > 0 && (acked >= waiters[0].until || failure !== null)) {
          const w = waiters.shift()!
          if (failure !== null) w.reject(failure); else w.resolve()
        }
      }
    })
    return async () => {
      try {
        return {
          records: await peerProduce(job, o.recordBytes, async (values) => {
            for (const v of values) nc.publish(job.topic, v, { reply: inbox })
            published += values.length
            await new Promise<void>((resolve, reject) => waiters.push({ until: published, resolve, reject }))
          }, o),
          busyMs: undefined
        }
      } finally {
        sub.unsubscribe()
      }
    }
  }

  async prepareConsume (job: ConsumeJob): Promise<() => Promise<number>> {
    const consumer = await this.#js.consumers.get(job.topic)
    const hist = job.histogram
    return async () => {
      const messages = await consumer.consume({ max_messages: CONSUME_BATCH })
      const stop = (): void => { void messages.close() }
      job.signal.addEventListener('abort', stop)
      let got = 0
      try {
        for await (const m of messages) {
          if (hist !== undefined) hist.record(readStamp(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)))
          got++
          job.meter.consumed++
          if (got >= job.expected.count) break
        }
      } finally {
        job.signal.removeEventListener('abort', stop)
        await messages.close()
      }
      return got
    }
  }

  async roundTrip (topic: string): Promise<void> {
    await this.#js.publish(topic, new Uint8Array([120]))
    const consumer = await this.#js.consumers.get(topic)
    await consumer.next({ expires: 5000 })
  }

  async close (): Promise<void> {
    await this.#nc.close()
    await this.#peer.stop()
  }
}
