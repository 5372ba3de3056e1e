import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolveBrokerConfig, type BrokerConfig } from '../../../src/config/broker-config.js'
import { parseProperties } from '../../../src/config/properties-file.js'
import { effectiveSettings, mapServerProperties, SETTINGS, type MappedProperties } from '../../../src/config/server-properties.js'
import { logConfigFromTopicConfig, type LogConfig } from '../../../src/log/config.js'
import { MillraceError } from '../../../src/errors.js'

function map (text: string): MappedProperties {
  return mapServerProperties(parseProperties(text))
}

/** The broker config and the engine's log config a properties text gives. */
function configOf (text: string): { broker: BrokerConfig, log: LogConfig, mapped: MappedProperties } {
  const mapped = map(text)
  const broker = resolveBrokerConfig(mapped.options)
  return { broker, log: logConfigFromTopicConfig(broker.topicDefaults), mapped }
}

function refuses (text: string, message: string): void {
  try {
    map(text)
  } catch (err) {
    assert.ok(err instanceof MillraceError, String(err))
    assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
    assert.is((err as Error).message, message)
    return
  }
  assert.unreachable(`accepted ${JSON.stringify(text)}`)
}

const defaults = resolveBrokerConfig({})
const defaultLog = logConfigFromTopicConfig({})

/** A value for each honoured key that differs from its default, and how to read it back. */
const CHANGES: Record<string, { value: string, read: (c: { broker: BrokerConfig, log: LogConfig }) => unknown, expect: unknown }> = {
  'num.partitions': { value: '3', read: (c) => c.broker.defaultPartitions, expect: 3 },
  'auto.create.topics.enable': { value: 'false', read: (c) => c.broker.autoCreateTopics, expect: false },
  'socket.request.max.bytes': { value: '2048', read: (c) => c.broker.maxRequestBytes, expect: 2048 },
  'max.connections': { value: '7', read: (c) => c.broker.maxConnections, expect: 7 },
  'log.retention.check.interval.ms': { value: '1000', read: (c) => c.broker.retentionCheckIntervalMs, expect: 1000 },
  'log.cleaner.backoff.ms': { value: '500', read: (c) => c.broker.cleanerIntervalMs, expect: 500 },
  'group.initial.rebalance.delay.ms': { value: '3000', read: (c) => c.broker.groupInitialRebalanceDelayMs, expect: 3000 },
  'group.min.session.timeout.ms': { value: '1000', read: (c) => c.broker.groupMinSessionTimeoutMs, expect: 1000 },
  'group.max.session.timeout.ms': { value: '60000', read: (c) => c.broker.groupMaxSessionTimeoutMs, expect: 60000 },
  'offsets.retention.minutes': { value: '60', read: (c) => c.broker.offsetsRetentionMinutes, expect: 60 },
  'offset.metadata.max.bytes': { value: '100', read: (c) => c.broker.offsetMetadataMaxBytes, expect: 100 },
  'offsets.topic.segment.bytes': { value: '1048576', read: (c) => c.broker.offsetsTopicSegmentBytes, expect: 1048576 },
  // Two replicas need two workers, whatever this machine's default.
  'default.replication.factor': { value: '2\nmillrace.workers=2', read: (c) => c.broker.defaultReplicationFactor, expect: 2 },
  'replica.lag.time.max.ms': { value: '10000', read: (c) => c.broker.replicaLagTimeMaxMs, expect: 10_000 },
  'min.insync.replicas': { value: '2', read: (c) => c.broker.topicDefaults['min.insync.replicas'], expect: '2' },
  'log.segment.bytes': { value: '1048576', read: (c) => c.log.segmentBytes, expect: 1048576 },
  'log.roll.ms': { value: '60000', read: (c) => c.log.segmentMs, expect: 60000 },
  'log.roll.hours': { value: '2', read: (c) => c.log.segmentMs, expect: 7_200_000 },
  'log.retention.ms': { value: '1234', read: (c) => c.log.retentionMs, expect: 1234 },
  'log.retention.minutes': { value: '3', read: (c) => c.log.retentionMs, expect: 180_000 },
  'log.retention.hours': { value: '24', read: (c) => c.log.retentionMs, expect: 86_400_000 },
  'log.retention.bytes': { value: '1000000', read: (c) => c.log.retentionBytes, expect: 1_000_000 },
  'log.cleanup.policy': { value: 'compact,delete', read: (c) => c.log.cleanupPolicy, expect: ['compact', 'delete'] },
  'message.max.bytes': { value: '2000000', read: (c) => c.log.maxMessageBytes, expect: 2_000_000 },
  'log.flush.interval.messages': { value: '1', read: (c) => c.log.flushMessages, expect: 1 },
  'log.flush.interval.ms': { value: '1000', read: (c) => c.log.flushMs, expect: 1000 },
  'log.index.interval.bytes': { value: '8192', read: (c) => c.log.indexIntervalBytes, expect: 8192 },
  'log.index.size.max.bytes': { value: '4096', read: (c) => c.log.segmentIndexBytes, expect: 4096 },
  'log.message.timestamp.type': { value: 'LogAppendTime', read: (c) => c.log.messageTimestampType, expect: 'LogAppendTime' },
  'log.cleaner.delete.retention.ms': { value: '1000', read: (c) => c.log.deleteRetentionMs, expect: 1000 },
  'log.cleaner.min.cleanable.ratio': { value: '0.25', read: (c) => c.log.minCleanableDirtyRatio, expect: 0.25 },
  'log.cleaner.min.compaction.lag.ms': { value: '100', read: (c) => c.log.minCompactionLagMs, expect: 100 },
  'log.cleaner.max.compaction.lag.ms': { value: '100000', read: (c) => c.log.maxCompactionLagMs, expect: 100_000 },
  'millrace.workers': { value: '5', read: (c) => c.broker.workers, expect: 5 },
  'millrace.ring.bytes': { value: '65536', read: (c) => c.broker.ringBytes, expect: 65536 },
  'millrace.job.threads': { value: '2', read: (c) => c.broker.jobThreads, expect: 2 },
  'millrace.scrub.bytes.per.second': { value: '0', read: (c) => c.broker.scrubBytesPerSecond, expect: 0 },
  'millrace.scrub.interval.ms': { value: '1000', read: (c) => c.broker.scrubIntervalMs, expect: 1000 },
  'millrace.http.port': { value: '9645', read: (c) => c.broker.httpPort, expect: 9645 },
  'log.dirs': { value: '/var/lib/millrace', read: (c) => c.broker.dataDir, expect: '/var/lib/millrace' },
  'log.dir': { value: '/srv/millrace', read: (c) => c.broker.dataDir, expect: '/srv/millrace' },
  listeners: { value: 'PLAINTEXT://10.1.2.3:19092', read: (c) => [c.broker.host, c.broker.port], expect: ['10.1.2.3', 19092] }
}

