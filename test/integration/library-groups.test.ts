/**
 * Consumer groups in library mode against a real broker: two library consumers split a topic
 * and one takes over when the other closes, committed offsets survive a restart, a library
 * consumer and a kafkajs consumer share one group, and describeGroup/resetGroupOffsets/
 * deleteGroup report and change what the coordinator holds.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel } from 'kafkajs'
import { Broker, MillraceError, type Consumer, type ConsumerMessage } from '../../src/index.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat } from './kafka-wire.js'
import { until } from '../helpers/until.js'

/** Fast heartbeats so rebalances settle in a fraction of a second; 6 s is the broker's minimum session. */
const GROUP_OPTIONS = { heartbeatIntervalMs: 50, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 5000, autoOffsetReset: 'earliest', maxWaitMs: 100 } as const


/** Polls `consumer` in the background into `into`; poll() returns [] once the consumer closes, which ends the loop. */
function pump (consumer: Consumer, into: ConsumerMessage[]): { closeAndWait: () => Promise<void> } {
  let closed = false
  const loop = (async () => {
    while (!closed) into.push(...await consumer.poll())
  })()
  return { closeAndWait: async () => { closed = true; await consumer.close(); await loop } }
}

function partitionsOf (c: Consumer): number[] {
  return c.assignment().flatMap((tp) => tp.partitions).sort((a, b) => a - b)
}

async function produce (broker: Broker, topic: string, partitions: number, perPartition: number, tag: string): Promise<void> {
  const producer = broker.producer()
  const messages = []
  for (let p = 0; p < partitions; p++) for (let i = 0; i < perPartition; i++) messages.push({ partition: p, key: `${p}`, value: `${tag}-${p}-${i}` })
  await producer.send({ topic, messages })
  await producer.close()
}

interface Ctx { broker: Broker, dir: string }
const groups = suite<Ctx>('library-mode consumer groups')

groups.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2, groupInitialRebalanceDelayMs: 0 })
})
groups.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

groups('two consumers split a topic; when one closes the other takes every partition', async ({ broker }) => {
  const topic = uniqueTopic('split')
  const groupId = uniqueTopic('group-split')
  await broker.createTopic({ topic, partitions: 4 })
  await produce(broker, topic, 4, 5, 'first')
  const a = broker.consumer({ groupId, clientId: 'lib-a', ...GROUP_OPTIONS })
  const b = broker.consumer({ groupId, clientId: 'lib-b', ...GROUP_OPTIONS })
  const gotA: ConsumerMessage[] = []
  const gotB: ConsumerMessage[] = []
  a.subscribe({ topics: [topic] })
  const pumpA = pump(a, gotA)
  await until('a alone holds every partition', () => partitionsOf(a).length === 4)
  b.subscribe({ topics: [topic] })
  const pumpB = pump(b, gotB)
  await until('a and b hold two partitions each', () => partitionsOf(a).length === 2 && partitionsOf(b).length === 2)
  assert.equal([...partitionsOf(a), ...partitionsOf(b)].sort(), [0, 1, 2, 3])
  await produce(broker, topic, 4, 5, 'second')
  await until('every second-round record arrives', () => [...gotA, ...gotB].filter((m) => m.value!.toString().startsWith('second')).length === 20)
  // After the split, each consumer reads only its own partitions.
  const secondA = gotA.filter((m) => m.value!.toString().startsWith('second'))
  const secondB = gotB.filter((m) => m.value!.toString().startsWith('second'))
  assert.ok(secondA.every((m) => partitionsOf(a).includes(m.partition)))
  assert.ok(secondB.every((m) => partitionsOf(b).includes(m.partition)))
  assert.is(secondA.length, 10)
  assert.is(secondB.length, 10)

  await pumpA.closeAndWait()
  await until('b takes over every partition', () => partitionsOf(b).length === 4)
  await produce(broker, topic, 4, 2, 'third')
  await until('b reads every partition', () => gotB.filter((m) => m.value!.toString().startsWith('third')).length === 8)
  // Nothing is read twice within b, and first-round records were read once across the group.
  const firsts = [...gotA, ...gotB].filter((m) => m.value!.toString().startsWith('first')).map((m) => m.value!.toString())
  assert.is(new Set(firsts).size, 20)
  await pumpB.closeAndWait()
})

