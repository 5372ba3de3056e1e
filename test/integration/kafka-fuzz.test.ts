/**
 * Seeded fuzzing of the listener: valid requests of several APIs are mutated (bytes flipped,
 * truncated, extended, sizes rewritten) and each is sent on its own connection, which is then
 * half-closed. Every connection must end (answered or closed) and afterwards the broker still
 * serves a well-behaved client.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { fetchRecords, WireClient } from './kafka-wire.js'

const SEED = 0x5eed1234
const CASES = 3000
const PARALLEL = 16

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Ctx { broker: Broker, good: WireClient }
const fuzz = suite<Ctx>('fuzzed requests')

fuzz.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 2, maxRequestBytes: 1 << 20 })
  await ctx.broker.createTopic({ topic: 'fuzz', partitions: 2 })
  ctx.good = await WireClient.connect(ctx.broker.port!)
})
fuzz.after(async (ctx) => {
  ctx.good.close()
  await ctx.broker.close()
})

function seeds (client: WireClient): Buffer[] {
  const b = new BatchBuilder()
  b.append(1_700_000_000_000, Buffer.from('k'), Buffer.from('v'), [['h', Buffer.from('x')]])
  const records = b.build()
  const fetchTopic = { topic: 'fuzz', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 65536 }] }
  return [
    client.frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1.0' }),
    client.frame(ApiKey.Metadata, 4, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false }),
    client.frame(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
    client.frame(ApiKey.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records }] }] }),
    client.frame(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 1, records }] }] }),
    client.frame(ApiKey.Fetch, 11, { replicaId: -1, maxWaitMs: 50, minBytes: 1, maxBytes: 65536, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [fetchTopic], forgottenTopicsData: [], rackId: '' }),
    client.frame(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 50, minBytes: 1, maxBytes: 65536, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, topics: [fetchTopic], forgottenTopicsData: [], rackId: '' }),
    client.frame(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] }),
    client.frame(ApiKey.DescribeConfigs, 4, { includeSynonyms: true, includeDocumentation: false, resources: [{ resourceType: 2, resourceName: 'fuzz', configurationKeys: null }] })
  ]
}

function mutate (seed: Buffer, random: () => number): Buffer {
  let out = Buffer.from(seed)
  const pick = (n: number): number => Math.floor(random() * n)
  const steps = 1 + pick(4)
  for (let s = 0; s < steps; s++) {
    switch (pick(6)) {
      case 0: // flip bits in the body (header included)
        for (let i = 0, n = 1 + pick(8); i < n; i++) out[4 + pick(out.length - 4)] ^= 1 << pick(8)
        break
      case 1: // random bytes
        for (let i = 0, n = 1 + pick(4); i < n; i++) out[4 + pick(out.length - 4)] = pick(256)
        break
      case 2: // truncate, keeping the size field honest
        out = out.subarray(0, 4 + pick(out.length - 4))
        out.writeInt32BE(out.length - 4, 0)
        break
      case 3: // extend with garbage
        out = Buffer.concat([out, Buffer.from(Array.from({ length: 1 + pick(32) }, () => pick(256)))])
        out.writeInt32BE(out.length - 4, 0)
        break
      case 4: // a lying size field
        out.writeInt32BE([0, 1, -1, 7, out.length + 100, 0x7fffffff][pick(6)], 0)
        break
      default: // an extreme integer somewhere
        if (out.length >= 8) out.writeInt32BE([0, -1, 0x7fffffff, -0x80000000][pick(4)], 4 + pick(out.length - 7))
    }
  }
  return out
}

function sendAndEnd (port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(bytes))
    socket.on('data', () => {})
    socket.on('error', () => {})
    socket.on('close', () => resolve())
  })
}

fuzz(`${CASES} mutated requests leave the broker serving a good client`, async (ctx) => {
  const random = prng(SEED)
  const base = seeds(ctx.good)
  const cases = Array.from({ length: CASES }, () => mutate(base[Math.floor(random() * base.length)], random))
  let next = 0
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < cases.length) await sendAndEnd(ctx.broker.port!, cases[next++])
  }))

  const md = await ctx.good.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false })
  assert.is(md.topics[0].errorCode, 0)
  const b = new BatchBuilder()
  b.append(Date.now(), null, Buffer.from('still here'))
  const res = await ctx.good.request<ProduceResponse>(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: b.build() }] }] })
  const p = res.responses[0].partitionResponses[0]
  assert.is(p.errorCode, 0)
  const [record] = await fetchRecords(ctx.good, 'fuzz', 0, p.baseOffset, 1)
  assert.is(record.value!.toString(), 'still here')
  const counters = ctx.broker.server!.counters
  assert.ok(counters.malformedRequests + counters.malformedFrames + counters.unknownApiKeys + counters.unsupportedVersions > 0)
  assert.is(counters.handlerFailures, 0, 'a handler threw on fuzzed input')
})

fuzz.run()
