import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { holdsPartitionData, readPartitionMetadata, writePartitionMetadata } from '../../../src/partition/partition-files.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const TOPIC_ID = '0123456789abcdef0123456789abcdef'

const metadata = suite<{ dir: string }>('readPartitionMetadata')
metadata.before.each((ctx) => { ctx.dir = tmpDir() })
metadata.after.each((ctx) => { removeDir(ctx.dir) })

metadata('reads back what writePartitionMetadata wrote (Kafka\'s format)', ({ dir }) => {
  writePartitionMetadata(dir, TOPIC_ID)
  assert.equal(readPartitionMetadata(dir), { topicId: TOPIC_ID, replicas: 1, problem: null })
})

metadata('names the problem of a missing or damaged file instead of guessing', ({ dir }) => {
  const write = (text: string): void => writeFileSync(join(dir, 'partition.metadata'), text)
  assert.equal(readPartitionMetadata(dir), { topicId: null, replicas: null, problem: 'partition.metadata is missing' })
  write('garbage')
  assert.match(readPartitionMetadata(dir).problem!, "has no 'version: 0' line")
  write('version: 0\n')
  assert.match(readPartitionMetadata(dir).problem!, 'has no topic_id line')
  write('version: 0\ntopic_id: AAAA\n')
  assert.match(readPartitionMetadata(dir).problem!, 'not a 16-byte base64url topic id')
  // 16 bytes once the junk is skipped by a lenient decoder: still refused.
  write(`version: 0\ntopic_id: ${Buffer.from(TOPIC_ID, 'hex').toString('base64url')}!!\n`)
  assert.match(readPartitionMetadata(dir).problem!, 'not a 16-byte base64url topic id')
  write(`version: 0\ntopic_id: ${Buffer.from(TOPIC_ID, 'hex').toString('base64url')}\nreplicas: 0\n`)
  assert.match(readPartitionMetadata(dir).problem!, "holds replicas '0', not a count ≥ 1")
})

metadata('a replicated topic\'s replicas are written and read back; a single copy keeps Kafka\'s two lines', ({ dir }) => {
  writePartitionMetadata(dir, TOPIC_ID, 3)
  assert.equal(readPartitionMetadata(dir), { topicId: TOPIC_ID, replicas: 3, problem: null })
  writePartitionMetadata(dir, TOPIC_ID, 1)
  assert.is(readFileSync(join(dir, 'partition.metadata'), 'utf8'), `version: 0\ntopic_id: ${Buffer.from(TOPIC_ID, 'hex').toString('base64url')}\n`)
})

metadata.run()

// ---

const holds = suite<{ dir: string }>('holdsPartitionData')
holds.before.each((ctx) => { ctx.dir = tmpDir() })
holds.after.each((ctx) => { removeDir(ctx.dir) })

holds('a missing or empty directory, or one with only temp files, holds nothing; any other file is data', ({ dir }) => {
  const partition = join(dir, 't-0')
  assert.is(holdsPartitionData(partition), false)
  mkdirSync(partition)
  assert.is(holdsPartitionData(partition), false)
  writeFileSync(join(partition, 'partition.metadata.tmp'), '')
  assert.is(holdsPartitionData(partition), false)
  writeFileSync(join(partition, '00000000000000000000.log'), '')
  assert.is(holdsPartitionData(partition), true)
})

holds.run()
