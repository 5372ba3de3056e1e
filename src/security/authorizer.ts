/**
 * Decides whether a principal, connected from a host, may perform an operation on a resource,
 * as Kafka's StandardAuthorizer does:
 *   1. the authorizer is off, or the principal is a super user: allowed;
 *   2. a matching Deny (same or wildcard principal and host; the operation itself or All): refused;
 *   3. a matching Allow for the operation, All, or an operation that implies it (Read, Write,
 *      Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs): allowed;
 *   4. no ACL at all on any pattern that applies to the resource: `allowEveryoneIfNoAcl`;
 *   5. otherwise refused.
 *
 * The bindings are indexed per resource type: literal names (and the `*` wildcard) in a map,
 * prefixed patterns in a map by prefix plus the list of distinct prefix lengths, so a check
 * reads a few map entries whatever the number of ACLs. Answers are cached per (principal,
 * host, operation, resource) until the ACLs change; the cache is bounded.
 *
 * Thread: the dispatcher's. Changes go through the AclStore (durable first, then visible).
 */
import type { Logger } from '../logger.js'
import { AclOperation, PatternType, Permission, WILDCARD, bindingProblem, describeBinding, filterMatches, sameBinding, type AclBinding, type AclFilter } from './acl.js'
import type { AclStore } from './acl-store.js'

export interface AuthorizerSettings {
  /** Off: every request is allowed and the ACL APIs answer SECURITY_DISABLED. */
  enabled: boolean
  /** Principals (`User:NAME`) allowed everything. */
  superUsers: readonly string[]
  /** Kafka's allow.everyone.if.no.acl.found. */
  allowEveryoneIfNoAcl: boolean
}

/** The answers remembered before the cache starts over. */
const MAX_CACHED_DECISIONS = 10_000
const WILDCARD_PRINCIPAL = 'User:*'

/** Kafka's implied operations: an Allow of any of these grants the key. */
const IMPLIED_BY: ReadonlyMap<number, readonly number[]> = new Map([
  [AclOperation.DESCRIBE, [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.ALL]],
  [AclOperation.DESCRIBE_CONFIGS, [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.ALL]]
])

class ResourceIndex {
  readonly literal = new Map<string, AclBinding[]>()
  readonly prefixed = new Map<string, AclBinding[]>()
  /** Distinct prefix lengths, ascending. */
  prefixLengths: number[] = []

  add (b: AclBinding): void {
    const map = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal
    const list = map.get(b.resourceName)
    if (list === undefined) map.set(b.resourceName, [b])
    else list.push(b)
  }

  seal (): void {
    this.prefixLengths = [...new Set([...this.prefixed.keys()].map((p) => p.length))].sort((a, b) => a - b)
  }

  /** Calls `visit` with each list of bindings whose pattern applies to `name`. */
  forEachApplying (name: string, visit: (list: readonly AclBinding[]) => void): void {
    const exact = this.literal.get(name)
    if (exact !== undefined) visit(exact)
    if (name !== WILDCARD) {
      const any = this.literal.get(WILDCARD)
      if (any !== undefined) visit(any)
    }
    for (const length of this.prefixLengths) {
      if (length > name.length) break
      const list = this.prefixed.get(length === name.length ? name : name.slice(0, length))
      if (list !== undefined) visit(list)
    }
  }
}

export class Authorizer {
  readonly settings: Readonly<AuthorizerSettings>
  readonly #store: AclStore
  readonly #superUsers: ReadonlySet<string>
  readonly #log: Logger
  #index = new Map<number, ResourceIndex>()
  readonly #cache = new Map<string, boolean>()

  constructor (settings: AuthorizerSettings, store: AclStore, log: Logger) {
    this.settings = Object.freeze({ ...settings, superUsers: Object.freeze([...settings.superUsers]) })
    this.#store = store
    this.#superUsers = new Set(settings.superUsers)
    this.#log = log
    this.#rebuild(store.bindings)
  }

  get enabled (): boolean { return this.settings.enabled }

