import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { Authorizer, type AuthorizerSettings } from '../../../src/security/authorizer.js'
import { AclStore, ACL_FILE } from '../../../src/security/acl-store.js'
import { AclOperation, CLUSTER_NAME, PatternType, Permission, ResourceType, bindingProblem, filterProblem, type AclBinding, type AclFilter } from '../../../src/security/acl.js'
import { MillraceError } from '../../../src/errors.js'
import { silentLogger } from '../../../src/logger.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const { READ, WRITE, DESCRIBE, DELETE, ALTER, ALTER_CONFIGS, DESCRIBE_CONFIGS, CREATE, ALL } = AclOperation
const { TOPIC, GROUP, CLUSTER } = ResourceType

function acl (over: Partial<AclBinding>): AclBinding {
  return { resourceType: TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: READ, permission: Permission.ALLOW, ...over }
}

const ANY_FILTER: AclFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permission: Permission.ANY }

async function authorizer (bindings: AclBinding[], settings: Partial<AuthorizerSettings> = {}): Promise<Authorizer> {
  const a = new Authorizer({ enabled: true, superUsers: [], allowEveryoneIfNoAcl: false, ...settings }, await AclStore.open(null), silentLogger)
  await a.create(bindings)
  return a
}

const matcher = suite('authorizer: matching')

matcher('off: everything is allowed; on without ACLs: nothing is', async () => {
  const off = new Authorizer({ enabled: false, superUsers: [], allowEveryoneIfNoAcl: false }, await AclStore.open(null), silentLogger)
  assert.ok(off.authorize('User:ANONYMOUS', '1.2.3.4', WRITE, TOPIC, 'orders'))
  const on = await authorizer([])
  assert.not.ok(on.authorize('User:ANONYMOUS', '1.2.3.4', WRITE, TOPIC, 'orders'))
})

matcher('a literal ACL applies to its own name, its principal and its operation only', async () => {
  const a = await authorizer([acl({})])
  assert.ok(a.authorize('User:alice', '10.0.0.1', READ, TOPIC, 'orders'))
  assert.not.ok(a.authorize('User:alice', '10.0.0.1', READ, TOPIC, 'orders2'))
  assert.not.ok(a.authorize('User:bob', '10.0.0.1', READ, TOPIC, 'orders'))
  assert.not.ok(a.authorize('User:alice', '10.0.0.1', WRITE, TOPIC, 'orders'))
  assert.not.ok(a.authorize('User:alice', '10.0.0.1', READ, GROUP, 'orders'))
})

matcher('prefixed patterns match names that start with them, at any of several lengths', async () => {
  const a = await authorizer([
    acl({ resourceName: 'ord', patternType: PatternType.PREFIXED }),
    acl({ resourceName: 'payments.eu.', patternType: PatternType.PREFIXED, operation: WRITE })
  ])
  assert.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'ord'))
  assert.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'orders'))
  assert.not.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'or'))
  assert.not.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'xorders'))
  assert.ok(a.authorize('User:alice', 'h', WRITE, TOPIC, 'payments.eu.fr'))
  assert.not.ok(a.authorize('User:alice', 'h', WRITE, TOPIC, 'payments.us.ny'))
})

matcher('the literal * resource, the User:* principal and the * host match all', async () => {
  const a = await authorizer([acl({ resourceName: '*', principal: 'User:*' }), acl({ resourceName: 'hosted', host: '10.0.0.9' })])
  assert.ok(a.authorize('User:anyone', 'h', READ, TOPIC, 'whatever'))
  assert.ok(a.authorize('User:alice', '10.0.0.9', READ, TOPIC, 'hosted'))
  // `hosted` has an ACL of its own, but the wildcard one still applies to it from any host.
  assert.ok(a.authorize('User:alice', '10.0.0.8', READ, TOPIC, 'hosted'))
  const hostOnly = await authorizer([acl({ resourceName: 'hosted', host: '10.0.0.9' })])
  assert.not.ok(hostOnly.authorize('User:alice', '10.0.0.8', READ, TOPIC, 'hosted'))
})

