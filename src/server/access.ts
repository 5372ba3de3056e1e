/**
 * A request's view of the authorizer: may its principal, from its host, pass a check from
 * security/api-operations.ts on a resource? A refusal is counted and logged (rate-limited)
 * through the refusal log. Without an authorizer every check passes at the cost of a call.
 */
import type { Authorizer } from '../security/authorizer.js'
import type { Check } from '../security/api-operations.js'
import type { RefusalLog, RequestOrigin } from './refusals.js'

export interface RequestAccess {
  /** The broker's authorizer; null when none is configured (the ACL APIs answer SECURITY_DISABLED). */
  readonly authorizer: Authorizer | null
  /** Whether the check passes on the named resource; a refusal is logged unless `logIfDenied` is false (filters, as Kafka's). */
  allows (check: Check, resourceName: string, logIfDenied?: boolean): boolean
  /** Whether the check passes on some resource of its type (Kafka's authorizeByResourceType); a refusal is logged. */
  allowsSome (check: Check): boolean
  /** The operations of `supported` (bit N = operation code N) allowed on the resource; refusals are not logged. */
  operations (resourceType: number, resourceName: string, supported: number): number
}

/** Every check passes: no authorizer configured. */
export const OPEN_ACCESS: RequestAccess = Object.freeze({
  authorizer: null,
  allows: () => true,
  allowsSome: () => true,
  operations: (_type: number, _name: string, supported: number) => supported
})

export class PrincipalAccess implements RequestAccess {
  readonly authorizer: Authorizer
  readonly #principal: string
  readonly #origin: RequestOrigin
  readonly #refusals: RefusalLog

  constructor (authorizer: Authorizer, principal: string, origin: RequestOrigin, refusals: RefusalLog) {
    this.authorizer = authorizer
    this.#principal = principal
    this.#origin = origin
    this.#refusals = refusals
  }

  allows (check: Check, resourceName: string, logIfDenied = true): boolean {
    if (this.authorizer.authorize(this.#principal, this.#origin.remoteHost, check.operation, check.resourceType, resourceName)) return true
    if (logIfDenied) this.#refusals.denied(this.#origin, this.#principal, check, resourceName)
    return false
  }

  allowsSome (check: Check): boolean {
    if (this.authorizer.authorizeSome(this.#principal, this.#origin.remoteHost, check.operation, check.resourceType)) return true
    this.#refusals.denied(this.#origin, this.#principal, check, '*')
    return false
  }

  operations (resourceType: number, resourceName: string, supported: number): number {
    return this.authorizer.authorizedOperations(this.#principal, this.#origin.remoteHost, resourceType, resourceName, supported)
  }
}
