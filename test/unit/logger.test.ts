import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { LogRateLimiter, relayWorkerLogs, silentLogger, workerLogger } from '../../src/logger.js'
import { CaptureLogger } from '../helpers/capture-logger.js'

const relay = suite('relayWorkerLogs')

relay('a worker thread\'s log lines reach the parent\'s logger with their bindings and flattened errors', async () => {
  const capture = new CaptureLogger()
  const worker = new Worker(new URL('../fixtures/log-worker.js', import.meta.url))
  relayWorkerLogs(worker, capture.logger.child({ worker: 7 }))
  await once(worker, 'exit')
  assert.equal(capture.lines.map((l) => [l.level, l.msg]), [['warn', 'batch refused'], ['info', 'done']])
  const fields = capture.lines[0]!.fields
  assert.is(fields.worker, 7)
  assert.is(fields.subsystem, 'fixture')
  assert.is(fields.partition, 'events-0')
  assert.is(fields.offset, 42)
  assert.equal(fields.err, { type: 'Error', message: 'bad batch', code: undefined })
})

relay('workerLogger on the main thread logs nothing', () => {
  assert.is(workerLogger({ a: 1 }), silentLogger)
})

relay.run()

// ---

const limiter = suite('LogRateLimiter')

limiter('admits the first event per key, then one per interval, counting the ones held back', () => {
  const l = new LogRateLimiter(1000)
  assert.is(l.admit('a', 0), 0)
  assert.is(l.admit('a', 10), null)
  assert.is(l.admit('a', 20), null)
  assert.is(l.admit('b', 30), 0, 'keys are independent')
  assert.is(l.admit('a', 1000), 2, 'two were held back')
  assert.is(l.admit('a', 1500), null)
})

limiter('forgets the oldest key past its key limit', () => {
  const l = new LogRateLimiter(1000, 2)
  l.admit('a', 0)
  l.admit('b', 0)
  l.admit('c', 0)
  assert.is(l.admit('a', 1), 0, 'a was forgotten, so it is admitted again')
  assert.is(l.admit('c', 1), null)
})

limiter.run()