groups('committed offsets resume after a broker restart on the same data dir', async (ctx) => {
  const topic = uniqueTopic('resume')
  const groupId = uniqueTopic('group-resume')
  await ctx.broker.createTopic({ topic, partitions: 2 })
  await produce(ctx.broker, topic, 2, 10, 'r')
  const manual = ctx.broker.consumer({ groupId, ...GROUP_OPTIONS, autoCommit: false })
  manual.subscribe({ topics: [topic] })
  const first = await manual.poll()
  assert.ok(first.length > 0)
  await manual.commit([{ topic, partition: 0, offset: 7n, metadata: 'checkpoint' }, { topic, partition: 1, offset: 3 }])
  await manual.close() // autoCommit false: close commits nothing more
  await ctx.broker.close()

  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2, groupInitialRebalanceDelayMs: 0 })
  const described = await ctx.broker.describeGroup(groupId)
  assert.equal(described.offsets.map((o) => [o.partition, o.committedOffset, o.highWatermark, o.lag, o.metadata]), [[0, 7n, 10n, 3n, 'checkpoint'], [1, 3n, 10n, 7n, '']])
  const again = ctx.broker.consumer({ groupId, ...GROUP_OPTIONS })
  again.subscribe({ topics: [topic] })
  const got: ConsumerMessage[] = []
  await until('the rest of both partitions', async () => { got.push(...await again.poll()); return got.length >= 10 })
  assert.equal(got.filter((m) => m.partition === 0).map((m) => m.offset), [7n, 8n, 9n])
  assert.equal(got.filter((m) => m.partition === 1).map((m) => m.offset), [3n, 4n, 5n, 6n, 7n, 8n, 9n])
  // Auto-commit on close: the next member of the group starts at the end.
  await again.close()
  const after = await ctx.broker.describeGroup(groupId)
  assert.equal(after.offsets.map((o) => [o.partition, o.committedOffset, o.lag]), [[0, 10n, 0n], [1, 10n, 0n]])
})

groups('describeGroup shows members, assignments and lag; reset and delete need an inactive group', async ({ broker }) => {
  const topic = uniqueTopic('lag')
  const groupId = uniqueTopic('group-lag')
  await broker.createTopic({ topic, partitions: 1 })
  await produce(broker, topic, 1, 10, 'l')
  const c = broker.consumer({ groupId, clientId: 'lag-client', ...GROUP_OPTIONS, autoCommit: false, assignors: ['roundrobin'] })
  c.subscribe({ topics: [topic] })
  await c.poll()
  await c.commit([{ topic, partition: 0, offset: 4 }])
  const d = await broker.describeGroup(groupId)
  assert.is(d.groupId, groupId)
  assert.is(d.state, 'Stable')
  assert.is(d.protocolType, 'consumer')
  assert.is(d.protocol, 'roundrobin')
  assert.is(d.members.length, 1)
  assert.is(d.members[0].memberId, c.memberId)
  assert.is(d.members[0].clientId, 'lag-client')
  assert.is(d.members[0].groupInstanceId, null)
  assert.equal(d.members[0].assignment, [{ topic, partitions: [0] }])
  assert.equal(d.offsets, [{ topic, partition: 0, committedOffset: 4n, highWatermark: 10n, lag: 6n, metadata: '' }])
  assert.ok((await broker.listGroups()).some((g) => g.groupId === groupId && g.state === 'Stable' && g.protocolType === 'consumer'))

  const active = await broker.resetGroupOffsets({ groupId, topic, to: 'earliest' }).then(() => null, (err: MillraceError) => err)
  assert.ok(active instanceof MillraceError)
  assert.is(active.kafkaCode, KafkaCode.NON_EMPTY_GROUP)
  assert.match(active.message, /no active members; its state is Stable/)
  const busy = await broker.deleteGroup(groupId).then(() => null, (err: MillraceError) => err)
  assert.is(busy?.kafkaCode, KafkaCode.NON_EMPTY_GROUP)

  await c.close()
  // The last member's LeaveGroup starts a rebalance that ends with no members: the group turns Empty.
  await until('the group is empty', async () => (await broker.describeGroup(groupId)).state === 'Empty')
  assert.equal(await broker.resetGroupOffsets({ groupId, topic, to: 'earliest' }), [{ topic, partition: 0, previousOffset: 4n, newOffset: 0n }])
  assert.equal((await broker.describeGroup(groupId)).offsets[0].lag, 10n)
  assert.equal(await broker.resetGroupOffsets({ groupId, topic, to: 99n }), [{ topic, partition: 0, previousOffset: 0n, newOffset: 10n }], 'clamped to the high watermark')
  assert.equal(await broker.resetGroupOffsets({ groupId, topic, to: 6, partitions: [0] }), [{ topic, partition: 0, previousOffset: 10n, newOffset: 6n }])
  const next = broker.consumer({ groupId, ...GROUP_OPTIONS })
  next.subscribe({ topics: [topic] })
  assert.equal((await next.poll()).map((m) => m.offset), [6n, 7n, 8n, 9n])
  await next.close()
  await until('the group is empty again', async () => (await broker.describeGroup(groupId)).state === 'Empty')

  await broker.deleteGroup(groupId)
  assert.not.ok((await broker.listGroups()).some((g) => g.groupId === groupId))
  const gone = await broker.describeGroup(groupId).then(() => null, (err: MillraceError) => err)
  assert.is(gone?.code, 'MR_ERR_KAFKA')
  assert.is(gone?.kafkaCode, KafkaCode.GROUP_ID_NOT_FOUND)
  const missing = await broker.deleteGroup(groupId).then(() => null, (err: MillraceError) => err)
  assert.is(missing?.kafkaCode, KafkaCode.GROUP_ID_NOT_FOUND)
})