matcher('implied operations: Read/Write/Delete/Alter give Describe, AlterConfigs gives DescribeConfigs, All gives everything', async () => {
  for (const op of [READ, WRITE, DELETE, ALTER]) {
    const a = await authorizer([acl({ operation: op })])
    assert.ok(a.authorize('User:alice', 'h', DESCRIBE, TOPIC, 'orders'), `operation ${op} implies Describe`)
  }
  const configs = await authorizer([acl({ operation: ALTER_CONFIGS })])
  assert.ok(configs.authorize('User:alice', 'h', DESCRIBE_CONFIGS, TOPIC, 'orders'))
  assert.not.ok(configs.authorize('User:alice', 'h', DESCRIBE, TOPIC, 'orders'))
  const describe = await authorizer([acl({ operation: DESCRIBE })])
  assert.not.ok(describe.authorize('User:alice', 'h', READ, TOPIC, 'orders'))
  const all = await authorizer([acl({ operation: ALL })])
  for (const op of [READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS]) assert.ok(all.authorize('User:alice', 'h', op, TOPIC, 'orders'))
})

matcher('deny wins over allow, from any pattern; it refuses its own operation (or All) only', async () => {
  const a = await authorizer([
    acl({ resourceName: '*', operation: ALL }),
    acl({ resourceName: 'secret', patternType: PatternType.PREFIXED, operation: READ, permission: Permission.DENY })
  ])
  assert.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'orders'))
  assert.not.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'secret-plans'))
  assert.ok(a.authorize('User:alice', 'h', DESCRIBE, TOPIC, 'secret-plans'))
  const denyAll = await authorizer([acl({ operation: READ }), acl({ principal: 'User:*', operation: ALL, permission: Permission.DENY, host: '6.6.6.6' })])
  assert.not.ok(denyAll.authorize('User:alice', '6.6.6.6', READ, TOPIC, 'orders'))
  assert.ok(denyAll.authorize('User:alice', '7.7.7.7', READ, TOPIC, 'orders'))
})

matcher('super users bypass every ACL, deny included', async () => {
  const a = await authorizer([acl({ principal: 'User:root', operation: ALL, permission: Permission.DENY })], { superUsers: ['User:root'] })
  assert.ok(a.authorize('User:root', 'h', WRITE, TOPIC, 'orders'))
  assert.ok(a.authorize('User:root', 'h', ALTER, CLUSTER, CLUSTER_NAME))
})

matcher('allowEveryoneIfNoAcl opens resources without any ACL, not those with one for someone else', async () => {
  const a = await authorizer([acl({})], { allowEveryoneIfNoAcl: true })
  assert.ok(a.authorize('User:bob', 'h', WRITE, TOPIC, 'free'))
  assert.ok(a.authorize('User:bob', 'h', READ, GROUP, 'g'))
  assert.not.ok(a.authorize('User:bob', 'h', READ, TOPIC, 'orders'))
})

matcher('a cached answer follows created and deleted ACLs', async () => {
  const a = await authorizer([])
  assert.not.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'orders'))
  await a.create([acl({})])
  assert.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'orders'))
  const removed = await a.delete([{ ...ANY_FILTER, resourceType: TOPIC, resourceName: 'orders' }])
  assert.is(removed[0].length, 1)
  assert.not.ok(a.authorize('User:alice', 'h', READ, TOPIC, 'orders'))
})

matcher('authorizedOperations reports the allowed subset of the supported bits', async () => {
  const a = await authorizer([acl({ operation: WRITE })])
  const supported = (1 << READ) | (1 << WRITE) | (1 << DESCRIBE)
  assert.is(a.authorizedOperations('User:alice', 'h', TOPIC, 'orders', supported), (1 << WRITE) | (1 << DESCRIBE))
})

