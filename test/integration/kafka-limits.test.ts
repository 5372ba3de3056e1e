/**
 * The Kafka listener under load it must survive: a thousand connections at once, and a client
 * that sends many Fetch requests but never reads its socket. The broker keeps answering other
 * clients, and the stalled connection stops being read (its backpressure) instead of buffering
 * every response. maxConnections is covered in kafka-bad-input.test.ts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execSync } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { ApiVersionsResponse } from '../../src/protocol/apis/api-versions.js'
import { fetchRecords, WireClient } from './kafka-wire.js'

interface Ctx { broker: Broker, good: WireClient }
const limits = suite<Ctx>('limits of the Kafka listener')

const MB = 1024 * 1024

/**
 * Each connection costs two descriptors here (client and broker share this process). With a
 * soft `ulimit -n` below ~2,100 the test opens fewer than 1,000 so it still runs; the usual
 * limits (1,048,576 in containers, 20,000 on the CI machine) allow the full thousand.
 */
function connectionsToOpen (): number {
  let limit = Infinity
  try {
    const text = execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim()
    if (text !== 'unlimited') limit = Number(text)
  } catch {}
  return Math.max(50, Math.min(1000, Math.floor((limit - 100) / 2)))
}

limits.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  await ctx.broker.createTopic({ topic: 'limits', partitions: 1 })
  ctx.good = await WireClient.connect(ctx.broker.port!)
})
limits.after(async (ctx) => {
  ctx.good.close()
  await ctx.broker.close()
})

async function assertGoodClientServed (ctx: Ctx): Promise<void> {
  const md = await ctx.good.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: [{ name: 'limits' }], allowAutoTopicCreation: false })
  assert.is(md.topics[0].errorCode, 0)
}

limits('a thousand concurrent connections each get an ApiVersions answer; a normal client is served meanwhile', async (ctx) => {
  const n = connectionsToOpen()
  const clients: WireClient[] = []
  try {
    // Connect in steps of 100 so the listen backlog never overflows, then ask on all at once.
    for (let i = 0; i < n; i += 100) {
      clients.push(...await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => WireClient.connect(ctx.broker.port!))))
    }
    const answers = Promise.all(clients.map((c) => c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'limits', clientSoftwareVersion: '1' })))
    const meanwhile = Promise.all(Array.from({ length: 20 }, () => assertGoodClientServed(ctx)))
    const all = await answers
    await meanwhile
    assert.is(all.length, n)
    for (const res of all) {
      assert.is(res.errorCode, 0)
      assert.ok(res.apiKeys.some((k) => k.apiKey === ApiKey.Fetch))
    }
  } finally {
    for (const c of clients) c.close()
    await Promise.all(clients.map((c) => c.closed))
  }
  await assertGoodClientServed(ctx)
})

limits('a client that never reads is paused: memory stays bounded and other clients are served', async (ctx) => {
  // 16 MB of data; every Fetch below asks for up to 256 KiB of it.
  const producer = ctx.broker.producer({ acks: 1 })
  const value = Buffer.alloc(100, 'v')
  for (let i = 0; i < 32; i++) {
    await producer.send({ topic: 'limits', messages: Array.from({ length: 5000 }, () => ({ value, partition: 0 })) })
  }

  const stalled: Socket = await new Promise((resolve, reject) => {
    const s = connect({ port: ctx.broker.port!, host: '127.0.0.1' }, () => resolve(s))
    s.once('error', reject)
  })
  stalled.on('error', () => {})
  stalled.pause() // never read: responses pile up in the kernel, then in the broker's socket
  // 2,000 Fetches would be ~500 MB of responses if the broker kept reading and answering.
  // Each request carries a 10 KB rack id so the requests alone (20 MB) overflow the kernel's
  // buffers: once the broker stops reading, some of them stay queued on this side.
  const REQUESTS = 2000
  const rackId = 'r'.repeat(10_000)
  const builder = ctx.good
  const baseline = process.memoryUsage()
  for (let i = 0; i < REQUESTS; i++) {
    stalled.write(builder.frame(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 256 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'limits', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: (i * 997) % 150_000, logStartOffset: -1, partitionMaxBytes: 256 * 1024 }] }],
      forgottenTopicsData: [], rackId
    }, 1_000_000 + i))
  }

  // While it stalls, the broker answers a normal client, including a Fetch of the same data.
  let peakRss = 0
  let peakExternal = 0
  for (let round = 0; round < 20; round++) {
    await assertGoodClientServed(ctx)
    const records = await fetchRecords(ctx.good, 'limits', 0, round * 1000, 10)
    assert.ok(records.length >= 10)
    // The requests still queued on the stalled socket live in this process too: not the broker's.
    const now = process.memoryUsage()
    peakRss = Math.max(peakRss, now.rss - baseline.rss - stalled.writableLength)
    peakExternal = Math.max(peakExternal, now.external - baseline.external - stalled.writableLength)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  assert.ok(stalled.writableLength > 0, 'the broker stopped reading the stalled connection, so requests stay queued on the client side')
  assert.ok(peakRss < 200 * MB, `RSS grew by ${Math.round(peakRss / MB)} MB`)
  assert.ok(peakExternal < 200 * MB, `external memory grew by ${Math.round(peakExternal / MB)} MB`)

  const gone = new Promise((resolve) => stalled.once('close', resolve))
  stalled.destroy()
  await gone
  await assertGoodClientServed(ctx)
})

limits.run()
