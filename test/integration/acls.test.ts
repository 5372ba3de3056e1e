/**
 * ACLs as real clients see them: kcat and kafkajs as the ANONYMOUS principal (no authentication
 * on a PLAINTEXT listener) are refused per operation with Kafka's authorization errors, allowed
 * once `millrace acls create` adds the ACL, refused again once it is deleted. The broker lets
 * ANONYMOUS Alter the cluster, which is what managing ACLs needs and nothing else.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/broker.js'
import type { BrokerOptions } from '../../src/config/broker-config.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { MillraceError } from '../../src/errors.js'
import { ACL_FILE } from '../../src/security/acl-store.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { millrace, startCli } from '../helpers/cli.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { kcat } from './kafka-wire.js'

const ANONYMOUS = 'User:ANONYMOUS'

async function start (options: BrokerOptions = {}, capture = new CaptureLogger()): Promise<Broker> {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1, authorizer: true, logger: capture.logger, ...options })
  // Managing ACLs over the wire needs Alter on the cluster; it grants nothing on topics or groups.
  await broker.acls.create([{ resourceType: 'Cluster', principal: ANONYMOUS, operation: 'Alter' }])
  return broker
}

/** Runs kcat; resolves with stdout, or with the error text when kcat fails. */
async function kcatOutcome (args: string[], input = ''): Promise<{ ok: boolean, text: string }> {
  try {
    return { ok: true, text: await kcat(args, input) }
  } catch (err) {
    return { ok: false, text: (err as Error).message }
  }
}

function produce (broker: Broker, topic: string, value: string): Promise<{ ok: boolean, text: string }> {
  return kcatOutcome(['-b', broker.address!, '-P', '-t', topic, '-p', '0', '-X', 'message.timeout.ms=5000'], `${value}\n`)
}

function consume (broker: Broker, topic: string): Promise<{ ok: boolean, text: string }> {
  return kcatOutcome(['-b', broker.address!, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n', '-E'])
}

async function acls (broker: Broker, args: string[]): Promise<string> {
  const run = await millrace(['acls', ...args, '-b', broker.address!])
  assert.is(run.code, 0, `millrace acls ${args.join(' ')}: ${run.stderr}`)
  return run.stdout
}

const wire = suite('ACLs over the wire')

wire('produce and consume: refused, allowed after acls create, refused again after acls delete', async () => {
  const capture = new CaptureLogger()
  const broker = await start({}, capture)
  try {
    const topic = uniqueTopic('acl-produce')
    await broker.createTopic({ topic })
    const refused = await produce(broker, topic, 'one')
    assert.not.ok(refused.ok)
    assert.match(refused.text, 'Topic authorization failed')
    // kcat asks Metadata first, refused Describe (implied by Write) before any Produce.
    const line = capture.find('not authorized').find((l) => l.fields.resource === `Topic:${topic}`)
    assert.ok(line !== undefined, 'the refusal is in the broker log')
    assert.is(line!.fields.principal, ANONYMOUS)
    assert.ok(broker.server!.counters.authorizationFailures > 0)

    assert.match(await acls(broker, ['create', '--allow', '--principal', ANONYMOUS, '--operation', 'Write', '--topic', topic]), `created ACL: Allow ${ANONYMOUS} from * Write on Topic:Literal:${topic}`)
    assert.ok((await produce(broker, topic, 'one')).ok)
    const unreadable = await consume(broker, topic)
    assert.not.ok(unreadable.ok)
    assert.match(unreadable.text, 'Topic authorization failed')
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Read', '--topic', topic])
    const read = await consume(broker, topic)
    assert.ok(read.ok, read.text)
    assert.is(read.text, 'one\n')

    const listed = await acls(broker, ['list', '--topic', topic])
    assert.is(listed.trim().split('\n').length, 2)
    assert.match(await acls(broker, ['delete', '--topic', topic, '--operation', 'Write']), 'deleted ACL: Allow')
    assert.not.ok((await produce(broker, topic, 'two')).ok)
  } finally {
    await broker.close()
  }
})

wire('kafkajs: a group join is refused with GROUP_AUTHORIZATION_FAILED until Read on the group; topic creation needs Create', async () => {
  const broker = await start()
  const kafka = new Kafka({ clientId: 'acl-test', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
  const admin = kafka.admin()
  await admin.connect()
  const topic = uniqueTopic('acl-kafkajs')
  const groupId = uniqueTopic('acl-group')
  try {
    // Describe lets kafkajs read the new topic's metadata; creating it needs Create.
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Describe', '--topic', topic])
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
      assert.unreachable('created a topic without Create')
    } catch (err) {
      const types = [(err as { type?: string }).type, ...((err as { errors?: Array<{ type?: string }> }).errors ?? []).map((e) => e.type)]
      assert.ok(types.includes('TOPIC_AUTHORIZATION_FAILED'), JSON.stringify(types))
    }
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Create', '--cluster'])
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'All', '--topic', topic])

    // FindCoordinator needs Describe on the group (without it kafkajs only says it found no
    // coordinator); JoinGroup needs Read.
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Describe', '--group', groupId])
    const consumer = kafka.consumer({ groupId, retry: { retries: 0 } })
    await consumer.connect()
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      let crash: string | undefined
      consumer.on(consumer.events.CRASH, (e) => { crash = (e.payload.error as { type?: string }).type ?? e.payload.error.message })
      await consumer.run({ eachMessage: async () => {} })
      await until('the consumer crashes', () => crash !== undefined)
      assert.is(crash, 'GROUP_AUTHORIZATION_FAILED')
    } finally {
      await consumer.disconnect()
    }

    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Read', '--group', groupId])
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'hello' }] })
    await producer.disconnect()
    const member = kafka.consumer({ groupId })
    await member.connect()
    try {
      const seen: string[] = []
      await member.subscribe({ topics: [topic], fromBeginning: true })
      await member.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
      await until('the member reads the record', () => seen.length === 1)
      assert.equal(seen, ['hello'])
    } finally {
      await member.disconnect()
    }
  } finally {
    await admin.disconnect()
    await broker.close()
  }
})