  /** Every binding, in the order they were created. */
  get bindings (): readonly AclBinding[] { return this.#store.bindings }

  /** Whether `principal` connected from `host` may perform `operation` on the resource. */
  authorize (principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    if (!this.settings.enabled || this.#superUsers.has(principal)) return true
    const key = `${principal}\n${host}\n${operation}\n${resourceType}\n${resourceName}`
    const cached = this.#cache.get(key)
    if (cached !== undefined) return cached
    const decision = this.#decide(principal, host, operation, resourceType, resourceName)
    if (this.#cache.size >= MAX_CACHED_DECISIONS) this.#cache.clear()
    this.#cache.set(key, decision)
    return decision
  }

  /**
   * Whether some resource of the type allows the operation (Kafka's authorizeByResourceType,
   * which idempotent producers need: Write on any topic). A Deny on the literal `*` refuses.
   */
  authorizeSome (principal: string, host: string, operation: number, resourceType: number): boolean {
    if (!this.settings.enabled || this.#superUsers.has(principal)) return true
    const index = this.#index.get(resourceType)
    if (index === undefined) return this.settings.allowEveryoneIfNoAcl
    if (this.#decide(principal, host, operation, resourceType, WILDCARD)) return true
    const allowedBy = IMPLIED_BY.get(operation)
    const applies = (b: AclBinding): boolean => (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === host || b.host === WILDCARD)
    const everywhereDenied = (index.literal.get(WILDCARD) ?? []).some((b) => applies(b) && b.permission === Permission.DENY && (b.operation === operation || b.operation === AclOperation.ALL))
    if (everywhereDenied) return false
    for (const map of [index.literal, index.prefixed]) {
      for (const list of map.values()) {
        for (const b of list) {
          if (applies(b) && b.permission === Permission.ALLOW && (b.operation === operation || b.operation === AclOperation.ALL || (allowedBy?.includes(b.operation) ?? false))) return true
        }
      }
    }
    return false
  }

  /** The operations of `supported` (bit N = operation code N) that the principal may perform on the resource. */
  authorizedOperations (principal: string, host: string, resourceType: number, resourceName: string, supported: number): number {
    if (!this.settings.enabled) return supported
    let allowed = 0
    for (let op = AclOperation.READ; op <= AclOperation.IDEMPOTENT_WRITE; op++) {
      if ((supported & (1 << op)) !== 0 && this.authorize(principal, host, op, resourceType, resourceName)) allowed |= 1 << op
    }
    return allowed
  }

  /** Adds bindings (an identical one already present is kept once); durable before it resolves. */
  async create (bindings: readonly AclBinding[]): Promise<void> {
    for (const b of bindings) {
      const problem = bindingProblem(b)
      if (problem !== null) throw new RangeError(problem)
    }
    const next = await this.#store.update((current) => {
      const added = [...current]
      for (const b of bindings) if (!added.some((a) => sameBinding(a, b))) added.push(b)
      return added
    })
    this.#rebuild(next)
    for (const b of bindings) this.#log.info({ acl: describeBinding(b) }, 'ACL created')
  }

  /** The bindings each filter selects, removed together; durable before it resolves. */
  async delete (filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    let removed: AclBinding[][] = []
    const next = await this.#store.update((current) => {
      removed = filters.map((f) => current.filter((b) => filterMatches(f, b)))
      return current.filter((b) => !filters.some((f) => filterMatches(f, b)))
    })
    this.#rebuild(next)
    for (const b of new Set(removed.flat())) this.#log.info({ acl: describeBinding(b) }, 'ACL deleted')
    return removed
  }

  list (filter: AclFilter): AclBinding[] {
    return this.#store.bindings.filter((b) => filterMatches(filter, b))
  }

  #decide (principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    const index = this.#index.get(resourceType)
    if (index === undefined) return this.settings.allowEveryoneIfNoAcl
    const allowedBy = IMPLIED_BY.get(operation)
    let denied = false
    let allowed = false
    let found = false
    index.forEachApplying(resourceName, (list) => {
      found = true
      for (const b of list) {
        if (b.principal !== principal && b.principal !== WILDCARD_PRINCIPAL) continue
        if (b.host !== host && b.host !== WILDCARD) continue
        if (b.permission === Permission.DENY) {
          // A Deny refuses only its own operation (or All): denying Read leaves Describe alone, as in Kafka.
          if (b.operation === operation || b.operation === AclOperation.ALL) denied = true
        } else if (b.operation === operation || b.operation === AclOperation.ALL || (allowedBy?.includes(b.operation) ?? false)) {
          allowed = true
        }
      }
    })
    if (denied) return false
    if (allowed) return true
    return !found && this.settings.allowEveryoneIfNoAcl
  }

  #rebuild (bindings: readonly AclBinding[]): void {
    const index = new Map<number, ResourceIndex>()
    for (const b of bindings) {
      let r = index.get(b.resourceType)
      if (r === undefined) index.set(b.resourceType, r = new ResourceIndex())
      r.add(b)
    }
    for (const r of index.values()) r.seal()
    this.#index = index
    this.#cache.clear()
  }
}
