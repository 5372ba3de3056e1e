/**
 * `millrace acls create|list|delete`: ACL administration over standard Kafka APIs (CreateAcls,
 * DescribeAcls, DeleteAcls), so it works against any Kafka broker with an authorizer.
 */
import { ApiKey } from '../protocol/api-keys.js'
import type { CreateAclsResponse } from '../protocol/apis/create-acls.js'
import type { DescribeAclsRequest, DescribeAclsResponse } from '../protocol/apis/describe-acls.js'
import type { DeleteAclsResponse } from '../protocol/apis/delete-acls.js'
import { KafkaCode } from '../protocol/error-codes.js'
import {
  AclOperation, CLUSTER_NAME, PatternType, Permission, ResourceType, describeBinding, isPrincipal, parseOperation, type AclBinding
} from '../security/acl.js'
import { COMMON_HELP, COMMON_OPTIONS, CliError, parseFlags, usageError, type ParsedFlags } from './args.js'
import { describeKafkaError, withClient, type KafkaConnection } from './kafka-client.js'

export const ACLS_USAGE = `Usage: millrace acls <subcommand> [options]

Subcommands:
  create (--allow | --deny) --principal User:NAME --operation OP [--host H] RESOURCE
                     add ACLs (one per principal and operation given; --allow is the default)
  list [--principal User:NAME] [--operation OP] [--host H] [--allow | --deny] [RESOURCE]
                     print the ACLs that match, one per line
  delete [--principal User:NAME] [--operation OP] [--host H] [--allow | --deny] RESOURCE
                     remove the ACLs that match and print them

RESOURCE is one of:
  --topic NAME [--prefixed]    a topic, or with --prefixed every topic whose name starts with NAME
  --group NAME [--prefixed]    a consumer group (or a prefix of group ids)
  --transactional-id ID [--prefixed]
  --cluster                    the cluster (creating topics, ACLs, idempotent producers)
NAME '*' is every resource of the type. OP is one of All, Read, Write, Create, Delete, Alter,
Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite.

Options:
${COMMON_HELP}
`

const COMMAND = 'acls'

const OPTIONS = {
  ...COMMON_OPTIONS,
  allow: { type: 'boolean' },
  deny: { type: 'boolean' },
  principal: { type: 'string', multiple: true },
  operation: { type: 'string', multiple: true },
  host: { type: 'string' },
  topic: { type: 'string' },
  group: { type: 'string' },
  'transactional-id': { type: 'string' },
  cluster: { type: 'boolean' },
  prefixed: { type: 'boolean' }
} as const

type Flags = ParsedFlags<typeof OPTIONS>['values']

function out (text: string): void { process.stdout.write(text) }

interface Resource { resourceType: number, resourceName: string, patternType: number }

/** The one resource the flags name, or null when none is named. */
function resourceOf (values: Flags): Resource | null {
  const named: Resource[] = []
  const pattern = values.prefixed === true ? PatternType.PREFIXED : PatternType.LITERAL
  if (values.topic !== undefined) named.push({ resourceType: ResourceType.TOPIC, resourceName: values.topic, patternType: pattern })
  if (values.group !== undefined) named.push({ resourceType: ResourceType.GROUP, resourceName: values.group, patternType: pattern })
  if (values['transactional-id'] !== undefined) named.push({ resourceType: ResourceType.TRANSACTIONAL_ID, resourceName: values['transactional-id'], patternType: pattern })
  if (values.cluster === true) {
    if (values.prefixed === true) throw usageError('--prefixed does not apply to --cluster', COMMAND)
    named.push({ resourceType: ResourceType.CLUSTER, resourceName: CLUSTER_NAME, patternType: PatternType.LITERAL })
  }
  if (named.length > 1) throw usageError('name one resource: --topic, --group, --transactional-id or --cluster', COMMAND)
  if (named.length === 0 && values.prefixed === true) throw usageError('--prefixed needs --topic, --group or --transactional-id', COMMAND)
  return named[0] ?? null
}

function operationsOf (values: Flags): number[] {
  return (values.operation ?? []).map((name) => {
    const op = parseOperation(name)
    if (op === undefined) throw usageError(`unknown operation '${name}'; use All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs or IdempotentWrite`, COMMAND)
    return op
  })
}

function principalsOf (values: Flags): string[] {
  const principals = values.principal ?? []
  for (const p of principals) if (!isPrincipal(p)) throw usageError(`principal '${p}' must look like User:NAME (User:* for everyone)`, COMMAND)
  return principals
}

function permissionOf (values: Flags, fallback: number): number {
  if (values.allow === true && values.deny === true) throw usageError('give --allow or --deny, not both', COMMAND)
  return values.allow === true ? Permission.ALLOW : values.deny === true ? Permission.DENY : fallback
}

