/**
 * Kafka's ACL model: a binding is a resource pattern (type, name, LITERAL or PREFIXED) and an
 * entry (principal, host, operation, Allow or Deny). Codes are Kafka's (ResourceType,
 * PatternType, AclOperation, AclPermissionType), so bindings cross the wire unchanged.
 *
 * A filter has the same fields, where null names and the ANY codes match everything and the
 * MATCH pattern type matches every pattern that would apply to the given name (Kafka's
 * ResourcePatternFilter / AccessControlEntryFilter).
 */
import { AclOperation } from '../protocol/acl-operations.js'

export { AclOperation }

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const
export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const

/** The one cluster resource's name, as Kafka spells it. */
export const CLUSTER_NAME = 'kafka-cluster'
/** A literal resource name, principal or host that matches every one. */
export const WILDCARD = '*'

export interface AclBinding {
  readonly resourceType: number
  readonly resourceName: string
  readonly patternType: number
  readonly principal: string
  readonly host: string
  readonly operation: number
  readonly permission: number
}

export interface AclFilter {
  readonly resourceType: number
  /** null: any name. */
  readonly resourceName: string | null
  readonly patternType: number
  /** null: any principal. */
  readonly principal: string | null
  /** null: any host. */
  readonly host: string | null
  readonly operation: number
  readonly permission: number
}

const RESOURCE_TYPE_NAMES: Record<number, string> = { 2: 'Topic', 3: 'Group', 4: 'Cluster', 5: 'TransactionalId' }
const PATTERN_TYPE_NAMES: Record<number, string> = { 3: 'Literal', 4: 'Prefixed' }
const PERMISSION_NAMES: Record<number, string> = { 2: 'Deny', 3: 'Allow' }
const OPERATION_NAMES: Record<number, string> = {
  2: 'All', 3: 'Read', 4: 'Write', 5: 'Create', 6: 'Delete', 7: 'Alter', 8: 'Describe',
  9: 'ClusterAction', 10: 'DescribeConfigs', 11: 'AlterConfigs', 12: 'IdempotentWrite'
}

export function resourceTypeName (code: number): string { return RESOURCE_TYPE_NAMES[code] ?? `unknown(${code})` }
export function patternTypeName (code: number): string { return PATTERN_TYPE_NAMES[code] ?? `unknown(${code})` }
export function permissionName (code: number): string { return PERMISSION_NAMES[code] ?? `unknown(${code})` }
export function operationName (code: number): string { return OPERATION_NAMES[code] ?? `unknown(${code})` }

function codeByName (names: Record<number, string>, name: string): number | undefined {
  const wanted = name.replace(/[-_ ]/g, '').toLowerCase()
  for (const [code, n] of Object.entries(names)) if (n.toLowerCase() === wanted) return Number(code)
  return undefined
}

/** Codes by name, case and separators ignored ('Read', 'describe-configs', 'IDEMPOTENT_WRITE'); undefined when unknown. */
export function parseOperation (name: string): number | undefined { return codeByName(OPERATION_NAMES, name) }
export function parseResourceType (name: string): number | undefined { return codeByName(RESOURCE_TYPE_NAMES, name) }
export function parsePatternType (name: string): number | undefined { return codeByName(PATTERN_TYPE_NAMES, name) }
export function parsePermission (name: string): number | undefined { return codeByName(PERMISSION_NAMES, name) }

/** `Kind:Name` with a non-empty kind and name, as Kafka's SecurityUtils.parseKafkaPrincipal requires. */
export function isPrincipal (principal: string): boolean {
  const colon = principal.indexOf(':')
  return colon > 0 && colon < principal.length - 1
}

/** Why a binding cannot be stored (Kafka refuses it with INVALID_REQUEST), or null. */
export function bindingProblem (b: AclBinding): string | null {
  if (RESOURCE_TYPE_NAMES[b.resourceType] === undefined) return `resource type ${b.resourceType} is not one of Topic (2), Group (3), Cluster (4), TransactionalId (5)`
  if (PATTERN_TYPE_NAMES[b.patternType] === undefined) return `pattern type ${b.patternType} is not Literal (3) or Prefixed (4)`
  if (OPERATION_NAMES[b.operation] === undefined) return `operation ${b.operation} is not a known ACL operation`
  if (PERMISSION_NAMES[b.permission] === undefined) return `permission type ${b.permission} is not Deny (2) or Allow (3)`
  if (typeof b.resourceName !== 'string' || b.resourceName.length === 0) return 'the resource name must not be empty'
  if (b.resourceType === ResourceType.CLUSTER && (b.resourceName !== CLUSTER_NAME || b.patternType !== PatternType.LITERAL)) {
    return `the cluster resource is the literal name '${CLUSTER_NAME}'`
  }
  if (b.patternType === PatternType.PREFIXED && b.resourceName === WILDCARD) return `a prefixed pattern cannot be '${WILDCARD}'; use a literal '${WILDCARD}'`
  if (typeof b.principal !== 'string' || !isPrincipal(b.principal)) return `principal '${String(b.principal)}' is not of the form User:NAME`
  if (typeof b.host !== 'string' || b.host.length === 0) return 'the host must not be empty (use * for any host)'
  return null
}

/** Why a filter cannot be used (Kafka answers INVALID_REQUEST), or null. */
export function filterProblem (f: AclFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN || (f.resourceType !== ResourceType.ANY && RESOURCE_TYPE_NAMES[f.resourceType] === undefined)) return `resource type filter ${f.resourceType} is unknown`
  if (f.patternType === PatternType.UNKNOWN || f.patternType > PatternType.PREFIXED || f.patternType < 0) return `pattern type filter ${f.patternType} is unknown`
  if (f.operation === AclOperation.UNKNOWN || (f.operation !== AclOperation.ANY && OPERATION_NAMES[f.operation] === undefined)) return `operation filter ${f.operation} is unknown`
  if (f.permission === Permission.UNKNOWN || f.permission > Permission.ALLOW || f.permission < 0) return `permission type filter ${f.permission} is unknown`
  return null
}

/** Whether a filter selects a binding (Kafka's AclBindingFilter.matches). */
export function filterMatches (f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false
  if (!patternMatches(f, b)) return false
  if (f.principal !== null && f.principal !== b.principal) return false
  if (f.host !== null && f.host !== b.host) return false
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false
  return f.permission === Permission.ANY || f.permission === b.permission
}

function patternMatches (f: AclFilter, b: AclBinding): boolean {
  if (f.patternType === PatternType.MATCH) {
    // Every pattern that applies to the named resource: itself, the literal wildcard, its prefixes.
    if (f.resourceName === null) return true
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD
    return f.resourceName.startsWith(b.resourceName)
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false
  return f.resourceName === null || f.resourceName === b.resourceName
}

export function sameBinding (a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType &&
    a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permission === b.permission
}

/** One line for logs and the CLI: `Allow User:alice from * Read on Topic:Literal:orders`. */
export function describeBinding (b: AclBinding): string {
  return `${permissionName(b.permission)} ${b.principal} from ${b.host} ${operationName(b.operation)} on ${resourceTypeName(b.resourceType)}:${patternTypeName(b.patternType)}:${b.resourceName}`
}