groups('bad arguments to the group admin methods', async ({ broker }) => {
  const topic = uniqueTopic('admin-bad')
  await broker.createTopic({ topic, partitions: 1 })
  const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
    [() => broker.describeGroup(''), 'MR_ERR_INVALID_OPTION', /describeGroup\(\) takes a non-empty group id/],
    [() => broker.deleteGroup(42 as unknown as string), 'MR_ERR_INVALID_OPTION', /deleteGroup\(\) takes a non-empty group id/],
    [() => broker.resetGroupOffsets({ groupId: 'g', topic: 'no-such-topic', to: 'earliest' }), 'MR_ERR_UNKNOWN_TOPIC', /unknown topic 'no-such-topic'/],
    [() => broker.resetGroupOffsets({ groupId: 'g', topic, to: -1 }), 'MR_ERR_INVALID_OPTION', /to must be 'earliest', 'latest' or a non-negative offset/],
    [() => broker.resetGroupOffsets({ groupId: 'g', topic, to: 'latest', partitions: [3] }), 'MR_ERR_UNKNOWN_PARTITION', /partition 3 does not exist/]
  ]
  for (const [call, code, message] of cases) {
    const err = await call().then(() => null, (e: MillraceError) => e)
    assert.is(err?.code, code, String(message))
    assert.match(err!.message, message)
  }
})

// Whoever joins first leads: kafkajs runs its own assigner over our subscription, or we run ours and kafkajs reads our assignment.
for (const libraryFirst of [false, true]) {
  groups(`a library consumer and a kafkajs consumer share one group (${libraryFirst ? 'library' : 'kafkajs'} leads)`, async ({ broker }) => {
    const topic = uniqueTopic('mixed')
    const groupId = uniqueTopic('group-mixed')
    await broker.createTopic({ topic, partitions: 4 })
    await produce(broker, topic, 4, 5, 'm')
    const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: [broker.address!], logLevel: logLevel.NOTHING })
    const theirs = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 100, rebalanceTimeout: 5000, maxWaitTimeInMs: 100 })
    const gotTheirs: Array<{ partition: number, value: string }> = []
    let theirAssignment: number[] = []
    let theirLeader = false
    const startTheirs = async (): Promise<void> => {
      await theirs.connect()
      await theirs.subscribe({ topics: [topic], fromBeginning: true })
      theirs.on(theirs.events.GROUP_JOIN, (e) => {
        theirAssignment = (e.payload.memberAssignment[topic] ?? []).slice().sort()
        theirLeader = e.payload.isLeader
      })
      await theirs.run({ eachMessage: async ({ partition, message }) => { gotTheirs.push({ partition, value: message.value!.toString() }) } })
    }
    const ours = broker.consumer({ groupId, clientId: 'library-member', ...GROUP_OPTIONS })
    const gotOurs: ConsumerMessage[] = []
    let pumpOurs: ReturnType<typeof pump> | null = null
    const startOurs = (): void => {
      ours.subscribe({ topics: [topic] })
      pumpOurs = pump(ours, gotOurs)
    }
    try {
      if (libraryFirst) {
        startOurs()
        await until('the library member alone', () => partitionsOf(ours).length === 4)
        await startTheirs()
      } else {
        await startTheirs()
        await until('the kafkajs member alone', () => theirAssignment.length === 4)
        startOurs()
      }
      await until('both members hold partitions', () => partitionsOf(ours).length === 2 && theirAssignment.length === 2, 30_000)
      assert.equal([...partitionsOf(ours), ...theirAssignment].sort(), [0, 1, 2, 3])
      assert.is(theirLeader, !libraryFirst)
      const d = await broker.describeGroup(groupId)
      assert.is(d.protocol, 'RoundRobinAssigner')
      assert.equal(d.members.map((m) => m.clientId).sort(), ['kafkajs-member', 'library-member'])
      await produce(broker, topic, 4, 3, 'n')
      await until('every new record reaches its partition owner', () => gotOurs.filter((m) => m.value!.toString().startsWith('n')).length + gotTheirs.filter((m) => m.value.startsWith('n')).length === 12, 30_000)
      assert.ok(gotOurs.filter((m) => m.value!.toString().startsWith('n')).every((m) => partitionsOf(ours).includes(m.partition)))
      assert.ok(gotTheirs.filter((m) => m.value.startsWith('n')).every((m) => theirAssignment.includes(m.partition)))
    } finally {
      if (pumpOurs !== null) await (pumpOurs as ReturnType<typeof pump>).closeAndWait()
      else await ours.close()
      await theirs.disconnect()
    }
  })
}

