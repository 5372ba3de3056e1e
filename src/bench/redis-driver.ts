/**
 * Redis Streams as a peer: redis-server with the append-only file on (appendfsync everysec)
 * in a temp dir, one stream per topic. The producer pipelines XADDs (ioredis pipelines, many
 * in flight); the consumer reads with XREAD COUNT, blocking briefly when it has caught up.
 * Partitions do not apply: one stream.
 */
import type { Redis as RedisClient } from 'ioredis'
import type { ConsumeJob, Driver, ProduceJob, ProduceOutcome } from './driver.js'
import type { BenchOptions } from './options.js'
import { connectWithRetry, spawnPeer, type PeerProcess } from './peer-process.js'
import { peerProduce } from './peer-load.js'
import { readStamp } from './stamp.js'

const READ_COUNT = 10_000
const READ_BLOCK_MS = 100

type StreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null

export class RedisDriver implements Driver {
  readonly label = 'redis streams'
  readonly details: Record<string, string | number | boolean>
  readonly inProcess = false
  readonly #peer: PeerProcess
  readonly #open: () => Promise<RedisClient>
  readonly #client: RedisClient
  readonly #options: BenchOptions

  private constructor (peer: PeerProcess, open: () => Promise<RedisClient>, client: RedisClient, version: string, options: BenchOptions) {
    this.#peer = peer
    this.#open = open
    this.#client = client
    this.#options = options
    this.details = { storage: 'aof, appendfsync everysec', server: version, client: 'ioredis' }
  }

  get pid (): number | undefined { return this.#peer.child.pid }

  static async open (binary: string, options: BenchOptions): Promise<RedisDriver> {
    const { Redis } = await import('ioredis')
    const peer = await spawnPeer(binary, (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--protected-mode', 'no'], 'millrace-bench-redis-')
    const open = async (): Promise<RedisClient> => {
      const r = new Redis({ host: '127.0.0.1', port: peer.port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
      r.on('error', () => {})
      try {
        await r.connect()
        await r.ping()
      } catch (err) {
        r.disconnect()
        throw err
      }
      return r
    }
    try {
      const client = await connectWithRetry(open, peer, 'redis-server')
      const info = await client.info('server')
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
      return new RedisDriver(peer, open, client, version, options)
    } catch (err) {
      await peer.stop()
      throw err
    }
  }

  async createTopic (): Promise<void> {}

  async deleteTopic (topic: string): Promise<void> {
    await this.#client.del(topic)
  }

  async prepareProduce (job: ProduceJob): Promise<() => Promise<ProduceOutcome>> {
    const client = this.#client
    return async () => ({
      records: await peerProduce(job, this.#options.recordBytes, async (values) => {
        const pipeline = client.pipeline()
        for (const v of values) pipeline.xadd(job.topic, '*', 'v', v)
        const results = await pipeline.exec()
        for (const [err] of results ?? []) if (err !== null) throw err
      }, this.#options),
      busyMs: undefined
    })
  }

  async prepareConsume (job: ConsumeJob): Promise<() => Promise<number>> {
    const reader = await this.#open()
    const hist = job.histogram
    return async () => {
      let got = 0
      let last = '0'
      try {
        while (got < job.expected.count && !job.signal.aborted) {
          const reply = await reader.xreadBuffer('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', job.topic, last) as StreamReply
          if (reply === null) continue
          const entries = reply[0][1]
          if (entries.length === 0) continue
          if (hist !== undefined) for (const [, fields] of entries) hist.record(readStamp(fields[1]))
          last = entries[entries.length - 1][0].toString()
          got += entries.length
          job.meter.consumed += entries.length
        }
      } finally {
        reader.disconnect()
      }
      return got
    }
  }

  async roundTrip (topic: string): Promise<void> {
    await this.#client.xadd(topic, '*', 'v', 'x')
    await this.#client.xrange(topic, '-', '+', 'COUNT', 1)
  }

  async close (): Promise<void> {
    this.#client.disconnect()
    await this.#peer.stop()
  }
}
