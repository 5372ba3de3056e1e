/**
 * Consumer groups with unmodified clients: kafkajs members share a topic's partitions, take
 * over from a member that leaves, and resume from committed offsets after a broker restart;
 * kcat (librdkafka) consumes and commits as a balanced consumer; static membership and bad
 * group requests over the wire get Kafka's answers.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat, WireClient } from './kafka-wire.js'
import { until } from '../helpers/until.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))


function kafkaFor (broker: Broker): Kafka {
  return new Kafka({ clientId: 'groups-test', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } })
}

interface Member {
  consumer: Consumer
  /** Partitions of the latest assignment. */
  partitions: number[]
  seen: Array<{ partition: number, offset: number, value: string }>
}

async function startMember (kafka: Kafka, groupId: string, topic: string, options: { autoCommit?: boolean } = {}): Promise<Member> {
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 100, maxWaitTimeInMs: 50, retry: { retries: 8, initialRetryTime: 50 } })
  const member: Member = { consumer, partitions: [], seen: [] }
  consumer.on(consumer.events.GROUP_JOIN, (e) => { member.partitions = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b) })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: options.autoCommit ?? true,
    autoCommitInterval: 100,
    eachMessage: async ({ partition, message }) => { member.seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() }) }
  })
  return member
}

async function produce (kafka: Kafka, topic: string, from: number, count: number): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }))
  await producer.send({ topic, messages })
  await producer.disconnect()
}

function values (members: Member[]): Set<string> {
  return new Set(members.flatMap((m) => m.seen.map((s) => s.value)))
}

const groups = suite('consumer groups over the wire')

groups('three kafkajs members split six partitions, read every record, and take over from one that leaves', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 2 })
  const kafka = kafkaFor(broker)
  const topic = uniqueTopic('split')
  await broker.createTopic({ topic, partitions: 6 })
  await produce(kafka, topic, 0, 600)
  const members = await Promise.all([0, 1, 2].map(() => startMember(kafka, 'split-group', topic)))
  try {
    await until('two partitions each', () => members.every((m) => m.partitions.length === 2))
    assert.equal(members.flatMap((m) => m.partitions).sort(), [0, 1, 2, 3, 4, 5], 'each partition has exactly one owner')
    await until('every record', () => values(members).size === 600)
    const description = await broker.describeGroup('split-group')
    assert.is(description.state, 'Stable')
    assert.is(description.members.length, 3)

    const [stay1, stay2, leaving] = members
    await leaving.consumer.disconnect()
    await until('the other two own three partitions each', () => stay1.partitions.length === 3 && stay2.partitions.length === 3)
    assert.equal([...stay1.partitions, ...stay2.partitions].sort(), [0, 1, 2, 3, 4, 5])
    await produce(kafka, topic, 600, 600)
    await until('the records produced after the leave', () => values([stay1, stay2]).size >= 600 && [...values([stay1, stay2])].filter((v) => Number(v.slice(1)) >= 600).length === 600)
  } finally {
    await Promise.allSettled(members.map((m) => m.consumer.disconnect()))
    await broker.close()
  }
})

groups('commit, restart the broker: the group resumes where it committed, no record skipped', async () => {
  const dir = tmpDir()
  let broker = await Broker.start({ dataDir: dir, port: 0, workers: 2 })
  const port = broker.port!
  const topic = uniqueTopic('resume')
  const COMMIT_EVERY = 25
  try {
    await broker.createTopic({ topic, partitions: 3 })
    let kafka = kafkaFor(broker)
    await produce(kafka, topic, 0, 300)
    // Commits by hand every COMMIT_EVERY records of a partition, so the tail after the last commit is uncommitted.
    const consumer = kafka.consumer({ groupId: 'resume-group', heartbeatInterval: 100, maxWaitTimeInMs: 50 })
    const committed = new Map<number, number>()
    let read = 0
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        read++
        const next = Number(message.offset) + 1
        if (next % COMMIT_EVERY === 0) {
          await consumer.commitOffsets([{ topic, partition, offset: String(next) }])
          committed.set(partition, next)
        }
      }
    })
    await until('most records read', () => read >= 250)
    await consumer.disconnect()
    await broker.close()

    broker = await Broker.start({ dataDir: dir, port, workers: 2 })
    kafka = kafkaFor(broker)
    const offsets = await broker.describeGroup('resume-group')
    for (const o of offsets.offsets) assert.is(Number(o.committedOffset), committed.get(o.partition) ?? -1, `partition ${o.partition} committed offset survives the restart`)
    const resumed = await startMember(kafka, 'resume-group', topic)
    try {
      await until('the rest of the records', () => new Set(resumed.seen.map((s) => `${s.partition}:${s.offset}`)).size >= 300 - [...committed.values()].reduce((a, b) => a + b, 0))
      for (let partition = 0; partition < 3; partition++) {
        const offsetsSeen = resumed.seen.filter((s) => s.partition === partition).map((s) => s.offset)
        const start = committed.get(partition) ?? 0
        assert.is(Math.min(...offsetsSeen), start, `partition ${partition} resumes exactly at its committed offset`)
        assert.ok(start > 0, 'something was committed before the restart')
      }
    } finally {
      await resumed.consumer.disconnect()
    }
  } finally {
    await broker.close()
    removeDir(dir)
  }
})

