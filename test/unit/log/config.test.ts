import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultLogConfig, logConfigFromTopicConfig, NEVER } from '../../../src/log/config.js'

// ---
const defaults = suite('defaultLogConfig')

defaults('holds Kafka\'s topic defaults and is frozen', () => {
  assert.is(defaultLogConfig.segmentBytes, 1073741824)
  assert.is(defaultLogConfig.segmentMs, 604800000)
  assert.is(defaultLogConfig.retentionMs, 604800000)
  assert.is(defaultLogConfig.retentionBytes, -1)
  assert.is(defaultLogConfig.flushMessages, NEVER)
  assert.is(defaultLogConfig.flushMs, NEVER)
  assert.is(defaultLogConfig.maxMessageBytes, 1048588)
  assert.is(defaultLogConfig.indexIntervalBytes, 4096)
  assert.is(defaultLogConfig.segmentIndexBytes, 10485760)
  assert.is(defaultLogConfig.messageTimestampType, 'CreateTime')
  assert.equal(defaultLogConfig.cleanupPolicy, ['delete'])
  assert.ok(Object.isFrozen(defaultLogConfig))
})

defaults.run()

// ---
const parse = suite('logConfigFromTopicConfig')

parse('reads every key the engine honours', () => {
  const config = logConfigFromTopicConfig({
    'segment.bytes': '1048576',
    'segment.ms': '3600000',
    'retention.ms': '-1',
    'retention.bytes': '5000000',
    'flush.messages': '1',
    'flush.ms': '1000',
    'max.message.bytes': '2000000',
    'index.interval.bytes': '1024',
    'segment.index.bytes': '4096',
    'message.timestamp.type': 'LogAppendTime',
    'cleanup.policy': 'compact,delete'
  })
  assert.equal(config, {
    segmentBytes: 1048576,
    segmentMs: 3600000,
    retentionMs: -1,
    retentionBytes: 5000000,
    flushMessages: 1,
    flushMs: 1000,
    maxMessageBytes: 2000000,
    indexIntervalBytes: 1024,
    segmentIndexBytes: 4096,
    messageTimestampType: 'LogAppendTime',
    cleanupPolicy: ['compact', 'delete'],
    deleteRetentionMs: 86400000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER
  })
  assert.ok(Object.isFrozen(config))
  assert.ok(Object.isFrozen(config.cleanupPolicy))
})

parse('ignores keys it does not use and keeps the base for missing ones', () => {
  const base = logConfigFromTopicConfig({ 'retention.ms': '1000' })
  const config = logConfigFromTopicConfig({ 'compression.type': 'zstd', 'min.insync.replicas': '2' }, base)
  assert.is(config.retentionMs, 1000)
  assert.is(config.segmentBytes, defaultLogConfig.segmentBytes)
})

parse('Long.MAX_VALUE means never', () => {
  assert.is(logConfigFromTopicConfig({ 'flush.messages': '9223372036854775807' }).flushMessages, NEVER)
  assert.is(logConfigFromTopicConfig({ 'retention.ms': '9223372036854775807' }).retentionMs, NEVER)
})

parse('rejects bad values with the key and the rule', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ 'segment.bytes': '13' }, 'segment.bytes must be an integer ≥ 14 and ≤ 2147483647'],
    [{ 'segment.bytes': '2147483648' }, 'segment.bytes must be an integer ≥ 14 and ≤ 2147483647'],
    [{ 'segment.bytes': '1e6' }, 'segment.bytes must be an integer ≥ 14 and ≤ 2147483647'],
    [{ 'segment.ms': '0' }, 'segment.ms must be an integer ≥ 1'],
    [{ 'retention.ms': '-2' }, 'retention.ms must be an integer ≥ -1'],
    [{ 'retention.bytes': 'lots' }, 'retention.bytes must be an integer ≥ -1'],
    [{ 'flush.messages': '0' }, 'flush.messages must be an integer ≥ 1'],
    [{ 'flush.ms': '-1' }, 'flush.ms must be an integer ≥ 0'],
    [{ 'max.message.bytes': '-1' }, 'max.message.bytes must be an integer ≥ 0 and ≤ 2147483647'],
    [{ 'index.interval.bytes': '1.5' }, 'index.interval.bytes must be an integer ≥ 0 and ≤ 2147483647'],
    [{ 'segment.index.bytes': '3' }, 'segment.index.bytes must be an integer ≥ 4 and ≤ 2147483647'],
    [{ 'message.timestamp.type': 'Now' }, "message.timestamp.type must be 'CreateTime' or 'LogAppendTime'"],
    [{ 'cleanup.policy': 'keep' }, "cleanup.policy must be a list of 'delete' and 'compact'"],
    [{ 'cleanup.policy': '' }, "cleanup.policy must be a list of 'delete' and 'compact'"]
  ]
  for (const [map, message] of cases) {
    try {
      logConfigFromTopicConfig(map)
      assert.unreachable(`${JSON.stringify(map)} was accepted`)
    } catch (err) {
      assert.is((err as Error).message, message)
      assert.is((err as { code?: string }).code, 'MR_ERR_INVALID_OPTION')
    }
  }
})

parse.run()
