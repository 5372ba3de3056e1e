import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import type { DescribeLogDirsResponse } from '../../../../src/protocol/apis/describe-log-dirs.js'
import { TopicTable } from '../../../../src/dispatcher/topic-table.js'
import type { PartitionReplicas, Replica } from '../../../../src/replication/partition-replicas.js'
import { describeLogDirs, type LogDirSource } from '../../../../src/server/handlers/describe-log-dirs.js'
import { OPEN_ACCESS, type RequestAccess } from '../../../../src/server/access.js'
import { AclOperation, ResourceType } from '../../../../src/security/acl.js'
import { CaptureLogger } from '../../../helpers/capture-logger.js'

const DIRS = ['/d0', '/d1', '/d2']

interface Fake { source: LogDirSource, table: TopicTable, log: CaptureLogger, offline: Set<string>, unreachable: Set<number> }

/**
 * `orders`: partition 0 with three replicas (replica r on worker r, dir /d<r>; the leader, replica 0,
 * at 50, replica 1 at 50, replica 2 at 30); partition 1 with one replica on worker 1 in /d1.
 * A replica's size is 1000 × (worker + 1) + partition; each worker reports the log end offsets above.
 */
function fake (): Fake {
  const table = new TopicTable()
  const topic = table.addTopic('orders', 'a'.repeat(32), {})
  const p0 = table.addPartition(topic, 0, 0, '/d0')
  const replicas: Replica[] = [50, 50, 30].map((logEndOffset, index) => ({ index, worker: index, dataDir: DIRS[index], logEndOffset, inSync: index < 2, online: true, lastCaughtUpAt: 0 }))
  p0.replication = { leader: replicas[0], replicas, inSyncReplicas: replicas.slice(0, 2) } as unknown as PartitionReplicas
  p0.online = true
  const p1 = table.addPartition(topic, 1, 1, '/d1')
  p1.online = true
  p1.logEndOffset = 9
  const log = new CaptureLogger()
  const offline = new Set<string>()
  const unreachable = new Set<number>()
  const source: LogDirSource = {
    logger: log.logger,
    dataDirs: DIRS,
    dataDirOffline: (dir) => offline.has(dir),
    topics: () => table.all(),
    describeReplica: async (p, r) => {
      if (unreachable.has(r.worker)) throw new Error(`partition worker ${r.worker} is not running`)
      const logEndOffset = Number(r.logEndOffset)
      return { logStartOffset: 0, highWatermark: logEndOffset, logEndOffset, lastStableOffset: logEndOffset, sizeBytes: 1000 * (r.worker + 1) + p.partition }
    },
    diskSpace: async (dir) => ({ totalBytes: 1 << 30, usableBytes: dir === '/d0' ? 1 << 20 : 1 << 21 })
  }
  return { source, table, log, offline, unreachable }
}

/** dir → [topic, partition, size, lag] rows. */
function rows (res: DescribeLogDirsResponse): Record<string, Array<[string, number, number, number]>> {
  const out: Record<string, Array<[string, number, number, number]>> = {}
  for (const d of res.results) {
    out[d.logDir] = d.topics.flatMap((t) => t.partitions.map((p): [string, number, number, number] => [t.name, p.partitionIndex, p.partitionSize, p.offsetLag]))
  }
  return out
}

const answer = suite('DescribeLogDirs lists each data dir with the replicas it holds')

answer('every dir answers; each replica is in its own dir with its size and its lag behind the leader', async () => {
  const f = fake()
  const res = await describeLogDirs(f.source, OPEN_ACCESS, { topics: null })
  assert.is(res.errorCode, KafkaCode.NONE)
  assert.equal(res.results.map((d) => [d.logDir, d.errorCode, d.totalBytes, d.usableBytes]), [
    ['/d0', KafkaCode.NONE, 1 << 30, 1 << 20], ['/d1', KafkaCode.NONE, 1 << 30, 1 << 21], ['/d2', KafkaCode.NONE, 1 << 30, 1 << 21]
  ])
  assert.equal(rows(res), {
    '/d0': [['orders', 0, 1000, 0]],
    '/d1': [['orders', 0, 2000, 0], ['orders', 1, 2001, 0]],
    '/d2': [['orders', 0, 3000, 20]]
  })
  assert.ok(res.results.every((d) => d.topics.every((t) => t.partitions.every((p) => !p.isFutureKey))))
})