groups('kcat (librdkafka) consumes a topic as a balanced consumer and commits what it read', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 2 })
  const topic = uniqueTopic('kcat-group')
  try {
    await broker.createTopic({ topic, partitions: 6 })
    await produce(kafkaFor(broker), topic, 0, 600)
    // No -o: kcat would then assign from that offset and ignore what the group committed.
    const groupRun = (format: string): Promise<string> => kcat(['-b', broker.address!, '-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', format, topic])
    const out = await groupRun('%p %o %s\\n')
    const lines = out.trim().split('\n')
    assert.is(new Set(lines.map((l) => l.split(' ')[2])).size, 600, 'every record once')
    const group = await broker.describeGroup('kcat-group')
    assert.is(group.state, 'Empty', 'kcat left the group on exit')
    assert.is(group.offsets.length, 6)
    for (const o of group.offsets) assert.is(o.lag, 0n, `partition ${o.partition} committed to its end`)
    // A second run of the same group has nothing left to read.
    const again = await groupRun('%s\\n')
    assert.is(again.trim(), '')
  } finally {
    await broker.close()
  }
})

groups('static membership over the wire: a restarted instance keeps its generation; a duplicate instance id fences the older member', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  const wire = await WireClient.connect(broker.port!)
  try {
    await broker.createTopic({ topic: 'static', partitions: 2 })
    const join = (memberId: string) => wire.request(ApiKey.JoinGroup, 7, {
      groupId: 'static-group', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, memberId, groupInstanceId: 'node-a', protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('sub') }]
    })
    const first = await join('')
    assert.is(first.errorCode, 0)
    const synced = await wire.request(ApiKey.SyncGroup, 5, { groupId: 'static-group', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'node-a', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('both') }] })
    assert.is(synced.errorCode, 0)
    const second = await join('')
    assert.is(second.errorCode, 0)
    assert.is(second.generationId, first.generationId, 'no rebalance for a known instance')
    const fenced = await wire.request(ApiKey.Heartbeat, 4, { groupId: 'static-group', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'node-a' })
    assert.is(fenced.errorCode, KafkaCode.FENCED_INSTANCE_ID)
    const commit = await wire.request(ApiKey.OffsetCommit, 8, { groupId: 'static-group', generationIdOrMemberEpoch: first.generationId, memberId: first.memberId, groupInstanceId: 'node-a', topics: [{ name: 'static', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] })
    assert.is(commit.topics[0].partitions[0].errorCode, KafkaCode.FENCED_INSTANCE_ID)
    const resync = await wire.request(ApiKey.SyncGroup, 5, { groupId: 'static-group', generationId: second.generationId, memberId: second.memberId, groupInstanceId: 'node-a', protocolType: 'consumer', protocolName: 'range', assignments: [] })
    assert.is(Buffer.from(resync.assignment).toString(), 'both')
  } finally {
    wire.close()
    await broker.close()
  }
})

