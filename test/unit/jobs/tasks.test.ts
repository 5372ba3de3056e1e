import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { discover } from '../../../src/jobs/tasks.js'
import { writePartitionMetadata, writeTopicConfig } from '../../../src/partition/partition-files.js'
import { OFFSETS_DIR } from '../../../src/coordinator/offsets-topic.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const TOPIC_ID = '0123456789abcdef0123456789abcdef'

const scan = suite<{ dir: string }>('discover')
scan.before.each((ctx) => { ctx.dir = tmpDir() })
scan.after.each((ctx) => { removeDir(ctx.dir) })

scan('sorts a data dir into partitions, unloadable directories and pending deletes', ({ dir }) => {
  const dirOf = (name: string): string => { mkdirSync(join(dir, name)); return join(dir, name) }
  writePartitionMetadata(dirOf('orders-0'), TOPIC_ID)
  writeFileSync(join(dirOf('damaged-0'), 'partition.metadata'), 'garbage')
  writeFileSync(join(dirOf('headless-2'), '00000000000000000000.log'), 'data')
  writeFileSync(join(dirOf('unfinished-0'), 'partition.metadata.tmp'), '')
  writeFileSync(join(dirOf(OFFSETS_DIR), '00000000000000000000.log'), 'the coordinator\'s own log')
  dirOf('old-0.abc-delete')
  writeFileSync(join(dir, '.lock'), '{}')
  const found = discover([dir])
  assert.equal(found.partitions.map((p) => [p.topic, p.partition, p.topicId]), [['orders', 0, TOPIC_ID]])
  assert.equal(found.unloadable.map((u) => [u.topic, u.partition]).sort(), [['damaged', 0], ['headless', 2]])
  assert.match(found.unloadable.find((u) => u.topic === 'headless')!.problem, 'partition.metadata is missing')
  assert.equal(found.pendingDeletes, [join(dir, 'old-0.abc-delete')])
})

scan('a partition whose topic.config does not parse is unloadable, not read as a topic without overrides', ({ dir }) => {
  const dirOf = (name: string): string => { mkdirSync(join(dir, name)); return join(dir, name) }
  const compacted = dirOf('compacted-0')
  writePartitionMetadata(compacted, TOPIC_ID)
  writeTopicConfig(compacted, { 'cleanup.policy': 'compact' })
  const damaged = dirOf('damaged-config-0')
  writePartitionMetadata(damaged, TOPIC_ID)
  writeFileSync(join(damaged, 'topic.config'), '{"cleanup.policy": "comp')
  const plain = dirOf('plain-0')
  writePartitionMetadata(plain, TOPIC_ID)
  const found = discover([dir])
  assert.equal(found.partitions.map((p) => [p.topic, p.overrides]).sort(), [['compacted', { 'cleanup.policy': 'compact' }], ['plain', {}]])
  assert.equal(found.unloadable.map((u) => [u.topic, u.problem]), [['damaged-config', 'topic.config is not valid JSON']])
})

scan('scans every data dir, naming each replica\'s dir, data dir and index (<topic>-<partition>~<r>)', ({ dir }) => {
  const first = join(dir, 'a')
  const second = join(dir, 'b')
  mkdirSync(first)
  mkdirSync(second)
  const make = (dataDir: string, name: string): void => { mkdirSync(join(dataDir, name)); writePartitionMetadata(join(dataDir, name), TOPIC_ID) }
  make(first, 'orders-0')
  make(second, 'orders-1')
  make(second, 'orders-0~1')
  make(first, 'my-topic-12~3')
  // Not replica names: '~0' (replica 0 has no suffix), a leading zero, nothing after '~'.
  make(first, 'odd-0~0')
  make(first, 'odd-0~01')
  make(first, 'odd-0~')
  mkdirSync(join(second, 'orders-1~2.abc-delete'))
  const found = discover([first, second])
  const rows = found.partitions.map((p) => [p.dataDir, p.dir, p.topic, p.partition, p.replica])
  assert.equal(rows.sort((x, y) => String(x[1]).localeCompare(String(y[1]))), [
    [first, join(first, 'my-topic-12~3'), 'my-topic', 12, 3],
    [first, join(first, 'orders-0'), 'orders', 0, 0],
    [second, join(second, 'orders-0~1'), 'orders', 0, 1],
    [second, join(second, 'orders-1'), 'orders', 1, 0]
  ])
  assert.equal(found.pendingDeletes, [join(second, 'orders-1~2.abc-delete')])
})

scan.run()
