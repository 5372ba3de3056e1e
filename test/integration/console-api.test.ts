/**
 * The console's JSON and event-stream API against a real broker (library mode, temp data dir),
 * without a browser: what a refusal answers and logs, the message browser's windows, the live
 * stream's sampling lifetime, and Broker.offsetForTimestamp that the browser's time lookups use.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { MillraceError } from '../../src/errors.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'

interface Ctx { dir: string, broker: Broker, console: ConsoleServer, log: CaptureLogger }

const T0 = 1_700_000_000_000

async function call (ctx: Ctx, method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(ctx.console.url + path, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

const api = suite<Ctx>('console API')

api.before(async (ctx) => {
  ctx.dir = tmpDir('millrace-console-api-')
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, groupInitialRebalanceDelayMs: 0, logger: ctx.log.logger })
  ctx.console = await startConsoleServer(ctx.broker, { sampleIntervalMs: 50 })
})

api.after(async (ctx) => {
  await ctx.console.close()
  await ctx.broker.close()
  removeDir(ctx.dir)
})

api('an unknown topic or group is a 404 with { error, code }, and the refusal is logged', async (ctx) => {
  const missing = uniqueTopic('console-missing')
  for (const path of [`/api/topics/${missing}`, `/api/topics/${missing}/messages`, `/api/stream/topics/${missing}`]) {
    const res = await call(ctx, 'GET', path)
    assert.is(res.status, 404, path)
    assert.equal(res.body, { error: `unknown topic '${missing}'`, code: 'MR_ERR_UNKNOWN_TOPIC' }, path)
  }
  const group = await call(ctx, 'GET', `/api/groups/${missing}`)
  assert.is(group.status, 404)
  assert.is(group.body.kafkaError, 'GROUP_ID_NOT_FOUND')
  const produced = await call(ctx, 'POST', `/api/topics/${missing}/messages`, { value: 'v' })
  assert.is(produced.status, 404)
  assert.ok(ctx.log.find('console request refused', 'info').some((l) => l.fields.status === 404 && String(l.fields.url).includes(missing)))
})

api('a malformed offset, partition or body is a 400 naming the field', async (ctx) => {
  const topic = uniqueTopic('console-bad')
  await ctx.broker.createTopic({ topic, partitions: 2 })
  const offset = await call(ctx, 'GET', `/api/topics/${topic}/messages?from=offset&offset=abc`)
  assert.is(offset.status, 400)
  assert.equal(offset.body, { error: "offset must be a non-negative integer, not 'abc'", code: 'MR_ERR_INVALID_OPTION' })
  const partition = await call(ctx, 'GET', `/api/topics/${topic}/messages?partition=7`)
  assert.is(partition.status, 404)
  assert.is(partition.body.code, 'MR_ERR_UNKNOWN_PARTITION')
  const producePartition = await call(ctx, 'POST', `/api/topics/${topic}/messages`, { value: 'v', partition: 9 })
  assert.is(producePartition.status, 404)
  const notJson = await fetch(`${ctx.console.url}/api/topics/${topic}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' })
  assert.is(notJson.status, 400)
  assert.is((await notJson.json() as { code: string }).code, 'MR_ERR_INVALID_OPTION')
  const reset = await call(ctx, 'POST', '/api/groups/g/reset-offsets', { topic, to: 'soon' })
  assert.is(reset.status, 400)
  const unknownApi = await call(ctx, 'GET', '/api/nothing-here')
  assert.is(unknownApi.status, 404)
})

api('a config edit merges into the overrides; a value the broker refuses is a 400 with its reason', async (ctx) => {
  const topic = uniqueTopic('console-config')
  await ctx.broker.createTopic({ topic, config: { 'cleanup.policy': 'delete' } })
  const ok = await call(ctx, 'PUT', `/api/topics/${topic}/config`, { set: { 'retention.ms': '60000' } })
  assert.is(ok.status, 200)
  assert.equal((await ctx.broker.describeTopic(topic)).config, { 'cleanup.policy': 'delete', 'retention.ms': '60000' })
  const bad = await call(ctx, 'PUT', `/api/topics/${topic}/config`, { set: { 'retention.ms': 'forever' } })
  assert.is(bad.status, 400)
  assert.is(bad.body.code, 'MR_ERR_INVALID_OPTION')
  assert.ok(bad.body.error.includes('retention.ms'), bad.body.error)
  assert.equal((await ctx.broker.describeTopic(topic)).config['retention.ms'], '60000', 'the refused value changed nothing')
  await call(ctx, 'PUT', `/api/topics/${topic}/config`, { remove: ['cleanup.policy'] })
  assert.equal((await ctx.broker.describeTopic(topic)).config, { 'retention.ms': '60000' })
  assert.ok(ctx.log.find('topic config changed from the console', 'info').some((l) => l.fields.topic === topic))
})

api('Broker.offsetForTimestamp finds the first record at or after a time, null past the last', async (ctx) => {
  const topic = uniqueTopic('console-time')
  await ctx.broker.createTopic({ topic })
  await ctx.broker.producer().send({ topic, messages: [0, 100, 200].map((ms, i) => ({ value: `v${i}`, timestamp: T0 + ms })) })
  assert.equal(await ctx.broker.offsetForTimestamp({ topic, partition: 0, timestamp: T0 + 50 }), { offset: 1n, timestamp: T0 + 100 })
  assert.equal(await ctx.broker.offsetForTimestamp({ topic, partition: 0, timestamp: 0 }), { offset: 0n, timestamp: T0 })
  assert.is(await ctx.broker.offsetForTimestamp({ topic, partition: 0, timestamp: T0 + 201 }), null)
  try {
    await ctx.broker.offsetForTimestamp({ topic, partition: 3, timestamp: T0 })
    assert.unreachable('partition 3 does not exist')
  } catch (err) {
    assert.instance(err, MillraceError)
    assert.is((err as MillraceError).code, 'MR_ERR_UNKNOWN_PARTITION')
  }
  const fromTime = await call(ctx, 'GET', `/api/topics/${topic}/messages?from=timestamp&timestamp=${T0 + 150}`)
  assert.equal(fromTime.body.messages.map((m: { offset: number }) => m.offset), [2])
})

api('the message browser reads from an offset or the end, filters, and says when it cut a value', async (ctx) => {
  const topic = uniqueTopic('console-browse')
  await ctx.broker.createTopic({ topic, partitions: 2 })
  const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: i === 7 ? 'needle here' : `value ${i}`, headers: { n: String(i) }, partition: 0 }))
  await ctx.broker.producer().send({ topic, messages })
  await ctx.broker.producer().send({ topic, messages: [{ value: Buffer.alloc(70_000, 0x61), partition: 1 }] })
  const fromOffset = await call(ctx, 'GET', `/api/topics/${topic}/messages?partition=0&from=offset&offset=5&limit=3`)
  assert.equal(fromOffset.body.messages.map((m: { offset: number }) => m.offset), [5, 6, 7])
  const first = fromOffset.body.messages[0]
  assert.is(Buffer.from(first.key.base64, 'base64').toString(), 'k5')
  assert.equal(first.headers.map((h: { key: string, value: { base64: string } }) => [h.key, Buffer.from(h.value.base64, 'base64').toString()]), [['n', '5']])
  const end = await call(ctx, 'GET', `/api/topics/${topic}/messages?partition=0&limit=2`)
  assert.equal(end.body.messages.map((m: { offset: number }) => m.offset), [18, 19])
  const filtered = await call(ctx, 'GET', `/api/topics/${topic}/messages?from=beginning&filter=NEEDLE`)
  assert.equal(filtered.body.messages.map((m: { offset: number, partition: number }) => [m.partition, m.offset]), [[0, 7]])
  assert.is(filtered.body.scanned, 21)
  const big = await call(ctx, 'GET', `/api/topics/${topic}/messages?partition=1`)
  const value = big.body.messages[0].value
  assert.equal([value.size, value.truncated, Buffer.from(value.base64, 'base64').length], [70_000, true, 64 * 1024])
})

api('the produce route writes a record with its headers, read back by a consumer', async (ctx) => {
  const topic = uniqueTopic('console-produce')
  await ctx.broker.createTopic({ topic, partitions: 3 })
  const res = await call(ctx, 'POST', `/api/topics/${topic}/messages`, { key: 'id-1', value: '{"ok":true}', headers: [{ key: 'source', value: 'console' }], partition: 2 })
  assert.equal([res.status, res.body.partition, res.body.offset], [201, 2, 0])
  const consumer = ctx.broker.consumer({ maxWaitMs: 0 })
  consumer.assign([{ topic, partition: 2, offset: 'earliest' }])
  const [m] = await consumer.poll()
  await consumer.close()
  assert.equal([m!.key?.toString(), m!.value?.toString(), m!.headers.source?.toString()], ['id-1', '{"ok":true}', 'console'])
})

api('offset reset is refused with 409 while the group has members, and moves the offset once it has none', async (ctx) => {
  const topic = uniqueTopic('console-reset')
  const groupId = uniqueTopic('console-reset-group')
  await ctx.broker.createTopic({ topic })
  await ctx.broker.producer().send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) })
  const member = ctx.broker.consumer({ groupId, autoOffsetReset: 'earliest', autoCommit: false })
  member.subscribe({ topics: [topic] })
  let read = 0
  await until('the member read every record', async () => { read += (await member.poll()).length; return read >= 10 })
  await member.commit()
  const refused = await call(ctx, 'POST', `/api/groups/${groupId}/reset-offsets`, { topic, to: 'earliest' })
  assert.is(refused.status, 409)
  assert.is(refused.body.kafkaError, 'NON_EMPTY_GROUP')
  assert.ok(refused.body.error.includes('no active members'), refused.body.error)
  await member.close()
  const reset = await call(ctx, 'POST', `/api/groups/${groupId}/reset-offsets`, { topic, to: '4' })
  assert.is(reset.status, 200)
  assert.equal(reset.body.results, [{ topic, partition: 0, previousOffset: 10, newOffset: 4 }])
  const described = await ctx.broker.describeGroup(groupId)
  assert.equal([described.offsets[0]!.committedOffset, described.offsets[0]!.lag], [4n, 6n])
})

api('a live stream samples while it is open and sampling stops when the last one closes', async (ctx) => {
  const status = async (): Promise<{ sampling: boolean, listeners: number, snapshotsTaken: number }> => (await call(ctx, 'GET', '/api/console')).body
  await until('no stream from an earlier test is left', async () => !(await status()).sampling)
  const abort = new AbortController()
  const res = await fetch(`${ctx.console.url}/api/stream/home`, { signal: abort.signal })
  assert.is(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  const reader = res.body!.getReader()
  let text = ''
  await until('two samples arrived', async () => {
    text += new TextDecoder().decode((await reader.read()).value)
    return text.split('event: sample').length > 2
  })
  const open = await status()
  assert.equal([open.sampling, open.listeners], [true, 1])
  abort.abort()
  // The server sees the page go when its socket closes; then the timer is cleared (sampling: false).
  await until('sampling stopped', async () => !(await status()).sampling)
  assert.is((await status()).listeners, 0)
})

api.run()
