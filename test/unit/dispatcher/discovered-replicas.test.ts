import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { duplicateReplicas } from '../../../src/dispatcher/discovered-replicas.js'
import type { DiscoveredPartition } from '../../../src/partition/partition-spec.js'

const found = (dataDir: string, topic: string, partition: number, replica: number): DiscoveredPartition => ({
  dir: `${dataDir}/${topic}-${partition}${replica === 0 ? '' : `~${replica}`}`,
  dataDir,
  topic,
  topicId: '0123456789abcdef0123456789abcdef',
  partition,
  replica,
  overrides: {}
})

test('the same replica in two data dirs: each copy is refused, naming the other', () => {
  const refused = duplicateReplicas([
    found('/a', 'orders', 0, 0),
    found('/b', 'orders', 0, 1),
    found('/b', 'orders', 1, 0),
    found('/c', 'orders', 1, 0),
    found('/a', 'other', 1, 0)
  ])
  assert.equal(refused.map((r) => [r.dir, r.topic, r.partition, r.replica]), [['/b/orders-1', 'orders', 1, 0], ['/c/orders-1', 'orders', 1, 0]])
  assert.is(refused[0].problem, 'replica 0 of partition 1 is also in /c/orders-1; keep one copy and move the other away')
  assert.is(refused[1].problem, 'replica 0 of partition 1 is also in /b/orders-1; keep one copy and move the other away')
})

test('different replicas or partitions of a topic are no conflict', () => {
  assert.equal(duplicateReplicas([found('/a', 't', 0, 0), found('/b', 't', 0, 1), found('/c', 't', 0, 2), found('/a', 't', 1, 0)]), [])
})

test.run()