/** The error for a failed ACL request, with a hint for the usual cause. */
function aclError (what: string, code: number, message: string | null): CliError {
  if (code === KafkaCode.SECURITY_DISABLED) return new CliError(`${what} failed: the broker has no authorizer (start it with --authorizer)`)
  return new CliError(`${what} failed: ${describeKafkaError(code, message)}`)
}

export async function runAcls (argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) { out(ACLS_USAGE); return }
  const [sub, ...rest] = positionals
  if (sub === undefined) throw usageError('a subcommand is required: create, list or delete', COMMAND)
  if (rest.length > 0) throw usageError(`unexpected argument '${rest[0]}'`, COMMAND)
  if (sub !== 'create' && sub !== 'list' && sub !== 'delete') throw usageError(`unknown subcommand '${sub}'`, COMMAND)
  const resource = resourceOf(values)
  const operations = operationsOf(values)
  const principals = principalsOf(values)
  if (values.host !== undefined && values.host.length === 0) throw usageError('--host must not be empty (* is any host)', COMMAND)
  switch (sub) {
    case 'create': {
      if (resource === null) throw usageError("'acls create' needs a resource: --topic, --group, --transactional-id or --cluster", COMMAND)
      if (principals.length === 0) throw usageError("'acls create' needs --principal User:NAME", COMMAND)
      if (operations.length === 0) throw usageError("'acls create' needs --operation OP", COMMAND)
      const permission = permissionOf(values, Permission.ALLOW)
      const bindings: AclBinding[] = principals.flatMap((principal) => operations.map((operation) => ({ ...resource, principal, host: values.host ?? '*', operation, permission })))
      return await withClient(values, COMMAND, async (client) => await create(client.bootstrap, bindings))
    }
    case 'list':
    case 'delete': {
      if (sub === 'delete' && resource === null) throw usageError("'acls delete' needs a resource: --topic, --group, --transactional-id or --cluster", COMMAND)
      if (principals.length > 1 || operations.length > 1) throw usageError(`'acls ${sub}' takes at most one --principal and one --operation`, COMMAND)
      const filter = {
        resourceTypeFilter: resource?.resourceType ?? ResourceType.ANY,
        resourceNameFilter: resource?.resourceName ?? null,
        patternTypeFilter: resource === null ? PatternType.ANY : values.prefixed === true ? PatternType.PREFIXED : sub === 'delete' ? PatternType.LITERAL : PatternType.ANY,
        principalFilter: principals[0] ?? null,
        hostFilter: values.host ?? null,
        operation: operations[0] ?? AclOperation.ANY,
        permissionType: permissionOf(values, Permission.ANY)
      }
      return await withClient(values, COMMAND, async (client) => sub === 'list' ? await list(client.bootstrap, filter) : await remove(client.bootstrap, filter))
    }
  }
}

async function create (conn: KafkaConnection, bindings: AclBinding[]): Promise<void> {
  const { response } = await conn.request<CreateAclsResponse>(ApiKey.CreateAcls, {
    creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission }))
  })
  const results = response.results.map((r, i) => ({ r, b: bindings[i] }))
  for (const { r, b } of results) if (r.errorCode === KafkaCode.NONE) out(`created ACL: ${describeBinding(b)}\n`)
  const failures = results.filter(({ r }) => r.errorCode !== KafkaCode.NONE)
  if (failures.length > 0) throw aclError(`creating ACL ${describeBinding(failures[0].b)}`, failures[0].r.errorCode, failures[0].r.errorMessage)
}

async function list (conn: KafkaConnection, filter: DescribeAclsRequest): Promise<void> {
  const { response } = await conn.request<DescribeAclsResponse>(ApiKey.DescribeAcls, filter)
  if (response.errorCode !== KafkaCode.NONE) throw aclError('listing ACLs', response.errorCode, response.errorMessage)
  const lines: string[] = []
  for (const r of response.resources) {
    for (const a of r.acls) {
      lines.push(describeBinding({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType ?? PatternType.LITERAL, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType }))
    }
  }
  out(lines.sort().map((l) => `${l}\n`).join(''))
}

async function remove (conn: KafkaConnection, filter: DescribeAclsRequest): Promise<void> {
  const { response } = await conn.request<DeleteAclsResponse>(ApiKey.DeleteAcls, { filters: [filter] })
  const result = response.filterResults[0]
  if (result === undefined) throw aclError('deleting ACLs', KafkaCode.UNKNOWN_SERVER_ERROR, 'empty response')
  if (result.errorCode !== KafkaCode.NONE) throw aclError('deleting ACLs', result.errorCode, result.errorMessage)
  for (const m of result.matchingAcls) {
    out(`deleted ACL: ${describeBinding({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType ?? PatternType.LITERAL, principal: m.principal, host: m.host, operation: m.operation, permission: m.permissionType })}\n`)
  }
  if (result.matchingAcls.length === 0) out('no ACL matched\n')
}
