/**
 * Bad input on the Kafka listener: broken framing, unknown APIs, unsupported versions, corrupt
 * batches, acks=0 failures, too many connections. Each bad connection is closed (or answered
 * with an error code); the broker stays up and other clients are unaffected.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { Reader } from '../../src/protocol/reader.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import * as apiVersions from '../../src/protocol/apis/api-versions.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import { fetchRecords, WireClient } from './kafka-wire.js'

interface Ctx { broker: Broker, good: WireClient }
const bad = suite<Ctx>('bad input on the Kafka listener')

const MAX_REQUEST_BYTES = 64 * 1024

bad.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1, maxRequestBytes: MAX_REQUEST_BYTES, maxConnections: 8 })
  await ctx.broker.createTopic({ topic: 'good', partitions: 2 })
  ctx.good = await WireClient.connect(ctx.broker.port!)
})
bad.after(async (ctx) => {
  ctx.good.close()
  await ctx.broker.close()
})

function batch (values: string[]): Buffer {
  const b = new BatchBuilder()
  for (const v of values) b.append(Date.now(), null, Buffer.from(v))
  return b.build()
}

function produceBody (topic: string, partitions: Array<{ index: number, records: Buffer | null }>, acks = -1): unknown {
  return { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: partitions }] }
}

/** The good client still gets answers: Metadata and a produce + fetch round trip. */
async function assertGoodClientServed (ctx: Ctx): Promise<void> {
  const md = await ctx.good.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: [{ name: 'good' }], allowAutoTopicCreation: false })
  assert.is(md.topics[0].errorCode, 0)
}

async function sendRaw (port: number, bytes: Buffer, end = false): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => { socket.write(bytes); if (end) socket.end() })
    const got: Buffer[] = []
    socket.on('data', (c: Buffer) => got.push(c))
    socket.on('error', () => {})
    socket.on('close', () => resolve(Buffer.concat(got)))
  })
}

bad('random bytes, a negative size, an oversized size and a truncated frame close only their own connection', async (ctx) => {
  const port = ctx.broker.port!
  const before = { ...ctx.broker.server!.counters }
  const random = Buffer.alloc(204)
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24
  random.writeInt32BE(200, 0)
  assert.is((await sendRaw(port, random)).length, 0)
  const negative = Buffer.alloc(8)
  negative.writeInt32BE(-5, 0)
  assert.is((await sendRaw(port, negative)).length, 0)
  const oversized = Buffer.alloc(8)
  oversized.writeInt32BE(MAX_REQUEST_BYTES + 1, 0)
  assert.is((await sendRaw(port, oversized)).length, 0)
  const truncated = ctx.good.frame(ApiKey.Metadata, 4, { topics: null, allowAutoTopicCreation: false }).subarray(0, 10)
  assert.is((await sendRaw(port, truncated, true)).length, 0)
  const counters = ctx.broker.server!.counters
  assert.ok(counters.malformedFrames >= before.malformedFrames + 3)
  assert.ok(counters.malformedRequests + counters.unknownApiKeys > before.malformedRequests + before.unknownApiKeys)
  await assertGoodClientServed(ctx)
})

bad('an unknown API key and an unsupported version close the connection; ApiVersions answers 35 instead', async (ctx) => {
  const port = ctx.broker.port!
  const unknown = ctx.good.frame(ApiKey.Metadata, 4, { topics: null, allowAutoTopicCreation: false })
  unknown.writeInt16BE(999, 4)
  assert.is((await sendRaw(port, unknown)).length, 0)
  const future = ctx.good.frame(ApiKey.Metadata, 4, { topics: null, allowAutoTopicCreation: false })
  future.writeInt16BE(99, 6)
  assert.is((await sendRaw(port, future)).length, 0)

  const probe = ctx.good.frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'future', clientSoftwareVersion: '9.9' })
  probe.writeInt16BE(42, 6)
  const answer = await sendRaw(port, probe, true)
  const r = new Reader(answer, 4)
  r.int32() // correlation id
  const res = apiVersions.decodeResponse(r, 0)
  assert.is(res.errorCode, KafkaCode.UNSUPPORTED_VERSION)
  const own = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)!
  assert.equal([own.minVersion, own.maxVersion], [0, 3])
  assert.ok(res.apiKeys.some((k) => k.apiKey === ApiKey.Produce))
  await assertGoodClientServed(ctx)
})