groups('bad group requests get Kafka error codes and leave the coordinator working', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  const wire = await WireClient.connect(broker.port!)
  try {
    await broker.createTopic({ topic: 'real', partitions: 1 })
    const badType = await wire.request(ApiKey.FindCoordinator, 2, { key: 'g', keyType: 5 })
    assert.is(badType.errorCode, KafkaCode.INVALID_REQUEST)
    const found = await wire.request(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['txn-1', 'txn-2'] })
    assert.equal(found.coordinators.map((c: { errorCode: number, port: number }) => [c.errorCode, c.port]), [[0, broker.port], [0, broker.port]])
    const hb = await wire.request(ApiKey.Heartbeat, 4, { groupId: 'nobody', generationId: 1, memberId: 'm', groupInstanceId: null })
    assert.is(hb.errorCode, KafkaCode.UNKNOWN_MEMBER_ID)
    const sync = await wire.request(ApiKey.SyncGroup, 3, { groupId: 'nobody', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] })
    assert.is(sync.errorCode, KafkaCode.UNKNOWN_MEMBER_ID)
    const emptyId = await wire.request(ApiKey.JoinGroup, 5, { groupId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })
    assert.is(emptyId.errorCode, KafkaCode.INVALID_GROUP_ID)
    const shortSession = await wire.request(ApiKey.JoinGroup, 5, { groupId: 'g', sessionTimeoutMs: 1, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })
    assert.is(shortSession.errorCode, KafkaCode.INVALID_SESSION_TIMEOUT)
    const commit = await wire.request(ApiKey.OffsetCommit, 2, {
      groupId: 'standalone', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1,
      topics: [
        { name: 'real', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: 'ok' }, { partitionIndex: 1, committedOffset: 5, committedMetadata: null }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] },
        { name: 'real', partitions: [{ partitionIndex: 0, committedOffset: 6, committedMetadata: 'x'.repeat(5000) }] }
      ]
    })
    assert.equal(commit.topics.map((t: { partitions: Array<{ errorCode: number }> }) => t.partitions.map((p) => p.errorCode)), [
      [0, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION], [KafkaCode.UNKNOWN_TOPIC_OR_PARTITION], [KafkaCode.OFFSET_METADATA_TOO_LARGE]
    ])
    const fetched = await wire.request(ApiKey.OffsetFetch, 5, { groupId: 'standalone', topics: [{ name: 'real', partitionIndexes: [0] }], requireStable: false })
    assert.is(fetched.topics[0].partitions[0].committedOffset, 5, 'the oversized commit changed nothing')
    const deleted = await wire.request(ApiKey.DeleteGroups, 2, { groupsNames: ['standalone', 'never-was'] })
    assert.equal(deleted.results.map((r: { errorCode: number }) => r.errorCode), [0, KafkaCode.GROUP_ID_NOT_FOUND])
    const listed = await wire.request(ApiKey.ListGroups, 4, { statesFilter: [] })
    assert.is(listed.errorCode, 0)
    assert.equal(listed.groups, [])
  } finally {
    wire.close()
    await broker.close()
  }
})

groups.run()

const durability = suite('committed offsets: crashes')

durability('a coordinator thread that dies is started again with every committed offset', async () => {
  const dir = tmpDir()
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 1 })
  const wire = await WireClient.connect(broker.port!)
  try {
    await broker.createTopic({ topic: 'kept', partitions: 2 })
    const commit = await wire.request(ApiKey.OffsetCommit, 8, { groupId: 'survivor', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'kept', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: 'm' }, { partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }] })
    assert.equal(commit.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode), [0, 0])
    await (await broker.dispatcher.coordinator()).kill()
    const fetched = await wire.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'survivor', topics: null }], requireStable: false })
    assert.is(fetched.groups[0].errorCode, 0)
    assert.equal(fetched.groups[0].topics[0].partitions.map((p: { committedOffset: number }) => p.committedOffset), [42, 7])
  } finally {
    wire.close()
    await broker.close()
    removeDir(dir)
  }
})

