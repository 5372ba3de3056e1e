/**
 * Library mode under the authorizer: broker.acls manages bindings; in-process clients are not
 * checked unless given a principal, and then a refusal throws MR_ERR_KAFKA with Kafka's code
 * and is logged.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/broker.js'
import { MillraceError } from '../../src/errors.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'

const library = suite('ACLs in library mode')

async function refused (what: string, fn: () => unknown, kafkaCode: number): Promise<void> {
  try {
    await fn()
  } catch (err) {
    assert.ok(err instanceof MillraceError, String(err))
    assert.is((err as MillraceError).code, 'MR_ERR_KAFKA')
    assert.is((err as MillraceError).kafkaCode, kafkaCode)
    return
  }
  assert.unreachable(`${what} was allowed`)
}

library('clients without a principal are not checked; with one they follow its ACLs', async () => {
  const capture = new CaptureLogger()
  const broker = await Broker.start({ dataDir: null, workers: 1, authorizer: true, logger: capture.logger })
  const topic = uniqueTopic('acl-lib')
  const groupId = uniqueTopic('acl-lib-group')
  try {
    await broker.createTopic({ topic })
    const admin = broker.producer()
    await admin.send({ topic, messages: [{ value: 'as the library' }] })

    const alice = broker.producer({ principal: 'User:alice' })
    await refused('alice producing', () => alice.send({ topic, messages: [{ value: 'x' }] }), KafkaCode.TOPIC_AUTHORIZATION_FAILED)
    assert.ok(capture.find('refused an in-process producer').length > 0)
    await broker.acls.create([{ resourceType: 'Topic', resourceName: topic, principal: 'User:alice', operation: 'Write' }])
    await alice.send({ topic, messages: [{ value: 'as alice' }] })

    const reader = broker.consumer({ principal: 'User:alice', groupId })
    await refused('alice subscribing', () => reader.subscribe({ topics: [topic] }), KafkaCode.GROUP_AUTHORIZATION_FAILED)
    await broker.acls.create([{ resourceType: 'Group', resourceName: groupId, principal: 'User:alice', operation: 'Read' }])
    await refused('alice reading the topic', () => reader.subscribe({ topics: [topic] }), KafkaCode.TOPIC_AUTHORIZATION_FAILED)

    assert.equal(broker.acls.list({ principal: 'User:alice' }).map((a) => `${a.resourceType}:${a.operation}`).sort(), ['Group:Read', 'Topic:Write'])
    const removed = await broker.acls.delete({ resourceType: 'Topic', resourceName: topic })
    assert.is(removed.length, 1)
    await refused('alice producing after the delete', () => alice.send({ topic, messages: [{ value: 'y' }] }), KafkaCode.TOPIC_AUTHORIZATION_FAILED)
  } finally {
    await broker.close()
  }
})

library('a principal that is not Type:Name is refused; bad entries name their field', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, authorizer: true })
  try {
    assert.throws(() => broker.producer({ principal: 'alice' }), /options.principal must look like User:NAME/)
    try {
      await broker.acls.create([{ resourceType: 'Topic', resourceName: 't', principal: 'User:a', operation: 'Fly' as never }])
      assert.unreachable('created an ACL with an unknown operation')
    } catch (err) {
      assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
      assert.match((err as Error).message, 'operation')
    }
  } finally {
    await broker.close()
  }
})

library.run()
