/**
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51) over the wire: a user
 * created with a salted password authenticates over SASL at once, and each bad change gets
 * Kafka's per-user error code while the good ones in the same request apply.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { saltPassword } from '../../src/server/sasl/scram.js'
import { DUPLICATE_RESOURCE, UNACCEPTABLE_CREDENTIAL } from '../../src/server/handlers/user-scram-credentials.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat, WireClient } from './kafka-wire.js'

interface Ctx { broker: Broker, client: WireClient }

const api = suite<Ctx>('SCRAM credential APIs')

api.before(async (ctx) => {
  ctx.broker = await Broker.start({
    dataDir: null,
    workers: 1,
    listeners: [{ protocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }, { protocol: 'SASL_PLAINTEXT', host: '127.0.0.1', port: 0 }]
  })
  ctx.client = await WireClient.connect(ctx.broker.listeners[0]!.port)
})

api.after(async (ctx) => {
  ctx.client.close()
  await ctx.broker.close()
})

async function upsertion (name: string, mechanism: 1 | 2, password: string, iterations = 4096): Promise<object> {
  const salt = randomBytes(16)
  return { name, mechanism, iterations, salt, saltedPassword: await saltPassword(mechanism === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512', password, salt, iterations) }
}

api('ApiVersions advertises both APIs', async ({ client }) => {
  const res = await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
  const keys = res.apiKeys.map((k: { apiKey: number }) => k.apiKey)
  assert.ok(keys.includes(50) && keys.includes(51))
})

api('a user created over the wire authenticates with SCRAM-SHA-512; describe lists it; delete removes it', async ({ broker, client }) => {
  const alter = await client.request(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions: [await upsertion('carol', 2, 'carol-pw', 8192)] })
  assert.equal(alter.results, [{ user: 'carol', errorCode: KafkaCode.NONE, errorMessage: null }])
  const described = await client.request(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'carol' }, { name: 'nobody' }] })
  assert.equal(described.results.map((r: { user: string, errorCode: number, credentialInfos: unknown[] }) => [r.user, r.errorCode, r.credentialInfos]), [
    ['carol', KafkaCode.NONE, [{ mechanism: 2, iterations: 8192 }]],
    ['nobody', KafkaCode.RESOURCE_NOT_FOUND, []]
  ])
  const topic = uniqueTopic('wire-user')
  const args = ['-b', `127.0.0.1:${broker.listeners[1]!.port}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=carol', '-X', 'sasl.password=carol-pw']
  await kcat([...args, '-P', '-t', topic], 'hi\n')
  assert.is(await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-c', '1', '-e']), 'hi\n')
  const deleted = await client.request(ApiKey.AlterUserScramCredentials, 0, { deletions: [{ name: 'carol', mechanism: 2 }], upsertions: [] })
  assert.is(deleted.results[0].errorCode, KafkaCode.NONE)
  assert.equal(broker.users.list(), [])
})

api('each bad change gets its own error code; the good ones apply', async ({ broker, client }) => {
  const res = await client.request(ApiKey.AlterUserScramCredentials, 0, {
    deletions: [{ name: 'ghost', mechanism: 1 }, { name: 'twice', mechanism: 1 }, { name: 'eve', mechanism: 2 }],
    upsertions: [
      await upsertion('twice', 1, 'pw'),
      await upsertion('weak', 1, 'pw', 100),
      { ...(await upsertion('odd', 1, 'pw')), mechanism: 7 },
      await upsertion('', 1, 'pw'),
      await upsertion('dave', 1, 'dave-pw'),
      await upsertion('dave', 2, 'dave-pw')
    ]
  })
  const codes = Object.fromEntries(res.results.map((r: { user: string, errorCode: number }) => [r.user, r.errorCode]))
  assert.equal(codes, {
    ghost: KafkaCode.RESOURCE_NOT_FOUND,
    twice: DUPLICATE_RESOURCE,
    weak: UNACCEPTABLE_CREDENTIAL,
    odd: KafkaCode.UNSUPPORTED_SASL_MECHANISM,
    '': UNACCEPTABLE_CREDENTIAL,
    dave: KafkaCode.NONE,
    eve: KafkaCode.RESOURCE_NOT_FOUND
  })
  assert.equal(broker.users.list(), [{ user: 'dave', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }])
})

api.run()

const guarded = suite('SCRAM credential APIs under the authorizer')

guarded('Describe needs Describe on the cluster and Alter needs Alter on it', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, port: 0, authorizer: true })
  const client = await WireClient.connect(broker.port!)
  try {
    const refusedAlter = await client.request(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions: [await upsertion('mallory', 2, 'pw')] })
    assert.equal(refusedAlter.results, [{ user: 'mallory', errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'not authorized to alter SCRAM credentials' }])
    assert.equal(broker.users.list(), [], 'nothing was stored')
    const refusedDescribe = await client.request(ApiKey.DescribeUserScramCredentials, 0, { users: null })
    assert.is(refusedDescribe.errorCode, KafkaCode.CLUSTER_AUTHORIZATION_FAILED)

    await broker.acls.create([{ resourceType: 'Cluster', resourceName: 'kafka-cluster', principal: 'User:ANONYMOUS', operation: 'Alter' }])
    const altered = await client.request(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions: [await upsertion('admin', 2, 'pw')] })
    assert.is(altered.results[0].errorCode, KafkaCode.NONE)
    const described = await client.request(ApiKey.DescribeUserScramCredentials, 0, { users: null })
    assert.is(described.errorCode, KafkaCode.NONE, 'Alter implies Describe')
    assert.equal(described.results.map((r: { user: string }) => r.user), ['admin'])
  } finally {
    client.close()
    await broker.close()
  }
})

guarded.run()