durability('offsets committed before a SIGKILL of the broker process are there after the restart', async () => {
  const dir = tmpDir()
  const cli = new URL('../../src/cli/main.js', import.meta.url).pathname
  const child = spawn(process.execPath, [cli, 'start', '--data', dir, '--port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (chunk) => {
        out += String(chunk)
        const m = /listening on (\S+) /.exec(out)
        if (m !== null) resolve(m[1])
      })
      child.once('exit', () => reject(new Error(`broker exited: ${out}`)))
    })
    const kafka = new Kafka({ clientId: 'crash-test', brokers: [address], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'crashy', numPartitions: 3 }] })
    await admin.setOffsets({ groupId: 'before-crash', topic: 'crashy', partitions: [{ partition: 0, offset: '11' }, { partition: 2, offset: '33' }] })
    await admin.disconnect()
    child.kill('SIGKILL')
    await once(child, 'exit')
    const broker = await Broker.start({ dataDir: dir, workers: 1 })
    try {
      const group = await broker.describeGroup('before-crash')
      // kafkajs sets offsets through a short-lived group member, which may commit other partitions too.
      assert.equal(group.offsets.filter((o) => o.partition !== 1).map((o) => [o.partition, Number(o.committedOffset)]), [[0, 11], [2, 33]])
    } finally {
      await broker.close()
    }
  } finally {
    child.kill('SIGKILL')
    removeDir(dir)
  }
})

durability.run()

const admin = suite('kafkajs admin and groups')

admin('kafkajs admin lists, describes, reads, resets and deletes groups', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  const kafka = kafkaFor(broker)
  const client = kafka.admin()
  const topic = uniqueTopic('admin')
  await client.connect()
  try {
    await broker.createTopic({ topic, partitions: 2 })
    await produce(kafka, topic, 0, 40)
    const member = await startMember(kafka, 'admin-group', topic)
    await until('all records read', () => member.seen.length === 40)
    await sleep(300) // one auto-commit interval and then some
    const listed = await client.listGroups()
    assert.equal(listed.groups.map((g) => [g.groupId, g.protocolType]), [['admin-group', 'consumer']])
    const described = await client.describeGroups(['admin-group'])
    assert.is(described.groups[0].state, 'Stable')
    assert.is(described.groups[0].members.length, 1)
    const refused = await client.deleteGroups(['admin-group']).then(() => null, (err: { groups?: Array<{ errorCode: number }> }) => err)
    assert.is(refused?.groups?.[0].errorCode, KafkaCode.NON_EMPTY_GROUP, 'a group with members cannot be deleted')
    await member.consumer.disconnect()
    const offsets = await client.fetchOffsets({ groupId: 'admin-group', topics: [topic] })
    assert.is(offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0), 40, 'the offsets it committed add up to every record')
    await client.resetOffsets({ groupId: 'admin-group', topic, earliest: true })
    const reset = await client.fetchOffsets({ groupId: 'admin-group', topics: [topic] })
    // kafkajs stores Kafka's "earliest" sentinel (-2) and resolves it when a consumer starts; the broker keeps it as given.
    assert.equal(reset[0].partitions.map((p) => p.offset), ['-2', '-2'])
    await client.deleteGroups(['admin-group'])
    assert.equal((await client.listGroups()).groups, [])
  } finally {
    await client.disconnect()
    await broker.close()
  }
})

admin.run()

const compaction = suite('the offsets log is compacted')

compaction('repeated commits are compacted by the log cleaner and still rebuild the same offsets', async () => {
  const dir = tmpDir()
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 1, offsetsTopicSegmentBytes: 4096, cleanerIntervalMs: 3_600_000 })
  const wire = await WireClient.connect(broker.port!)
  try {
    await broker.createTopic({ topic: 'busy', partitions: 4 })
    for (let round = 1; round <= 200; round++) {
      const res = await wire.request(ApiKey.OffsetCommit, 8, {
        groupId: 'committer', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'busy', partitions: [0, 1, 2, 3].map((p) => ({ partitionIndex: p, committedOffset: round * 10 + p, committedLeaderEpoch: -1, committedMetadata: null })) }]
      })
      assert.equal(res.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode), [0, 0, 0, 0])
    }
    const report = await broker.dispatcher.cleanNow()
    assert.ok(report.results.some((r) => r.segments.length > 1), 'the offsets log had closed segments to clean')
    assert.is(report.failed, 0)
    // A new coordinator thread rebuilds its state from the cleaned log.
    await (await broker.dispatcher.coordinator()).kill()
    const fetched = await wire.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'committer', topics: null }], requireStable: false })
    assert.equal(fetched.groups[0].topics[0].partitions.map((p: { committedOffset: number }) => p.committedOffset), [2000, 2001, 2002, 2003])
  } finally {
    wire.close()
    await broker.close()
    removeDir(dir)
  }
})

compaction.run()