const honoured = suite('server.properties: every honoured key changes the broker config')

honoured('the table below covers every key of the mapping', () => {
  const tableKeys = SETTINGS.flatMap((r) => r.kind === 'option' ? [r.key] : r.keys.map((k) => k.key))
  assert.equal(tableKeys.filter((k) => CHANGES[k] === undefined), [])
})

for (const [key, change] of Object.entries(CHANGES)) {
  honoured(`${key}=${change.value}`, () => {
    const before = change.read({ broker: defaults, log: defaultLog })
    assert.not.equal(before, change.expect, 'the test value differs from the default')
    const c = configOf(`${key}=${change.value}`)
    assert.equal(change.read(c), change.expect)
    assert.equal(c.mapped.warnings, [])
  })
}

honoured.run()

// ---

const units = suite('server.properties: units and precedence')

units('retention: ms wins over minutes over hours, and the others are named as not counting', () => {
  const c = configOf('log.retention.hours=1\nlog.retention.minutes=2\nlog.retention.ms=3')
  assert.is(c.log.retentionMs, 3)
  assert.equal(c.mapped.warnings, [
    'line 1: log.retention.hours does not count: log.retention.ms (line 3) takes precedence',
    'line 2: log.retention.minutes does not count: log.retention.ms (line 3) takes precedence'
  ])
  assert.is(c.mapped.origins.get('log.retention.ms'), 'file, line 3')
})

units('any negative retention means unlimited (-1), as in Kafka', () => {
  assert.is(configOf('log.retention.hours=-1').log.retentionMs, -1)
  assert.is(configOf('log.retention.ms=-5').log.retentionMs, -1)
  assert.is(configOf('log.retention.bytes=-2').log.retentionBytes, -1)
})

units('a value set in another unit shows its source key in the origin', () => {
  assert.is(configOf('\nlog.roll.hours=1').mapped.origins.get('log.roll.ms'), 'file, line 2 (log.roll.hours)')
})

units('integers and booleans may carry blanks and any case, as Kafka trims them', () => {
  const c = configOf('num.partitions = 4  \nauto.create.topics.enable=FALSE ')
  assert.is(c.broker.defaultPartitions, 4)
  assert.is(c.broker.autoCreateTopics, false)
})

