import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { applyDataDirFlags } from '../../../src/cli/data-dir-flag.js'
import type { BrokerOptions } from '../../../src/config/broker-config.js'

const flags = suite('millrace start --data and --memory')

flags('one directory is dataDir, several (Kafka\'s comma list) are dataDirs', () => {
  const one: BrokerOptions = {}
  assert.is(applyDataDirFlags(one, '/srv/a', false), null)
  assert.equal(one, { dataDir: '/srv/a' })
  const several: BrokerOptions = {}
  assert.is(applyDataDirFlags(several, '/srv/a, /srv/b,/srv/c', false), null)
  assert.equal(several, { dataDirs: ['/srv/a', '/srv/b', '/srv/c'] })
})

flags('the flags replace the config file\'s data dirs, in either form', () => {
  const fromFile: BrokerOptions = { dataDirs: ['/file/a', '/file/b'], workers: 2 }
  applyDataDirFlags(fromFile, '/flag', false)
  assert.equal(fromFile, { workers: 2, dataDir: '/flag' })
  const inMemory: BrokerOptions = { dataDir: '/file' }
  applyDataDirFlags(inMemory, undefined, true)
  assert.equal(inMemory, { dataDir: null })
  const untouched: BrokerOptions = { dataDirs: ['/file/a', '/file/b'] }
  assert.is(applyDataDirFlags(untouched, undefined, false), null)
  assert.equal(untouched, { dataDirs: ['/file/a', '/file/b'] })
})

flags('an empty name and --memory with --data are refused', () => {
  assert.is(applyDataDirFlags({}, '/a,,/b', false), "--data must name directories separated by commas; got '/a,,/b'")
  assert.is(applyDataDirFlags({}, '/a,', false), "--data must name directories separated by commas; got '/a,'")
  assert.is(applyDataDirFlags({}, '/a', true), '--memory and --data cannot be used together')
})

flags.run()