answer('requested topics and partitions filter the replicas; every dir still answers', async () => {
  const f = fake()
  const res = await describeLogDirs(f.source, OPEN_ACCESS, { topics: [{ topic: 'orders', partitions: [1] }, { topic: 'missing', partitions: [0] }] })
  assert.equal(rows(res), { '/d0': [], '/d1': [['orders', 1, 2001, 0]], '/d2': [] })
})

answer('a broker in memory has no data dirs and answers none', async () => {
  const f = fake()
  const res = await describeLogDirs({ ...f.source, dataDirs: [] }, OPEN_ACCESS, { topics: null })
  assert.equal(res.results, [])
  assert.is(res.errorCode, KafkaCode.NONE)
})

answer.run()

// ---

const faults = suite('DescribeLogDirs under faults')

faults('a dir taken offline answers KAFKA_STORAGE_ERROR and lists the replicas it held with size -1; the others still answer', async () => {
  const f = fake()
  f.offline.add('/d2')
  f.table.get('orders')!.partitions[0].replication!.replicas[2].online = false
  let asked = 0
  const describe = f.source.describeReplica
  f.source.describeReplica = async (p, r) => { if (r.replica === 2) asked++; return await describe(p, r) }
  const res = await describeLogDirs(f.source, OPEN_ACCESS, { topics: null })
  const d2 = res.results.find((d) => d.logDir === '/d2')!
  assert.equal([d2.errorCode, d2.totalBytes, d2.usableBytes], [KafkaCode.KAFKA_STORAGE_ERROR, -1, -1])
  assert.equal(rows(res)['/d2'], [['orders', 0, -1, 20]])
  assert.is(asked, 0, 'the failed dir\'s replica is not asked')
  assert.equal(rows(res)['/d1'], [['orders', 0, 2000, 0], ['orders', 1, 2001, 0]])
})

faults('a replica whose worker cannot answer is listed with size -1 and a warning; its lag comes from the last seen offsets', async () => {
  const f = fake()
  f.unreachable.add(2)
  const res = await describeLogDirs(f.source, OPEN_ACCESS, { topics: null })
  assert.equal(rows(res)['/d2'], [['orders', 0, -1, 20]])
  const lines = f.log.find('could not reach a replica\'s worker', 'warn')
  assert.is(lines.length, 1)
  assert.equal([lines[0].fields.topic, lines[0].fields.partition, lines[0].fields.replica], ['orders', 0, 2])
})

faults('an offline replica is not asked and reports size -1', async () => {
  const f = fake()
  const p0 = f.table.get('orders')!.partitions[0]
  p0.replication!.replicas[1].online = false
  let asked = 0
  const describe = f.source.describeReplica
  f.source.describeReplica = async (p, r) => { if (r.replica === 1) asked++; return await describe(p, r) }
  const res = await describeLogDirs(f.source, OPEN_ACCESS, { topics: null })
  assert.equal(rows(res)['/d1'][0], ['orders', 0, -1, 0])
  assert.is(asked, 0)
})

faults.run()

// ---

const authorized = suite('DescribeLogDirs authorization: Describe on the cluster')

authorized('without it: no dirs and CLUSTER_AUTHORIZATION_FAILED, no worker asked', async () => {
  const f = fake()
  let asked = 0
  f.source.describeReplica = async () => { asked++; return null }
  const checks: Array<[number, number, string]> = []
  const access: RequestAccess = { ...OPEN_ACCESS, allows: (c, name) => { checks.push([c.resourceType, c.operation, name]); return false } }
  const res = await describeLogDirs(f.source, access, { topics: null })
  assert.equal([res.errorCode, res.results], [KafkaCode.CLUSTER_AUTHORIZATION_FAILED, []])
  assert.equal(checks, [[ResourceType.CLUSTER, AclOperation.DESCRIBE, 'kafka-cluster']])
  assert.is(asked, 0)
})

authorized.run()
