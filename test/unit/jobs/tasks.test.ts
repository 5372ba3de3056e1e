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

scan.run()