units('a key set twice keeps the last value and says so', () => {
  const c = configOf('num.partitions=2\nnum.partitions=5')
  assert.is(c.broker.defaultPartitions, 5)
  assert.equal(c.mapped.warnings, ['line 2: num.partitions is set again; line 1 no longer counts'])
})

units('log.dirs wins over log.dir', () => {
  const c = configOf('log.dir=/a\nlog.dirs=/b')
  assert.is(c.broker.dataDir, '/b')
  assert.equal(c.mapped.warnings, ['line 1: log.dir does not count: log.dirs (line 2) takes precedence'])
})

units.run()

// ---

const listeners = suite('server.properties: listeners')

listeners('an empty host binds every interface; advertised.listeners gives the Metadata address', () => {
  const c = configOf('listeners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://kafka.example:19092')
  assert.equal([c.broker.host, c.broker.port, c.broker.advertisedHost, c.broker.advertisedPort], ['0.0.0.0', 9092, 'kafka.example', 19092])
})

listeners('IPv6 hosts are bracketed; port 0 picks a free port', () => {
  const c = configOf('listeners=PLAINTEXT://[::1]:0')
  assert.equal([c.broker.host, c.broker.port], ['::1', 0])
})

listeners("Kafka's stock KRaft listeners: the controller listener is dropped with a warning", () => {
  const c = configOf([
    'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
    'advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL'
  ].join('\n'))
  assert.equal([c.broker.port, c.broker.advertisedHost, c.broker.advertisedPort], [9092, 'localhost', 9092])
  assert.equal(c.mapped.warnings, [
    'line 1: listeners: CONTROLLER://:9093 is ignored: a KRaft controller listener (Millrace needs no quorum)',
    'line 2: advertised.listeners: CONTROLLER://localhost:9093 is ignored: a KRaft controller listener (Millrace needs no quorum)'
  ])
})

listeners('a custom listener name mapped to PLAINTEXT is served', () => {
  assert.is(configOf('listeners=CLIENTS://127.0.0.1:9000\nlistener.security.protocol.map=CLIENTS:PLAINTEXT').broker.port, 9000)
})

listeners('listeners Millrace cannot serve are refused, naming the key and the value', () => {
  refuses('listeners=SSL://:9093', "line 1: listeners=SSL://:9093 has SSL listener SSL, which needs ssl.keystore.type=PEM and ssl.keystore.location (the broker's PEM key and certificate)")
  refuses('listeners=CLIENTS://:9092', 'line 1: listeners=CLIENTS://:9092 names listener CLIENTS, which listener.security.protocol.map does not map')
  refuses('listeners=CLIENTS://:9092\nlistener.security.protocol.map=CLIENTS:SASL_KERBEROS', 'line 2: listener.security.protocol.map=CLIENTS:SASL_KERBEROS maps CLIENTS to SASL_KERBEROS, which is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL')
  refuses('listeners=PLAINTEXT://:9092,PLAINTEXT://:9093', 'line 1: listeners=PLAINTEXT://:9092,PLAINTEXT://:9093 names a listener twice')
  refuses('listeners=localhost:9092', "line 1: listeners=localhost:9092 must be a list of NAME://HOST:PORT (port 0 to 65535), and 'localhost:9092' is not")
  refuses('listeners=PLAINTEXT://:70000', "line 1: listeners=PLAINTEXT://:70000 must be a list of NAME://HOST:PORT (port 0 to 65535), and 'PLAINTEXT://:70000' is not")
  refuses('advertised.listeners=PLAINTEXT://a:1', 'line 1: advertised.listeners=PLAINTEXT://a:1 needs listeners to be set too')
  refuses('listeners=PLAINTEXT://:1\nadvertised.listeners=OTHER://a:1', 'line 2: advertised.listeners=OTHER://a:1 names OTHER, which listeners does not have')
  refuses('listeners=SSL://:1\nssl.keystore.type=JKS\nssl.keystore.location=/k.jks', 'line 2: ssl.keystore.type=JKS must be PEM: Millrace reads PEM files (convert a JKS or PKCS12 store with keytool and openssl)')
  refuses('ssl.truststore.location=/ca.pem', "line 1: ssl.truststore.location=/ca.pem needs ssl.keystore.location (the broker's PEM key and certificate) too")
})

