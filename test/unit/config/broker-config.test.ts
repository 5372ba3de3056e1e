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

options('dataDirs: several data dirs, the first being dataDir; one dir or none keeps dataDirs consistent', () => {
  const config = resolveBrokerConfig({ dataDirs: ['/srv/a', '/srv/b'] })
  assert.equal(config.dataDirs, ['/srv/a', '/srv/b'])
  assert.is(config.dataDir, '/srv/a')
  assert.ok(Object.isFrozen(config.dataDirs))
  assert.equal(resolveBrokerConfig({ dataDir: '/srv/one' }).dataDirs, ['/srv/one'])
  assert.equal(resolveBrokerConfig({ dataDir: null }).dataDirs, [])
})

options('dataDirs: given with dataDir, empty, repeated or nested are refused', () => {
  rejects({ dataDir: '/a', dataDirs: ['/b'] }, 'options.dataDirs replaces options.dataDir; give one or the other')
  rejects({ dataDir: null, dataDirs: ['/b'] }, 'options.dataDirs replaces options.dataDir; give one or the other')
  rejects({ dataDirs: [] }, 'options.dataDirs must be a non-empty array of paths')
  rejects({ dataDirs: '/a,/b' }, 'options.dataDirs must be a non-empty array of paths')
  rejects({ dataDirs: ['/a', ''] }, 'options.dataDirs must hold non-empty paths; got ""')
  rejects({ dataDirs: ['/a', '/b', '/a'] }, 'options.dataDirs names /a twice')
  rejects({ dataDirs: ['/a', '/b/../a/'] }, 'options.dataDirs names /a twice (as /b/../a/)')
  rejects({ dataDirs: ['/srv/data', '/srv/data/more'] }, 'options.dataDirs must not nest data dirs: /srv/data/more is inside /srv/data')
  rejects({ dataDirs: ['/srv/data/more', '/srv/data'] }, 'options.dataDirs must not nest data dirs: /srv/data/more is inside /srv/data')
  // A name starting with '..' is still inside; siblings that share a prefix are not.
  rejects({ dataDirs: ['/srv/data', '/srv/data/..more'] }, 'options.dataDirs must not nest data dirs: /srv/data/..more is inside /srv/data')
  assert.equal(resolveBrokerConfig({ dataDirs: ['/srv/data', '/srv/data2'] }).dataDirs, ['/srv/data', '/srv/data2'])
})

options('replication settings: Kafka\'s defaults, and no more replicas than workers', () => {
  const config = resolveBrokerConfig({ workers: 3 })
  assert.is(config.defaultReplicationFactor, 1)
  assert.is(config.replicaLagTimeMaxMs, 30_000)
  assert.is(resolveBrokerConfig({ workers: 3, defaultReplicationFactor: 3 }).defaultReplicationFactor, 3)
  rejects({ workers: 2, defaultReplicationFactor: 3 }, 'options.defaultReplicationFactor must not exceed options.workers (3 replicas need 3 partition workers; this broker has 2)')
  rejects({ defaultReplicationFactor: 0 }, 'options.defaultReplicationFactor must be an integer from 1 to 32767')
  rejects({ replicaLagTimeMaxMs: 0 }, 'options.replicaLagTimeMaxMs must be an integer from 1 to 2147483647')
  rejects({ topicDefaults: { 'min.insync.replicas': '0' } }, "options.topicDefaults is not a valid topic config: min.insync.replicas must be an integer ≥ 1 and ≤ 2147483647; got '0'")
  assert.is(resolveBrokerConfig({ topicDefaults: { 'min.insync.replicas': '5' } }).topicDefaults['min.insync.replicas'], '5')
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
