import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { configFormat, parseConfigText } from '../../../src/config/config-file.js'

const format = suite('config file format')

format('the extension decides first: .json is JSON, .properties is properties', () => {
  assert.is(configFormat('broker.json', 'num.partitions=1'), 'json')
  assert.is(configFormat('/etc/millrace/server.properties', '{ }'), 'properties')
  assert.is(configFormat('BROKER.JSON', ''), 'json')
})

format('otherwise a text starting with { is JSON, anything else properties', () => {
  assert.is(configFormat('broker.conf', '\n  {"workers": 1}'), 'json')
  assert.is(configFormat('broker.conf', '# comment\nnum.partitions=1'), 'properties')
  assert.is(configFormat('broker', ''), 'properties')
})

format.run()

// ---

const parse = suite('config file text')

parse('properties map to broker options, with warnings and origins', () => {
  const loaded = parseConfigText('server.properties', 'num.partitions=3\nzookeeper.connect=zk:2181')
  assert.is(loaded.format, 'properties')
  assert.equal(loaded.options, { defaultPartitions: 3 })
  assert.equal(loaded.warnings, ['line 2: zookeeper.connect is ignored: Millrace needs no ZooKeeper or KRaft quorum'])
  assert.is(loaded.origins.get('num.partitions'), 'file, line 1')
})

parse('JSON stays broker options; the settings it sets come from the file', () => {
  const loaded = parseConfigText('broker.json', '{"defaultPartitions": 3, "topicDefaults": {"retention.ms": "1000"}, "port": 0}')
  assert.equal(loaded.options, { defaultPartitions: 3, topicDefaults: { 'retention.ms': '1000' }, port: 0 })
  assert.equal(loaded.warnings, [])
  assert.equal([...loaded.origins.keys()].sort(), ['listeners', 'log.retention.ms', 'num.partitions'])
})

parse('JSON dataDirs and the replication settings are broker options too, checked the same way', () => {
  const loaded = parseConfigText('broker.json', '{"dataDirs": ["/srv/a", "/srv/b"], "workers": 2, "defaultReplicationFactor": 2, "replicaLagTimeMaxMs": 5000, "topicDefaults": {"min.insync.replicas": "2"}}')
  assert.equal(loaded.options.dataDirs, ['/srv/a', '/srv/b'])
  assert.equal([...loaded.origins.keys()].sort(), ['default.replication.factor', 'log.dirs', 'millrace.workers', 'min.insync.replicas', 'replica.lag.time.max.ms'])
  assert.throws(() => parseConfigText('broker.json', '{"dataDirs": ["/srv/a", "/srv/a/b"]}'), /options\.dataDirs must not nest data dirs: \/srv\/a\/b is inside \/srv\/a/)
  assert.throws(() => parseConfigText('broker.json', '{"dataDir": "/srv/a", "dataDirs": ["/srv/b"]}'), /options\.dataDirs replaces options\.dataDir/)
})

parse('bad JSON, JSON that is not an object and refused options say what is wrong', () => {
  assert.throws(() => parseConfigText('b.json', '{"workers": '), /^not valid JSON: /)
  assert.throws(() => parseConfigText('b.json', '[1]'), (err: Error) => err.message === 'must hold a JSON object of broker options')
  assert.throws(() => parseConfigText('b.json', '{"workers": 0}'), (err: Error) => err.message === 'options.workers must be an integer from 1 to 256')
})

parse.run()