listeners('several listeners, TLS from PEM keys and the ACL authorizer map to the broker options', () => {
  const { broker, mapped } = configOf([
    'listeners=PLAINTEXT://127.0.0.1:0,CLIENTS://:0,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CLIENTS:SASL_SSL,INTERNAL:SASL_PLAINTEXT',
    'advertised.listeners=CLIENTS://broker.example:9093',
    'ssl.keystore.type=PEM',
    'ssl.keystore.location=/etc/millrace/broker.pem',
    'ssl.truststore.type=PEM',
    'ssl.truststore.location=/etc/millrace/ca.pem',
    'ssl.client.auth=requested',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users=User:admin;User:ops',
    'allow.everyone.if.no.acl.found=false',
    'sasl.enabled.mechanisms=SCRAM-SHA-512'
  ].join('\n'))
  assert.equal(broker.listeners.map((l) => `${l.name} ${l.protocol} ${l.host}:${l.port}`), ['PLAINTEXT PLAINTEXT 127.0.0.1:0', 'CLIENTS SASL_SSL 0.0.0.0:0', 'INTERNAL SASL_PLAINTEXT 127.0.0.1:0'])
  assert.equal(broker.advertisedListeners.map((a) => `${a.name} ${a.host}:${a.port}`), ['CLIENTS broker.example:9093'])
  assert.equal(broker.tls, { certFile: '/etc/millrace/broker.pem', keyFile: '/etc/millrace/broker.pem', caFile: '/etc/millrace/ca.pem', clientAuth: 'requested' })
  assert.is(broker.authorizer, true)
  assert.equal([...broker.superUsers], ['User:admin', 'User:ops'])
  assert.is(broker.allowEveryoneIfNoAcl, false)
  assert.equal(mapped.warnings, ['line 12: sasl.enabled.mechanisms is ignored: Millrace serves PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 on every SASL listener and has no traffic between brokers'])
})

listeners.run()

// ---

const refusals = suite('server.properties: invalid values are refused with the key, the value, the line and the rule')

refusals('broker settings use the broker\'s own rules, named by their Kafka key', () => {
  refuses('num.partitions=0', 'line 1: num.partitions=0 must be an integer from 1 to 100000')
  refuses('num.partitions=three', 'line 1: num.partitions=three must be an integer')
  refuses('auto.create.topics.enable=yes', 'line 1: auto.create.topics.enable=yes must be true or false')
  refuses('millrace.ring.bytes=100000', 'line 1: millrace.ring.bytes=100000 must be a power of two')
  refuses('group.min.session.timeout.ms=10000\ngroup.max.session.timeout.ms=5000',
    'line 2: group.max.session.timeout.ms=5000 must not be below group.min.session.timeout.ms')
})

refusals('topic defaults use the engine\'s rules, named by the broker key', () => {
  refuses('\nlog.segment.bytes=10', 'line 2: log.segment.bytes=10 must be an integer ≥ 14 and ≤ 2147483647')
  refuses('log.cleanup.policy=forever', "line 1: log.cleanup.policy=forever must be a list of 'delete' and 'compact'")
  refuses('log.message.timestamp.type=Now', "line 1: log.message.timestamp.type=Now must be 'CreateTime' or 'LogAppendTime'")
  refuses('log.retention.hours=a week', 'line 1: log.retention.hours=a week must be an integer')
  refuses('log.roll.hours=0', 'line 1: log.roll.hours=0 must be an integer ≥ 1')
})

units('several log dirs map to dataDirs, in their order', () => {
  const c = configOf('log.dirs=/a, /b,/c')
  assert.equal(c.broker.dataDirs, ['/a', '/b', '/c'])
  assert.is(c.broker.dataDir, '/a')
  assert.is(c.mapped.origins.get('log.dirs'), 'file, line 1')
  assert.is(effectiveSettings(c.broker).find((s) => s.key === 'log.dirs')!.value, '/a,/b,/c')
})

refusals('log dirs: each named once, none inside another', () => {
  refuses('log.dirs= ', 'line 1: log.dirs= must name a directory')
  refuses('log.dirs=/a,/b,/a', 'line 1: log.dirs=/a,/b,/a names /a twice')
  refuses('log.dirs=/a,/a/b', 'line 1: log.dirs=/a,/a/b must not nest data dirs: /a/b is inside /a')
})

refusals('replication settings use Kafka\'s rules, and replicas need workers', () => {
  refuses('min.insync.replicas=0', "line 1: min.insync.replicas=0 must be an integer ≥ 1 and ≤ 2147483647; got '0'")
  refuses('default.replication.factor=0', 'line 1: default.replication.factor=0 must be an integer from 1 to 32767')
  refuses('millrace.workers=2\ndefault.replication.factor=3', 'line 2: default.replication.factor=3 must not exceed millrace.workers (3 replicas need 3 partition workers; this broker has 2)')
  refuses('replica.lag.time.max.ms=0', 'line 1: replica.lag.time.max.ms=0 must be an integer from 1 to 2147483647')
})

