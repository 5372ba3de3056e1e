import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Shutdown, type Closable } from '../../../src/cli/shutdown.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'

interface Ctx { capture: CaptureLogger, exits: number[], errors: string[], notices: string[], exited: Promise<number>, shutdown: Shutdown }

/** A Shutdown whose exit records the code instead of ending the test process. */
function harness (timeoutMs = 60_000): Ctx {
  const capture = new CaptureLogger()
  const exits: number[] = []
  const errors: string[] = []
  const notices: string[] = []
  let onExit: (code: number) => void = () => {}
  const exited = new Promise<number>((resolve) => { onExit = resolve })
  const shutdown = new Shutdown({
    logger: capture.logger,
    exit: (code) => { exits.push(code); onExit(code) },
    writeNotice: (line) => notices.push(line),
    writeError: (line) => errors.push(line),
    timeoutMs
  })
  return { capture, exits, errors, notices, exited, shutdown }
}

/** A broker stand-in whose close is resolved by the test (or never). */
function closable (): Closable & { closes: number, finish: () => void } {
  let finish = (): void => {}
  const b = {
    closes: 0,
    finish: () => finish(),
    close: () => { b.closes++; return new Promise<void>((resolve) => { finish = resolve }) }
  }
  return b
}

const shutdown = suite('Shutdown')

shutdown('a signal after start closes the broker and exits 0 when the close is done', async () => {
  const h = harness()
  const broker = closable()
  h.shutdown.started(broker)
  h.shutdown.signal('SIGTERM')
  assert.is(broker.closes, 1)
  assert.equal(h.exits, [], 'no exit before the close is done')
  broker.finish()
  assert.is(await h.exited, 0)
  assert.equal(h.notices, ['millrace: SIGTERM, shutting down'])
})

shutdown('a signal during start-up closes the broker as soon as it has started', async () => {
  const h = harness()
  h.shutdown.signal('SIGINT')
  assert.ok(h.shutdown.stopping)
  const broker = closable()
  h.shutdown.started(broker)
  assert.is(broker.closes, 1)
  broker.finish()
  assert.is(await h.exited, 0)
  assert.is(h.capture.find('shutting down', 'info')[0]?.fields.starting, true)
})

shutdown('a second signal exits 1 at once with a fatal log line', async () => {
  const h = harness()
  const broker = closable()
  h.shutdown.started(broker)
  h.shutdown.signal('SIGTERM')
  h.shutdown.signal('SIGTERM')
  assert.is(await h.exited, 1)
  assert.is(broker.closes, 1)
  assert.is(h.capture.find('second signal', 'fatal').length, 1)
  assert.match(h.errors.join('\n'), 'exiting without a clean close')
})

shutdown('a close that hangs past the timeout exits 1 with a fatal log line', async () => {
  const h = harness(50)
  h.shutdown.started(closable())
  h.shutdown.signal('SIGTERM')
  assert.is(await h.exited, 1)
  assert.is(h.capture.find('did not finish within 50 ms', 'fatal').length, 1)
  assert.match(h.errors.join('\n'), 'did not finish within 50 ms')
})

shutdown('a start-up that never finishes still ends at the timeout', async () => {
  const h = harness(50)
  h.shutdown.signal('SIGTERM')
  assert.is(await h.exited, 1)
})

shutdown('a close that fails exits 1 and logs why', async () => {
  const h = harness()
  h.shutdown.started({ close: async () => { throw new Error('disk gone') } })
  h.shutdown.signal('SIGTERM')
  assert.is(await h.exited, 1)
  assert.is(h.capture.find('shutdown failed', 'error')[0]?.fields.err instanceof Error, true)
  assert.match(h.errors.join('\n'), 'disk gone')
})

shutdown.run()
