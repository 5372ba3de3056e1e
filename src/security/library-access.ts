/**
 * In-process clients (`broker.producer()`, `broker.consumer()`) act as a principal too: by
 * default none (they bypass the authorizer, as a super user would), or the one given as
 * `{ principal: 'User:NAME' }`. A refused check throws MR_ERR_KAFKA with Kafka's authorization
 * code and logs a line (rate-limited), as a refused wire request does.
 */
import { MillraceError, invalidOption } from '../errors.js'
import { LogRateLimiter, type Logger } from '../logger.js'
import { isPrincipal, operationName, resourceTypeName } from './acl.js'
import type { Check } from './api-operations.js'
import type { Authorizer } from './authorizer.js'

/** Throws when the client's principal may not pass `check` on the named resource. */
export type LibraryCheck = (check: Check, resourceName: string) => void

/** The host in-process clients connect from, for ACLs that name hosts. */
const LIBRARY_HOST = '127.0.0.1'
const refusalLines = new LogRateLimiter()

/** The checker for a client created with `principal` (undefined: no checks). */
export function libraryCheck (authorizer: Authorizer | null, principal: unknown, log: Logger, what: string): LibraryCheck | undefined {
  if (principal === undefined) return undefined
  if (typeof principal !== 'string' || !isPrincipal(principal)) throw invalidOption(`${what} options.principal`, 'must look like User:NAME')
  if (authorizer === null) return undefined
  return (check, resourceName) => {
    if (authorizer.authorize(principal, LIBRARY_HOST, check.operation, check.resourceType, resourceName)) return
    const resource = `${resourceTypeName(check.resourceType)}:${resourceName}`
    const suppressed = refusalLines.admit(`${principal}|${check.operation}|${resource}`)
    if (suppressed !== null) log.warn({ principal, operation: operationName(check.operation), resource, suppressed }, `refused an in-process ${what}: the principal is not authorized`)
    throw new MillraceError('MR_ERR_KAFKA', `${principal} may not ${operationName(check.operation)} ${resource}`, { kafkaCode: check.errorCode })
  }
}
