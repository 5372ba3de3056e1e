/**
 * Refused requests are visible: a client that sends an unsupported version, an unknown API,
 * a request that does not decode or a bad frame is disconnected, and the broker's log holds one
 * line naming the client id, its address, the API and the version (rate-limited per client and
 * reason, with the count held back), while the counters count every refusal.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { Writer } from '../../src/protocol/writer.js'
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js'
import { CaptureLogger, type LogLine } from '../helpers/capture-logger.js'
import { WireClient } from './kafka-wire.js'

interface Ctx { broker: Broker, capture: CaptureLogger }
const refusals = suite<Ctx>('refused requests are logged and counted')

refusals.before(async (ctx) => {
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1, maxRequestBytes: 64 * 1024, logger: ctx.capture.logger })
})
refusals.after(async (ctx) => {
  await ctx.broker.close()
})

/** A request frame with a header v1 (key, version, correlation id, client id) and `body` after it. */
function rawRequest (apiKey: number, apiVersion: number, clientId: string, body = Buffer.alloc(0)): Buffer {
  const w = new Writer()
  const at = w.reserveInt32()
  w.int16(apiKey).int16(apiVersion).int32(1).nullableString(clientId)
  w.raw(body)
  w.patchInt32(at, w.pos - at - 4)
  return w.toBuffer()
}

/** Sends `bytes` on a new connection; resolves with what came back once the broker closed it. */
async function sendRaw (port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(bytes))
    const got: Buffer[] = []
    socket.on('data', (c: Buffer) => got.push(c))
    socket.on('error', () => {})
    socket.on('close', () => resolve(Buffer.concat(got)))
  })
}

function linesOf (capture: CaptureLogger, clientId: string | null, reason: string): LogLine[] {
  return capture.lines.filter((l) => l.fields.clientId === clientId && l.fields.reason === reason)
}

const uniqueClient = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

refusals('an unsupported version closes the connection and logs client id, address, API and version', async ({ broker, capture }) => {
  const clientId = uniqueClient('old-metadata')
  const before = broker.server!.counters.unsupportedVersions
  assert.is((await sendRaw(broker.port!, rawRequest(ApiKey.Metadata, 99, clientId))).length, 0)
  assert.is(broker.server!.counters.unsupportedVersions, before + 1)
  const [line, ...more] = linesOf(capture, clientId, 'unsupported-version')
  assert.is(more.length, 0)
  assert.is(line.level, 'warn')
  assert.is(line.fields.subsystem, 'server')
  assert.match(String(line.fields.client), /^127\.0\.0\.1:\d+$/)
  assert.equal([line.fields.api, line.fields.apiVersion, line.fields.supportedVersions], ['Metadata', 99, '0-12'])
  assert.match(line.msg, 'unsupported API version')
})

refusals('100 refusals from one client give one line, the next line a second later carries the held-back count', async ({ broker, capture }) => {
  const clientId = uniqueClient('storm')
  const frame = rawRequest(ApiKey.Fetch, 77, clientId)
  const before = broker.server!.counters.unsupportedVersions
  for (let i = 0; i < 100; i++) await sendRaw(broker.port!, frame)
  assert.is(broker.server!.counters.unsupportedVersions, before + 100)
  assert.is(linesOf(capture, clientId, 'unsupported-version').length, 1)
  // The client keeps trying; once the rate limit's second has passed the next refusal is logged.
  const deadline = Date.now() + 10_000
  let sent = 100
  while (linesOf(capture, clientId, 'unsupported-version').length < 2) {
    assert.ok(Date.now() < deadline, 'no second line within 10 s')
    await sendRaw(broker.port!, frame)
    sent++
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const second = linesOf(capture, clientId, 'unsupported-version')[1]
  assert.is(second.fields.suppressed, sent - 2)
  assert.ok(Number(second.fields.suppressed) >= 99)
})

// ---

refusals('an unknown API, a body that does not decode and a bad frame size are each logged with their reason', async ({ broker, capture }) => {
  const port = broker.port!
  const counters = broker.server!.counters
  const before = { ...counters }
  const unknownClient = uniqueClient('unknown-api')
  await sendRaw(port, rawRequest(57, 0, unknownClient))
  const garbageClient = uniqueClient('garbage')
  // Metadata v4 wants a topic array and a boolean; a lone byte is not that.
  await sendRaw(port, rawRequest(ApiKey.Metadata, 4, garbageClient, Buffer.from([0x7f])))
  const negative = Buffer.alloc(8)
  negative.writeInt32BE(-5, 0)
  await sendRaw(port, negative)

  const unknown = linesOf(capture, unknownClient, 'unknown-api')
  assert.is(unknown.length, 1)
  assert.equal([unknown[0].fields.apiKey, unknown[0].fields.api], [57, 'unknown API key 57'])
  const garbage = linesOf(capture, garbageClient, 'malformed-request')
  assert.is(garbage.length, 1)
  assert.equal([garbage[0].fields.api, garbage[0].fields.apiVersion], ['Metadata', 4])
  assert.type(garbage[0].fields.detail, 'string')
  const frames = capture.lines.filter((l) => l.fields.reason === 'bad-frame-size' && l.fields.detail === 'size -5, at most 65536')
  assert.is(frames.length, 1)
  assert.equal(
    [counters.unknownApiKeys - before.unknownApiKeys, counters.malformedRequests - before.malformedRequests, counters.malformedFrames - before.malformedFrames],
    [1, 1, 1])
})

refusals('a handler that throws closes its connection and logs the error with the request', async ({ broker, capture }) => {
  const client = await WireClient.connect(broker.port!)
  const topics = broker.dispatcher.topics as unknown as { all: () => unknown }
  topics.all = () => { throw new Error('injected handler fault') }
  try {
    const outcome = await client.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: null, allowAutoTopicCreation: false }).then(() => 'answered', (err: Error) => err.message)
    assert.is(outcome, 'connection closed')
  } finally {
    delete (topics as { all?: unknown }).all
  }
  const lines = capture.find('a request handler failed', 'error')
  assert.is(lines.length, 1)
  assert.equal([lines[0].fields.clientId, lines[0].fields.api, lines[0].fields.apiVersion], ['wire-test', 'Metadata', 4])
  assert.is((lines[0].fields.err as Error).message, 'injected handler fault')
  assert.is(broker.server!.counters.handlerFailures, 1)
})

refusals.run()

// ---

const limit = suite('the connection limit is logged')

limit('a connection over maxConnections is closed at once and logged once', async () => {
  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1, maxConnections: 1, logger: capture.logger })
  const held = await WireClient.connect(broker.port!)
  try {
    await held.request(ApiKey.ApiVersions, 2, {})
    const extra = await Promise.all([WireClient.connect(broker.port!), WireClient.connect(broker.port!)])
    await Promise.all(extra.map((c) => c.closed))
    assert.is(broker.server!.counters.rejected, 2)
    const lines = capture.find('connection limit reached', 'warn')
    assert.is(lines.length, 1)
    assert.equal([lines[0].fields.client, lines[0].fields.maxConnections], ['127.0.0.1', 1])
  } finally {
    held.close()
    await broker.close()
  }
})

limit.run()
