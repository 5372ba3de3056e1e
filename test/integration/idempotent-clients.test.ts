/**
 * Real idempotent producers across a broker restart: kafkajs (`idempotent: true`) and kcat
 * (librdkafka, `enable.idempotence=true`) keep producing while the broker closes and starts
 * again on the same port and data dir; every record must be in the log exactly once, in order.
 * The clients reach the broker through a proxy that also drops the answers of a few Produce
 * requests after the broker appended them (the connection is cut), so the clients retry
 * batches that are already in the log: the duplicate path is taken, not only the restart.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { fetchRecords, WireClient } from './kafka-wire.js'

const PRODUCE = 0

/**
 * Forwards Kafka connections to the broker, and cuts a connection instead of passing on the
 * answer of every `dropEvery`-th Produce request (at most `maxDrops` times).
 */
class LossyProxy {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #dropEvery: number
  readonly #maxDrops: number
  upstreamPort = 0
  produces = 0
  drops = 0

  private constructor (dropEvery: number, maxDrops: number) {
    this.#dropEvery = dropEvery
    this.#maxDrops = maxDrops
    this.#server = createServer((client) => this.#pipe(client))
  }

  static async start (dropEvery: number, maxDrops: number): Promise<LossyProxy> {
    const proxy = new LossyProxy(dropEvery, maxDrops)
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get port (): number { return (this.#server.address() as { port: number }).port }

  #pipe (client: Socket): void {
    const upstream = connect({ port: this.upstreamPort, host: '127.0.0.1' })
    const apiKeys = new Map<number, number>()
    const cut = (): void => { client.destroy(); upstream.destroy() }
    for (const s of [client, upstream]) {
      this.#sockets.add(s)
      s.on('error', cut)
      s.on('close', () => { this.#sockets.delete(s); cut() })
    }
    frames(client, (frame) => {
      apiKeys.set(frame.readInt32BE(8), frame.readInt16BE(4))
      upstream.write(frame)
    })
    frames(upstream, (frame) => {
      const correlationId = frame.readInt32BE(4)
      if (apiKeys.get(correlationId) === PRODUCE) {
        this.produces++
        if (this.produces % this.#dropEvery === 0 && this.drops < this.#maxDrops) {
          this.drops++
          cut()
          return
        }
      }
      apiKeys.delete(correlationId)
      client.write(frame)
    })
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}

/** Calls `onFrame` with each whole size-prefixed frame read from `socket`. */
function frames (socket: Socket, onFrame: (frame: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = 4 + pending.readInt32BE(0)
      onFrame(pending.subarray(0, size))
      pending = pending.subarray(size)
    }
  })
}

interface Ctx { dir: string, broker: Broker, port: number, proxy: LossyProxy }
const restart = suite<Ctx>('idempotent clients across a broker restart')

async function startBroker (ctx: Ctx, port: number): Promise<void> {
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port, advertisedHost: '127.0.0.1', advertisedPort: ctx.proxy.port })
  ctx.port = ctx.broker.port!
  ctx.proxy.upstreamPort = ctx.port
}

restart.before.each(async (ctx) => {
  ctx.dir = tmpDir('millrace-idem-clients-')
  ctx.proxy = await LossyProxy.start(7, 4)
  await startBroker(ctx, 0)
})
restart.after.each(async (ctx) => {
  await ctx.proxy.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

async function restartBroker (ctx: Ctx): Promise<void> {
  await ctx.broker.close()
  await startBroker(ctx, ctx.port)
}

async function readValues (ctx: Ctx, topic: string, count: number): Promise<string[]> {
  const wire = await WireClient.connect(ctx.port)
  try {
    const records = await fetchRecords(wire, topic, 0, 0, count)
    const hw = ctx.broker.dispatcher.partition(topic, 0)!.highWatermark
    assert.is(hw, count, 'nothing beyond the expected records')
    return records.map((r) => r.value!.toString())
  } finally {
    wire.close()
  }
}

function expected (count: number): string[] {
  return Array.from({ length: count }, (_, i) => `record-${i}`)
}

restart('kafkajs idempotent: every record exactly once, in order', async (ctx) => {
  const topic = uniqueTopic('idem-kafkajs')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const kafka = new Kafka({
    clientId: 'idem-test', brokers: [`127.0.0.1:${ctx.proxy.port}`], logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 }
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await producer.connect()
  const SENDS = 60
  const PER_SEND = 50
  let restarting: Promise<void> | null = null
  try {
    for (let s = 0; s < SENDS; s++) {
      const messages = []
      for (let i = s * PER_SEND; i < (s + 1) * PER_SEND; i++) messages.push({ value: `record-${i}` })
      // The restart runs while sends go on: some are cut off in flight and retried.
      if (s === 20) restarting = restartBroker(ctx)
      await producer.send({ topic, acks: -1, messages })
    }
    await restarting
  } finally {
    await producer.disconnect()
  }
  assert.ok(ctx.proxy.drops > 0, 'some answers were dropped')
  assert.equal(await readValues(ctx, topic, SENDS * PER_SEND), expected(SENDS * PER_SEND))
})

restart('kcat (librdkafka) enable.idempotence=true: every record exactly once, in order', async (ctx) => {
  const topic = uniqueTopic('idem-kcat')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const TOTAL = 20_000
  const child = spawn('kcat', [
    '-b', `127.0.0.1:${ctx.proxy.port}`, '-P', '-E', '-t', topic, '-p', '0',
    '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=200', '-X', 'reconnect.backoff.ms=20', '-X', 'reconnect.backoff.max.ms=200', '-X', 'message.timeout.ms=120000'
  ], { stdio: ['pipe', 'ignore', 'pipe'] })
  // -E: a broker that is briefly gone is not a reason for kcat to exit; librdkafka reconnects.
  // Its backoff stays short and its records outlive a slow restart on a loaded machine: a record
  // that timed out would fail the run without saying anything about duplicates.
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  const lines = expected(TOTAL)
  child.stdin.write(lines.slice(0, TOTAL / 2).join('\n') + '\n')
  // Let the first half start landing, then restart under it.
  const p = ctx.broker.dispatcher.partition(topic, 0)!
  const deadline = Date.now() + 20_000
  while (p.highWatermark < 1000 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5))
    await ctx.broker.dispatcher.describePartition(p)
  }
  await restartBroker(ctx)
  child.stdin.end(lines.slice(TOTAL / 2).join('\n') + '\n')
  const code = await exited
  assert.is(code, 0, `kcat failed: ${stderr}`)
  assert.ok(ctx.proxy.drops > 0, 'some answers were dropped')
  assert.equal(await readValues(ctx, topic, TOTAL), lines)
})

restart.run()