groups('the leader rebalances when a subscribed topic gains partitions or appears', async ({ broker }) => {
  const topic = uniqueTopic('grows')
  const later = uniqueTopic('later')
  const groupId = uniqueTopic('group-grows')
  await broker.createTopic({ topic, partitions: 1 })
  const c = broker.consumer({ groupId, ...GROUP_OPTIONS })
  const got: ConsumerMessage[] = []
  c.subscribe({ topics: [topic, later] })
  const p = pump(c, got)
  await until('the first partition', () => partitionsOf(c).length === 1)
  await broker.createPartitions({ topic, count: 3 })
  await until('three partitions', () => c.assignment().find((tp) => tp.topic === topic)?.partitions.length === 3)
  await broker.createTopic({ topic: later, partitions: 2 })
  await until('the new topic', () => c.assignment().find((tp) => tp.topic === later)?.partitions.length === 2)
  await produce(broker, later, 2, 1, 'late')
  await until('records of the new topic', () => got.filter((m) => m.topic === later).length === 2)
  await p.closeAndWait()
})

groups('a kcat (librdkafka) member and a library member continue from each other\'s commits', async ({ broker }) => {
  const topic = uniqueTopic('kcat-group')
  const groupId = uniqueTopic('group-kcat')
  await broker.createTopic({ topic, partitions: 2 })
  await produce(broker, topic, 2, 5, 'k')
  // auto.offset.reset rather than -o beginning: kcat applies -o to every assignment, over the committed offsets.
  const kcatArgs = ['-b', broker.address!, '-G', groupId, '-X', 'auto.offset.reset=earliest', '-e', '-f', '%p:%o\n', '-X', 'client.id=kcat-member', topic]
  const first = (await kcat(kcatArgs)).trim().split('\n').sort()
  assert.equal(first, ['0:0', '0:1', '0:2', '0:3', '0:4', '1:0', '1:1', '1:2', '1:3', '1:4'])
  // kcat commits on close: the library member starts where it stopped.
  assert.equal((await broker.describeGroup(groupId)).offsets.map((o) => o.committedOffset), [5n, 5n])
  await produce(broker, topic, 2, 2, 'l')
  const ours = broker.consumer({ groupId, ...GROUP_OPTIONS })
  ours.subscribe({ topics: [topic] })
  const got: ConsumerMessage[] = []
  await until('the two new records of each partition', async () => { got.push(...await ours.poll()); return got.length >= 4 })
  assert.equal(got.map((m) => `${m.partition}:${m.offset}`).sort(), ['0:5', '0:6', '1:5', '1:6'])
  await ours.close()
  await produce(broker, topic, 2, 1, 'm')
  const second = (await kcat(kcatArgs)).trim().split('\n').sort()
  assert.equal(second, ['0:7', '1:7'])
})

groups.run()

// ---

const options = suite<Ctx>('library consumer group options')

options.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, workers: 1 })
})
options.after(async (ctx) => { await ctx.broker.close() })

