/**
 * The steps of librdkafka's test 0081 (its CreateAcls, DescribeAcls and DeleteAcls parts),
 * driven by kafka-python's admin client: a prefixed and a literal binding on one topic, a MATCH
 * filter that finds both, a LITERAL + Write filter that finds one, deletes by MATCH and by
 * LITERAL filters that remove what they match. (Debian's confluent-kafka 1.7 predates the ACL
 * admin calls and librdkafka's headers are not installed, so librdkafka itself cannot drive
 * them here.) The client runs as ANONYMOUS, made a super user, as 0081 runs as an administrator.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { Broker } from '../../src/broker.js'
import { uniqueTopic } from '../helpers/tmp-dir.js'

/** Debian's kafka-python lives in the system python, not in a pyenv one on PATH. */
const PYTHON = '/usr/bin/python3'

const SCRIPT = `
import json, sys
from kafka.admin import (KafkaAdminClient, ACL, ACLFilter, ResourcePattern, ResourcePatternFilter, ResourceType,
    ACLOperation, ACLPermissionType, ACLResourcePatternType)

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='acl-0081')
out = {}

def show(acls):
    return sorted([a.resource_pattern.resource_type.name, a.resource_pattern.resource_name, a.resource_pattern.pattern_type.name,
        a.principal, a.host, a.operation.name, a.permission_type.name] for a in acls)

def create(acls):
    result = admin.create_acls(acls)
    assert not result['failed'], result['failed']

def describe(f):
    acls, error = admin.describe_acls(f)
    assert error.errno == 0, error
    return show(acls)

def delete(f):
    [(_, matches, error)] = admin.delete_acls([f])
    assert error.errno == 0, error
    return show(acl for acl, _ in matches)

read1 = ACL('User:test1', '*', ACLOperation.READ, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.PREFIXED))
write2 = ACL('User:test2', '*', ACLOperation.WRITE, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL))
create([read1, write2])

match = ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(ResourceType.ANY, topic, ACLResourcePatternType.MATCH))
out['match'] = describe(match)
out['literal_write'] = describe(ACLFilter(None, None, ACLOperation.WRITE, ACLPermissionType.ANY, ResourcePatternFilter(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)))
out['deleted_by_match'] = delete(match)
out['after_match'] = describe(match)

create([read1, write2])
out['deleted_by_literal'] = delete(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)))
out['after_literal'] = describe(match)
admin.close()
print(json.dumps(out))
`

function python (args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', SCRIPT, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`python failed: ${stderr}`))
      else resolve(stdout)
    })
  })
}

const compat = suite('ACL admin as librdkafka 0081 checks it (kafka-python)')

compat('create, describe with MATCH and LITERAL filters, delete by MATCH and by LITERAL', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1, authorizer: true, superUsers: ['User:ANONYMOUS'] })
  try {
    const topic = uniqueTopic('acl-0081')
    const out = JSON.parse(await python([broker.address!, topic])) as Record<string, string[][]>
    // Sorted as python sorts the rows: LITERAL before PREFIXED.
    const read1 = ['TOPIC', topic, 'PREFIXED', 'User:test1', '*', 'READ', 'ALLOW']
    const write2 = ['TOPIC', topic, 'LITERAL', 'User:test2', '*', 'WRITE', 'ALLOW']
    assert.equal(out.match, [write2, read1])
    assert.equal(out.literal_write, [write2])
    assert.equal(out.deleted_by_match, [write2, read1])
    assert.equal(out.after_match, [])
    assert.equal(out.deleted_by_literal, [write2])
    assert.equal(out.after_literal, [read1])
  } finally {
    await broker.close()
  }
})

compat.run()
