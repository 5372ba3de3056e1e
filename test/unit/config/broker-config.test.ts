import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveBrokerConfig } from '../../../src/config/broker-config.js'
import { MillraceError } from '../../../src/errors.js'

const options = suite('broker options validation')

function rejects (input: unknown, message: string): void {
  try {
    resolveBrokerConfig(input as never)
  } catch (err) {
    assert.ok(err instanceof MillraceError)
    assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
    assert.is((err as Error).message, message)
    return
  }
  assert.unreachable(`accepted ${JSON.stringify(input)}`)
}

options('defaults give a working broker with data in ./data', () => {
  const config = resolveBrokerConfig()
  assert.is(config.dataDir, './data')
  assert.ok(config.workers >= 1)
  assert.ok(Object.isFrozen(config))
})

options('the scrubber reads 4 MiB/s, a pass a day, and 0 turns it off', () => {
  const config = resolveBrokerConfig()
  assert.is(config.scrubBytesPerSecond, 4 * 1024 * 1024)
  assert.is(config.scrubIntervalMs, 86_400_000)
  assert.is(resolveBrokerConfig({ scrubBytesPerSecond: 0 }).scrubBytesPerSecond, 0)
})

options('dataDir null means in memory', () => {
  assert.is(resolveBrokerConfig({ dataDir: null }).dataDir, null)
})

options('the HTTP endpoint is off by default, listens on the Kafka host unless told, and null turns it off', () => {
  assert.is(resolveBrokerConfig().httpPort, undefined)
  assert.is(resolveBrokerConfig({ httpPort: null }).httpPort, undefined)
  const on = resolveBrokerConfig({ host: '0.0.0.0', httpPort: 0 })
  assert.is(on.httpPort, 0)
  assert.is(on.httpHost, '0.0.0.0')
  assert.is(resolveBrokerConfig({ httpPort: 9644, httpHost: '127.0.0.2' }).httpHost, '127.0.0.2')
})

options('each bad option is named with its rule', () => {
  rejects({ workers: 0 }, 'options.workers must be an integer from 1 to 256')
  rejects({ workers: 1.5 }, 'options.workers must be an integer from 1 to 256')
  rejects({ ringBytes: 100_000 }, 'options.ringBytes must be a power of two')
  rejects({ ringBytes: 1024 }, 'options.ringBytes must be an integer from 65536 to 1073741824')
  rejects({ port: 70000 }, 'options.port must be an integer from 0 to 65535')
  rejects({ httpPort: 70000 }, 'options.httpPort must be an integer from 0 to 65535')
  rejects({ httpPort: '9644' }, 'options.httpPort must be an integer from 0 to 65535')
  rejects({ httpHost: '' }, 'options.httpHost must be a non-empty string')
  rejects({ dataDir: '' }, 'options.dataDir must be a non-empty path or null (in memory)')
  rejects({ autoCreateTopics: 'yes' }, 'options.autoCreateTopics must be a boolean')
  rejects({ topicDefaults: { 'retention.ms': 5 } }, "options.topicDefaults['retention.ms'] must be a string")
  rejects({ topicDefaults: { 'segment.bytes': 'big' } }, 'options.topicDefaults is not a valid topic config: segment.bytes must be an integer ≥ 14 and ≤ 2147483647')
  rejects({ topicDefaults: { 'retention.hours': '1' } }, "options.topicDefaults is not a valid topic config: unknown topic config 'retention.hours'")
  rejects({ flushMs: 5 }, 'options.flushMs is not a known option')
  rejects({ scrubBytesPerSecond: -1 }, 'options.scrubBytesPerSecond must be an integer ≥ 0')
  rejects({ scrubBytesPerSecond: 1.5 }, 'options.scrubBytesPerSecond must be an integer ≥ 0')
  rejects({ scrubIntervalMs: 5 }, 'options.scrubIntervalMs must be an integer ≥ 10')
  rejects(42, 'options must be an object')
})

options.run()
