import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readiness } from '../../../src/http/readiness.js'

const ready = suite('readiness')

ready('ready with a listener, no offline topic and nothing recovering', () => {
  assert.equal(readiness({ listenerMissing: false, offlineTopics: [], recoveringPartitions: [], offlineDataDirs: [] }), { ready: true, reasons: [], offlineTopics: [], recoveringPartitions: [], offlineDataDirs: [] })
})

ready('each problem is a reason; offline topics and recovering partitions are listed by name', () => {
  const answer = readiness({
    listenerMissing: true,
    offlineTopics: [{ topic: 'orders', problem: '/data/orders-0: partition.metadata is damaged' }],
    recoveringPartitions: ['clicks-0', 'clicks-3'],
    offlineDataDirs: []
  })
  assert.is(answer.ready, false)
  assert.equal(answer.reasons, [
    'the Kafka listener is not listening',
    "topic 'orders' is offline: /data/orders-0: partition.metadata is damaged",
    '2 partitions are recovering after a worker restart: clicks-0, clicks-3'
  ])
  assert.equal(answer.offlineTopics, ['orders'])
  assert.equal(answer.recoveringPartitions, ['clicks-0', 'clicks-3'])
})

ready('a single recovering partition, and a long list cut at 100 with the rest counted', () => {
  assert.equal(readiness({ listenerMissing: false, offlineTopics: [], recoveringPartitions: ['a-0'], offlineDataDirs: [] }).reasons, ['1 partition is recovering after a worker restart: a-0'])
  const many = Array.from({ length: 250 }, (_, i) => `t-${i}`)
  const answer = readiness({ listenerMissing: false, offlineTopics: [], recoveringPartitions: many, offlineDataDirs: [] })
  assert.is(answer.recoveringPartitions.length, 100)
  assert.ok(answer.reasons[0].startsWith('250 partitions are recovering'))
  assert.ok(answer.reasons[0].endsWith('t-99 and 150 more'))
})

ready('a failed data dir is a reason naming its cause and its offline replicas', () => {
  const answer = readiness({
    listenerMissing: false,
    offlineTopics: [],
    recoveringPartitions: [],
    offlineDataDirs: [{ dir: '/disk2', cause: 'storage error on orders-1~2', replicas: ['orders-1~2', 'clicks-0'] }]
  })
  assert.is(answer.ready, false)
  assert.equal(answer.reasons, ['data dir /disk2 is offline after a storage failure (storage error on orders-1~2) until the broker restarts; 2 replicas offline: orders-1~2, clicks-0'])
  assert.equal(answer.offlineDataDirs, ['/disk2'])
})

ready.run()