matcher('with 1,000 ACLs a check still finds the right one', async () => {
  const many: AclBinding[] = []
  for (let i = 0; i < 500; i++) many.push(acl({ resourceName: `topic-${i}`, principal: `User:u${i}` }))
  for (let i = 0; i < 500; i++) many.push(acl({ resourceName: `p${i}-`, patternType: PatternType.PREFIXED, principal: `User:u${i}`, operation: WRITE }))
  const a = await authorizer(many)
  assert.ok(a.authorize('User:u42', 'h', READ, TOPIC, 'topic-42'))
  assert.not.ok(a.authorize('User:u42', 'h', READ, TOPIC, 'topic-43'))
  assert.ok(a.authorize('User:u499', 'h', WRITE, TOPIC, 'p499-x'))
  assert.not.ok(a.authorize('User:u499', 'h', WRITE, TOPIC, 'p498-x'))
})

matcher.run()

const filters = suite('ACL bindings and filters')

filters('bindings Kafka refuses are named with the reason', () => {
  assert.is(bindingProblem(acl({})), null)
  assert.match(bindingProblem(acl({ resourceType: ResourceType.ANY }))!, 'resource type 1')
  assert.match(bindingProblem(acl({ patternType: PatternType.MATCH }))!, 'pattern type 2')
  assert.match(bindingProblem(acl({ operation: AclOperation.ANY }))!, 'operation 1')
  assert.match(bindingProblem(acl({ permission: Permission.ANY }))!, 'permission type 1')
  assert.match(bindingProblem(acl({ principal: 'alice' }))!, 'User:NAME')
  assert.match(bindingProblem(acl({ resourceType: CLUSTER, resourceName: 'c' }))!, CLUSTER_NAME)
  assert.match(bindingProblem(acl({ resourceName: '' }))!, 'empty')
  assert.is(filterProblem(ANY_FILTER), null)
  assert.match(filterProblem({ ...ANY_FILTER, patternType: PatternType.UNKNOWN })!, 'pattern type')
  assert.match(filterProblem({ ...ANY_FILTER, operation: 99 })!, 'operation')
})

filters('a MATCH filter selects every pattern that applies to a name', async () => {
  const a = await authorizer([acl({}), acl({ resourceName: '*' }), acl({ resourceName: 'or', patternType: PatternType.PREFIXED }), acl({ resourceName: 'other' })])
  const found = a.list({ ...ANY_FILTER, resourceType: TOPIC, resourceName: 'orders', patternType: PatternType.MATCH })
  assert.equal(found.map((b) => b.resourceName).sort(), ['*', 'or', 'orders'])
  assert.is(a.list({ ...ANY_FILTER, resourceName: 'orders', patternType: PatternType.LITERAL }).length, 1)
})

filters.run()

const store = suite('ACL store')

store('ACLs are written atomically to the data dir and read back at open', async () => {
  const dir = tmpDir()
  try {
    const a = new Authorizer({ enabled: true, superUsers: [], allowEveryoneIfNoAcl: false }, await AclStore.open(dir), silentLogger)
    await a.create([acl({}), acl({ operation: WRITE, permission: Permission.DENY })])
    assert.not.ok(existsSync(join(dir, `${ACL_FILE}.tmp`)))
    const reopened = await AclStore.open(dir)
    assert.equal(reopened.bindings, a.bindings)
  } finally {
    removeDir(dir)
  }
})

store('a damaged ACL file stops the open with MR_ERR_STORAGE naming the file', async () => {
  const dir = tmpDir()
  try {
    for (const text of ['{"version":1,"acls":[', '{"version":1,"acls":[{"resourceType":2}]}', '[]']) {
      writeFileSync(join(dir, ACL_FILE), text)
      try {
        await AclStore.open(dir)
        assert.unreachable(`opened ${text}`)
      } catch (err) {
        assert.ok(err instanceof MillraceError)
        assert.is((err as MillraceError).code, 'MR_ERR_STORAGE')
        assert.match((err as Error).message, join(dir, ACL_FILE))
      }
    }
  } finally {
    removeDir(dir)
  }
})

store('a failed write keeps the old set and says why', async () => {
  const dir = tmpDir()
  try {
    const s = await AclStore.open(join(dir, 'missing-subdir'))
    try {
      await s.update(() => [acl({})])
      assert.unreachable('wrote into a missing directory')
    } catch (err) {
      assert.is((err as MillraceError).code, 'MR_ERR_STORAGE')
    }
    assert.is(s.bindings.length, 0)
  } finally {
    removeDir(dir)
  }
})

store.run()
