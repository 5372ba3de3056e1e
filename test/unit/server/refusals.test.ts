import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { newCounters } from '../../../src/server/connection.js'
import { RefusalLog, type RequestOrigin } from '../../../src/server/refusals.js'
import { softOpenFilesLimit } from '../../../src/server/descriptor-limit.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'

interface Ctx { capture: CaptureLogger, counters: ReturnType<typeof newCounters>, clock: { now: number }, refusals: RefusalLog }
const refusals = suite<Ctx>('RefusalLog')

refusals.before.each((ctx) => {
  ctx.capture = new CaptureLogger()
  ctx.counters = newCounters()
  ctx.clock = { now: 1_000_000 }
  ctx.refusals = new RefusalLog(ctx.capture.logger, ctx.counters, { now: () => ctx.clock.now })
})

const metadataV99 = (port: number, clientId = 'old-client'): RequestOrigin => ({ remoteHost: '10.0.0.7', remotePort: port, clientId, apiKey: 3, apiVersion: 99 })

refusals('the first refusal is logged with client, address, API name, version and the served range', ({ capture, counters, refusals }) => {
  refusals.refused('unsupported-version', metadataV99(40001))
  assert.is(counters.unsupportedVersions, 1)
  assert.is(capture.lines.length, 1)
  const line = capture.lines[0]
  assert.is(line.level, 'warn')
  assert.match(line.msg, 'unsupported API version')
  assert.equal(
    { reason: line.fields.reason, clientId: line.fields.clientId, client: line.fields.client, api: line.fields.api, apiVersion: line.fields.apiVersion, supportedVersions: line.fields.supportedVersions, suppressed: line.fields.suppressed },
    { reason: 'unsupported-version', clientId: 'old-client', client: '10.0.0.7:40001', api: 'Metadata', apiVersion: 99, supportedVersions: '0-12', suppressed: 0 })
})

refusals('a storm from one client (reconnecting from new ports) logs once a second and reports what it held back', ({ capture, counters, clock, refusals }) => {
  for (let i = 0; i < 100; i++) refusals.refused('unsupported-version', metadataV99(40000 + i))
  assert.is(counters.unsupportedVersions, 100)
  assert.is(capture.lines.length, 1)
  clock.now += 1000
  refusals.refused('unsupported-version', metadataV99(41000))
  assert.is(capture.lines.length, 2)
  assert.is(capture.lines[1].fields.suppressed, 99)
})

refusals('each client id, reason and version gets its own line', ({ capture, refusals }) => {
  refusals.refused('unsupported-version', metadataV99(1, 'a'))
  refusals.refused('unsupported-version', metadataV99(1, 'b'))
  refusals.refused('unsupported-version', { ...metadataV99(1, 'a'), apiVersion: 98 })
  refusals.refused('malformed-request', metadataV99(1, 'a'), 'needs 2 bytes')
  refusals.refused('unknown-api', { ...metadataV99(1, 'a'), apiKey: 57, apiVersion: 0 })
  assert.is(capture.lines.length, 5)
  assert.is(capture.lines[3].fields.detail, 'needs 2 bytes')
  assert.is(capture.lines[4].fields.api, 'unknown API key 57')
})

// ---

refusals('frames, handler failures, connection limits and accept errors are counted and logged', ({ capture, counters, refusals }) => {
  const noHeader: RequestOrigin = { remoteHost: '::1', remotePort: 5, clientId: null, apiKey: null, apiVersion: null }
  refusals.refused('bad-frame-size', noHeader, 'size -5, at most 100')
  refusals.refused('truncated-frame', noHeader)
  refusals.handlerFailed(metadataV99(2), new Error('boom'))
  refusals.connectionRefused('10.0.0.7', 'max-connections', 8)
  refusals.connectionRefused('10.0.0.7', 'shutting-down', 8)
  refusals.acceptFailed(Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }))
  refusals.acceptFailed(Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }))
  assert.equal([counters.malformedFrames, counters.handlerFailures, counters.rejected, counters.acceptErrors], [2, 1, 2, 2])
  assert.equal(capture.lines.map((l) => [l.level, l.fields.reason ?? l.fields.code]), [
    ['warn', 'bad-frame-size'], ['warn', 'truncated-frame'], ['error', 'handler-failure'], ['warn', 'max-connections'], ['error', 'EMFILE']
  ])
  assert.is(capture.lines[0].fields.client, '[::1]:5')
  assert.is((capture.lines[2].fields.err as Error).message, 'boom')
  assert.match(capture.lines[4].msg, 'still listening')
})

refusals.run()

// ---

const limits = suite('softOpenFilesLimit')

limits('reads the soft limit from /proc/self/limits; unlimited or missing gives null', () => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n'
  assert.is(softOpenFilesLimit(text), 1024)
  assert.is(softOpenFilesLimit(text.replace('1024', 'unlimited')), null)
  assert.is(softOpenFilesLimit('Max processes 10 10 processes\n'), null)
})

limits.run()