bad('a batch with a wrong CRC gets CORRUPT_MESSAGE and appends nothing; its siblings succeed', async (ctx) => {
  const corrupt = batch(['tampered'])
  corrupt[corrupt.length - 1] ^= 0xff
  const hwBefore = ctx.broker.dispatcher.partition('good', 1)!.highWatermark
  const res = await ctx.good.request<ProduceResponse>(ApiKey.Produce, 7, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      { name: 'good', partitionData: [{ index: 0, records: batch(['fine']) }, { index: 1, records: corrupt }, { index: 7, records: batch(['nowhere']) }] },
      { name: 'missing-topic', partitionData: [{ index: 0, records: batch(['x']) }] }
    ]
  })
  const [good, missing] = res.responses
  assert.equal(good.partitionResponses.map((p) => p.errorCode), [KafkaCode.NONE, KafkaCode.CORRUPT_MESSAGE, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
  assert.is(missing.partitionResponses[0].errorCode, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.is(ctx.broker.dispatcher.topic('missing-topic'), undefined, 'Produce never auto-creates')
  await ctx.broker.dispatcher.describePartition(ctx.broker.dispatcher.partition('good', 1)!)
  assert.is(ctx.broker.dispatcher.partition('good', 1)!.highWatermark, hwBefore)
  const fine = await fetchRecords(ctx.good, 'good', 0, good.partitionResponses[0].baseOffset, 1)
  assert.is(fine[0].value!.toString(), 'fine')
})

bad('Produce checks: two batches, no records, bad acks', async (ctx) => {
  const two = Buffer.concat([batch(['a']), batch(['b'])])
  let res = await ctx.good.request<ProduceResponse>(ApiKey.Produce, 7, produceBody('good', [{ index: 0, records: two }, { index: 1, records: null }]))
  assert.equal(res.responses[0].partitionResponses.map((p) => p.errorCode), [KafkaCode.INVALID_RECORD, KafkaCode.INVALID_RECORD])
  res = await ctx.good.request<ProduceResponse>(ApiKey.Produce, 7, produceBody('good', [{ index: 0, records: batch(['x']) }], 5))
  assert.is(res.responses[0].partitionResponses[0].errorCode, KafkaCode.INVALID_REQUIRED_ACKS)
})

bad('acks=0 gets no response; a failing acks=0 request closes the connection', async (ctx) => {
  const client = await WireClient.connect(ctx.broker.port!)
  client.write(client.frame(ApiKey.Produce, 7, produceBody('good', [{ index: 0, records: batch(['silent']) }], 0)))
  const md = await client.request<MetadataResponse>(ApiKey.Metadata, 1, { topics: [{ name: 'good' }] })
  assert.is(md.topics[0].name, 'good')
  client.write(client.frame(ApiKey.Produce, 7, produceBody('no-such-topic', [{ index: 0, records: batch(['lost']) }], 0)))
  await client.closed
  await assertGoodClientServed(ctx)
})

bad('many pipelined requests are answered in order even when the client reads late', async (ctx) => {
  const client = await WireClient.connect(ctx.broker.port!)
  const answers = Array.from({ length: 500 }, (_, i) => client.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: i % 2 === 0 ? null : [{ name: 'good' }], allowAutoTopicCreation: false }))
  const all = await Promise.all(answers)
  assert.is(all.length, 500)
  client.close()
})

bad('connections beyond maxConnections are closed at once', async (ctx) => {
  const extra: WireClient[] = []
  for (let i = 0; i < 10; i++) extra.push(await WireClient.connect(ctx.broker.port!))
  const outcomes = await Promise.all(extra.map((c) => Promise.race([
    c.closed.then(() => 'closed'),
    c.request(ApiKey.ApiVersions, 2, {}).then(() => 'served', () => 'closed')
  ])))
  assert.ok(outcomes.includes('closed'))
  assert.ok(outcomes.includes('served'))
  assert.ok(ctx.broker.server!.counters.rejected > 0)
  for (const c of extra) c.close()
  await Promise.all(extra.map((c) => c.closed))
  await assertGoodClientServed(ctx)
})

bad.run()
