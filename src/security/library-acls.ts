/**
 * `broker.acls`: ACL administration in library mode, with names instead of Kafka's codes
 * ({ resourceType: 'Topic', operation: 'Read', permission: 'Allow' }). The same authorizer as
 * CreateAcls, DescribeAcls and DeleteAcls: a binding created here is durable when the promise
 * resolves. Without an authorizer every method throws MR_ERR_KAFKA with SECURITY_DISABLED.
 */
import { MillraceError, invalidOption } from '../errors.js'
import { KafkaCode } from '../protocol/error-codes.js'
import type { Authorizer } from './authorizer.js'
import {
  AclOperation, CLUSTER_NAME, PatternType, Permission, ResourceType, bindingProblem, operationName, parseOperation, parsePatternType,
  parsePermission, parseResourceType, patternTypeName, permissionName, resourceTypeName, type AclBinding, type AclFilter
} from './acl.js'

export type AclResourceTypeName = 'Topic' | 'Group' | 'Cluster' | 'TransactionalId'
export type AclOperationName = 'All' | 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'ClusterAction' | 'DescribeConfigs' | 'AlterConfigs' | 'IdempotentWrite'

export interface AclEntry {
  resourceType: AclResourceTypeName
  /** Default for the cluster: 'kafka-cluster'. */
  resourceName: string
  /** Default 'Literal'. */
  patternType: 'Literal' | 'Prefixed'
  /** `User:NAME`, or `User:*` for everyone. */
  principal: string
  /** Default '*' (any host). */
  host: string
  operation: AclOperationName
  /** Default 'Allow'. */
  permission: 'Allow' | 'Deny'
}

export type AclEntryInput = Pick<AclEntry, 'resourceType' | 'principal' | 'operation'> & Partial<AclEntry>

/** Unset fields match anything; patternType 'Match' selects every pattern that applies to resourceName. */
export interface AclEntryFilter {
  resourceType?: AclResourceTypeName
  resourceName?: string
  patternType?: 'Literal' | 'Prefixed' | 'Match'
  principal?: string
  host?: string
  operation?: AclOperationName
  permission?: 'Allow' | 'Deny'
}

export class LibraryAcls {
  readonly #authorizer: Authorizer | null
  readonly #assertOpen: () => void

  constructor (authorizer: Authorizer | null, assertOpen: () => void) {
    this.#authorizer = authorizer
    this.#assertOpen = assertOpen
  }

  /** Adds bindings (one identical to an existing binding is kept once). */
  async create (entries: AclEntryInput[]): Promise<void> {
    const authorizer = this.#enabled()
    if (!Array.isArray(entries)) throw invalidOption('acls.create()', 'takes an array of ACL entries')
    await authorizer.create(entries.map((e, i) => toBinding(e, `acls.create() entry ${i}`)))
  }

  /** The bindings the filter selects (every binding without one). */
  list (filter: AclEntryFilter = {}): AclEntry[] {
    return this.#enabled().list(toFilter(filter)).map(toEntry)
  }

  /** Removes the bindings the filter selects; resolves with them. */
  async delete (filter: AclEntryFilter): Promise<AclEntry[]> {
    const authorizer = this.#enabled()
    if (filter === null || typeof filter !== 'object') throw invalidOption('acls.delete()', 'takes a filter object ({} deletes every ACL)')
    const [removed] = await authorizer.delete([toFilter(filter)])
    return removed.map(toEntry)
  }

  #enabled (): Authorizer {
    this.#assertOpen()
    if (this.#authorizer === null) throw new MillraceError('MR_ERR_KAFKA', 'ACLs need the authorizer: start the broker with { authorizer: true }', { kafkaCode: KafkaCode.SECURITY_DISABLED })
    return this.#authorizer
  }
}

function code (parse: (name: string) => number | undefined, value: unknown, path: string, what: string): number {
  const parsed = typeof value === 'string' ? parse(value) : undefined
  if (parsed === undefined) throw invalidOption(path, `must be ${what}; got ${JSON.stringify(value)}`)
  return parsed
}

function toBinding (e: AclEntryInput, path: string): AclBinding {
  if (e === null || typeof e !== 'object') throw invalidOption(path, 'must be an object')
  const resourceType = code(parseResourceType, e.resourceType, `${path} resourceType`, 'Topic, Group, Cluster or TransactionalId')
  const binding: AclBinding = {
    resourceType,
    resourceName: e.resourceName ?? (resourceType === ResourceType.CLUSTER ? CLUSTER_NAME : ''),
    patternType: code(parsePatternType, e.patternType ?? 'Literal', `${path} patternType`, 'Literal or Prefixed'),
    principal: e.principal,
    host: e.host ?? '*',
    operation: code(parseOperation, e.operation, `${path} operation`, 'an ACL operation such as Read, Write or All'),
    permission: code(parsePermission, e.permission ?? 'Allow', `${path} permission`, 'Allow or Deny')
  }
  const problem = bindingProblem(binding)
  if (problem !== null) throw invalidOption(path, problem)
  return binding
}

function toFilter (f: AclEntryFilter): AclFilter {
  const path = 'ACL filter'
  return {
    resourceType: f.resourceType === undefined ? ResourceType.ANY : code(parseResourceType, f.resourceType, `${path} resourceType`, 'Topic, Group, Cluster or TransactionalId'),
    resourceName: f.resourceName ?? null,
    patternType: f.patternType === undefined ? PatternType.ANY : f.patternType === 'Match' ? PatternType.MATCH : code(parsePatternType, f.patternType, `${path} patternType`, 'Literal, Prefixed or Match'),
    principal: f.principal ?? null,
    host: f.host ?? null,
    operation: f.operation === undefined ? AclOperation.ANY : code(parseOperation, f.operation, `${path} operation`, 'an ACL operation'),
    permission: f.permission === undefined ? Permission.ANY : code(parsePermission, f.permission, `${path} permission`, 'Allow or Deny')
  }
}

function toEntry (b: AclBinding): AclEntry {
  return {
    resourceType: resourceTypeName(b.resourceType) as AclResourceTypeName,
    resourceName: b.resourceName,
    patternType: patternTypeName(b.patternType) as AclEntry['patternType'],
    principal: b.principal,
    host: b.host,
    operation: operationName(b.operation) as AclOperationName,
    permission: permissionName(b.permission) as AclEntry['permission']
  }
}