wire('a Deny beats an Allow; a prefixed ACL covers the names that start with it', async () => {
  const broker = await start()
  try {
    const prefix = uniqueTopic('acl-pfx') + '.'
    const open = prefix + 'open'
    const closed = prefix + 'closed'
    const other = uniqueTopic('acl-other')
    for (const topic of [open, closed, other]) await broker.createTopic({ topic })
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Write', '--topic', prefix, '--prefixed'])
    await acls(broker, ['create', '--deny', '--principal', 'User:*', '--operation', 'Write', '--topic', closed])
    assert.ok((await produce(broker, open, 'a')).ok)
    const denied = await produce(broker, closed, 'b')
    assert.not.ok(denied.ok)
    assert.match(denied.text, 'Topic authorization failed')
    assert.not.ok((await produce(broker, other, 'c')).ok)
  } finally {
    await broker.close()
  }
})

wire('Metadata lists only the topics the principal may Describe', async () => {
  const broker = await start()
  try {
    const visible = uniqueTopic('acl-visible')
    const hidden = uniqueTopic('acl-hidden')
    await broker.createTopic({ topic: visible })
    await broker.createTopic({ topic: hidden })
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Describe', '--topic', visible])
    const listing = await kcat(['-b', broker.address!, '-L'])
    assert.match(listing, `topic "${visible}"`)
    assert.not.match(listing, hidden)
    const asked = await kcat(['-b', broker.address!, '-L', '-t', hidden])
    assert.match(asked, 'Topic authorization failed')
  } finally {
    await broker.close()
  }
})

wire('super users bypass the ACLs; allowEveryoneIfNoAcl opens only resources without any ACL', async () => {
  const superBroker = await start({ superUsers: [ANONYMOUS] })
  try {
    const topic = uniqueTopic('acl-super')
    await superBroker.createTopic({ topic })
    await acls(superBroker, ['create', '--deny', '--principal', ANONYMOUS, '--operation', 'All', '--topic', topic])
    assert.ok((await produce(superBroker, topic, 'root')).ok)
  } finally {
    await superBroker.close()
  }
  const openBroker = await start({ allowEveryoneIfNoAcl: true })
  try {
    const free = uniqueTopic('acl-free')
    const owned = uniqueTopic('acl-owned')
    await openBroker.createTopic({ topic: free })
    await openBroker.createTopic({ topic: owned })
    await acls(openBroker, ['create', '--principal', 'User:alice', '--operation', 'Write', '--topic', owned])
    assert.ok((await produce(openBroker, free, 'x')).ok)
    assert.not.ok((await produce(openBroker, owned, 'y')).ok)
  } finally {
    await openBroker.close()
  }
})

wire('without an authorizer the ACL APIs answer SECURITY_DISABLED and library acls throw it', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  try {
    const run = await millrace(['acls', 'list', '-b', broker.address!])
    assert.is(run.code, 1)
    assert.match(run.stderr, 'the broker has no authorizer')
    try {
      broker.acls.list()
      assert.unreachable('listed ACLs without an authorizer')
    } catch (err) {
      assert.is((err as MillraceError).kafkaCode, KafkaCode.SECURITY_DISABLED)
    }
  } finally {
    await broker.close()
  }
})

wire.run()

const durable = suite('ACLs in the data dir')

durable('ACLs survive a restart', async () => {
  const dir = tmpDir()
  const topic = uniqueTopic('acl-durable')
  try {
    let broker = await start({ dataDir: dir })
    await broker.createTopic({ topic })
    await acls(broker, ['create', '--principal', ANONYMOUS, '--operation', 'Write', '--topic', topic])
    await broker.close()
    broker = await Broker.start({ dataDir: dir, port: 0, workers: 1, authorizer: true })
    try {
      assert.match(await acls(broker, ['list', '--topic', topic]), `Allow ${ANONYMOUS} from * Write on Topic:Literal:${topic}`)
      assert.ok((await produce(broker, topic, 'after restart')).ok)
    } finally {
      await broker.close()
    }
  } finally {
    removeDir(dir)
  }
})

durable('a damaged ACL file stops millrace start with a message naming it', async () => {
  const dir = tmpDir()
  try {
    writeFileSync(join(dir, ACL_FILE), '{"version":1,"acls":[{"resourceType":2,')
    const started = startCli(['--data', dir, '--port', '0', '--authorizer'])
    const { code } = await started.exit
    assert.is(code, 2)
    assert.match(started.output().stderr, `the ACL file ${join(dir, ACL_FILE)} is damaged`)
  } finally {
    removeDir(dir)
  }
})

durable.run()