options('each bad option names its rule', ({ broker }) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ groupId: '' }, /consumer options.groupId must be a non-empty string/],
    [{ autoCommit: false }, /consumer options.autoCommit needs options.groupId/],
    [{ sessionTimeoutMs: 10_000 }, /consumer options.sessionTimeoutMs needs options.groupId/],
    [{ groupId: 'g', groupInstanceId: '' }, /consumer options.groupInstanceId must be a non-empty string or null/],
    [{ groupId: 'g', autoCommit: 'yes' }, /consumer options.autoCommit must be a boolean/],
    [{ groupId: 'g', autoCommitIntervalMs: 0 }, /consumer options.autoCommitIntervalMs must be an integer from 1 to 2147483647/],
    [{ groupId: 'g', sessionTimeoutMs: 1.5 }, /consumer options.sessionTimeoutMs must be an integer/],
    [{ groupId: 'g', heartbeatIntervalMs: 10_000, sessionTimeoutMs: 10_000 }, /consumer options.heartbeatIntervalMs must be below sessionTimeoutMs \(10000\)/],
    [{ groupId: 'g', assignors: [] }, /consumer options.assignors must be a non-empty array/],
    [{ groupId: 'g', assignors: ['sticky'] }, /consumer options.assignors\[0\] must be one of 'range', 'roundrobin', 'RoundRobinAssigner'/],
    [{ groupId: 'g', clientId: 7 }, /consumer options.clientId must be a string/]
  ]
  for (const [opts, message] of cases) {
    try {
      broker.consumer(opts as never)
      assert.unreachable(`accepted ${JSON.stringify(opts)}`)
    } catch (err) {
      assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION', JSON.stringify(opts))
      assert.match((err as Error).message, message)
    }
  }
})

options('subscribe and assign exclude each other; subscribe and commit need a group', async ({ broker }) => {
  const topic = uniqueTopic('modes')
  await broker.createTopic({ topic, partitions: 1 })
  const plain = broker.consumer()
  assert.throws(() => plain.subscribe({ topics: [topic] }), /subscribe\(\) needs a consumer created with options.groupId/)
  await plain.commit().then(() => assert.unreachable('commit without a group'), (err: Error) => assert.match(err.message, /commit\(\) needs a consumer that subscribed with a groupId/))
  const assigned = broker.consumer({ groupId: uniqueTopic('g') })
  assigned.assign([{ topic, partition: 0 }])
  assert.throws(() => assigned.subscribe({ topics: [topic] }), /subscribe\(\) cannot be used after assign\(\)/)
  const subscribed = broker.consumer({ groupId: uniqueTopic('g'), ...GROUP_OPTIONS })
  assert.throws(() => subscribed.subscribe({ topics: [] }), /subscribe\(\) takes \{ topics: string\[\] \} with at least one topic/)
  assert.throws(() => subscribed.subscribe({ topics: [''] }), /subscribe\(\) topics\[0\] must be a non-empty string/)
  subscribed.subscribe({ topics: [topic] })
  assert.throws(() => subscribed.assign([{ topic, partition: 0 }]), /assign\(\) cannot be used after subscribe\(\)/)
  await subscribed.commit([{ topic, partition: 0, offset: -1 }]).then(() => assert.unreachable('negative offset'), (err: Error) => assert.match(err.message, /commit\(\) offsets\[0\].offset must be a non-negative/))
  await subscribed.commit([{ topic, partition: 5, offset: 1 }]).then(() => assert.unreachable('unknown partition'), (err: MillraceError) => assert.is(err.code, 'MR_ERR_UNKNOWN_PARTITION'))
  await subscribed.close()
  await assigned.close()
  await plain.close()
})

options("autoOffsetReset 'none' without a committed offset fails the poll", async ({ broker }) => {
  const topic = uniqueTopic('none')
  await broker.createTopic({ topic, partitions: 1 })
  const c = broker.consumer({ groupId: uniqueTopic('g'), ...GROUP_OPTIONS, autoOffsetReset: 'none' })
  c.subscribe({ topics: [topic] })
  const err = await c.poll().then(() => null, (e: MillraceError) => e)
  assert.is(err?.code, 'MR_ERR_OFFSET_OUT_OF_RANGE')
  assert.match(err!.message, /has no committed offset for .*-0 and autoOffsetReset is 'none'/)
  await c.close()
})

options.run()