refusals('one copy of the coordinator\'s logs, no unclean election and no forbidden topic deletion: promises Millrace cannot keep', () => {
  refuses('offsets.topic.replication.factor=3', 'line 1: offsets.topic.replication.factor=3 must be 1: the coordinator keeps one copy of its offsets log, in the first of log.dirs (replication covers topics only)')
  refuses('transaction.state.log.min.isr=2', 'line 1: transaction.state.log.min.isr=2 must be 1: the coordinator keeps one copy of its transaction log, in the first of log.dirs (replication covers topics only)')
  refuses('unclean.leader.election.enable=true', 'line 1: unclean.leader.election.enable=true must be false: Millrace never elects a replica that is not in sync: that would drop acknowledged records')
  refuses('delete.topic.enable=false', 'line 1: delete.topic.enable=false must be true: Millrace always lets clients delete topics')
  assert.equal(map('min.insync.replicas=2\noffsets.topic.replication.factor=1\ndelete.topic.enable=true\nunclean.leader.election.enable=false').warnings, [])
})

refusals.run()

// ---

const warnings = suite('server.properties: keys not honoured are warned about by name')

warnings('Kafka keys Millrace ignores on purpose say why', () => {
  assert.equal(map('zookeeper.connect=localhost:2181\nnum.network.threads=3').warnings, [
    'line 1: zookeeper.connect is ignored: Millrace needs no ZooKeeper or KRaft quorum',
    'line 2: num.network.threads is ignored: Millrace sizes its threads itself (see millrace.workers and millrace.job.threads)'
  ])
})

warnings('unknown keys are named, with the nearest known key when one is close', () => {
  assert.equal(map('num.partiton=3\nlog.retention.hour=1\nmy.own.setting=1').warnings, [
    "line 1: unknown key 'num.partiton' (did you mean 'num.partitions'?)",
    "line 2: unknown key 'log.retention.hour' (did you mean 'log.retention.hours'?)",
    "line 3: unknown key 'my.own.setting'"
  ])
})

warnings('node.id other than 1 is ignored with a warning: clients find the node in Metadata', () => {
  assert.equal(map('node.id=1').warnings, [])
  assert.equal(map('broker.id=0').warnings, ['line 1: broker.id=0 is ignored: Millrace is one node and reports node id 1 in Metadata (clients find it there)'])
})

warnings.run()

// ---

const EXAMPLE = fileURLToPath(new URL('../../../../src/config/examples/server.properties', import.meta.url))

const example = suite('the annotated example server.properties')

example('passes with no warnings and sets every value to the broker\'s default', () => {
  const mapped = mapServerProperties(parseProperties(readFileSync(EXAMPLE, 'utf8')))
  assert.equal(mapped.warnings, [])
  const fromExample = resolveBrokerConfig(mapped.options)
  const builtIn = resolveBrokerConfig({ port: 9092 })
  assert.equal(effectiveSettings(fromExample), effectiveSettings(builtIn))
})

example('names every honoured key, set or commented out', () => {
  const text = readFileSync(EXAMPLE, 'utf8')
  const named = new Set([...text.matchAll(/^#?([a-z][a-z.]+)=/gm)].map((m) => m[1]))
  const missing = effectiveSettings(defaults).map((s) => s.key).filter((k) => !named.has(k))
  assert.equal(missing, [])
})

example('each "Default:" in a comment is the value the broker uses', () => {
  const text = readFileSync(EXAMPLE, 'utf8')
  const shown = new Map(effectiveSettings(resolveBrokerConfig({ port: 9092 })).map((s) => [s.key, s.value]))
  // A setting line follows its comment block; the block's last "Default: X" documents it.
  let documented: string | undefined
  let checked = 0
  for (const line of text.split('\n')) {
    const doc = /Default: (\S+?)[.,]?(?:\s|$)/.exec(line)
    if (doc !== null) documented = doc[1]
    const setting = /^([a-z][a-z.]+)=(.*)$/.exec(line)
    if (setting !== null && documented !== undefined && !line.startsWith('#')) {
      assert.is(setting[2], shown.get(setting[1]!), setting[1])
      assert.is(documented, setting[2], `${setting[1]}'s comment`)
      documented = undefined
      checked++
    }
  }
  assert.ok(checked > 25, `checked ${checked} settings`)
})

example.run()
