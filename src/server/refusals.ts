/**
 * What the Kafka listener refuses, counted and logged: requests it cannot frame, parse or serve
 * (their connection is closed), connections over the limit, handlers that fail, and accept
 * errors (EMFILE …). A refused client only sees its connection close, so the broker's log is
 * where the reason shows.
 *
 * Every event is counted (ServerCounters). Log lines are rate-limited per key: one per client
 * address, client id, reason, API and version a second, and the next line says how many were
 * held back (`suppressed`), so a client in a reconnect storm costs a line a second, not one per
 * attempt. The key leaves out the client's port, which changes with every reconnect.
 *
 * Thread: the dispatcher's (main thread); one per KafkaServer, shared by its connections.
 */
import { apiByKey } from '../protocol/api-keys.js'
import { LogRateLimiter, type Logger } from '../logger.js'
import type { ServerCounters } from './connection.js'
import type { Check } from '../security/api-operations.js'
import { operationName, resourceTypeName } from '../security/acl.js'
import { errorName } from '../protocol/error-codes.js'

export type RefusalReason =
  /** A frame size below zero or above maxRequestBytes. */
  | 'bad-frame-size'
  /** The client half-closed in the middle of a frame. */
  | 'truncated-frame'
  /** A request header or body that does not decode. */
  | 'malformed-request'
  /** An API key this broker does not serve. */
  | 'unknown-api'
  /** A version outside the served range of the API (ApiVersions is answered instead). */
  | 'unsupported-version'
  /** On a SASL listener, a request other than the current authentication step's. */
  | 'unauthenticated'

const MESSAGES: Record<RefusalReason, string> = {
  'bad-frame-size': 'refused a request: frame size out of range; closing the connection',
  'truncated-frame': 'refused a request: the client closed in the middle of a frame',
  'malformed-request': 'refused a request that does not decode; closing the connection',
  'unknown-api': 'refused a request for an API this broker does not serve; closing the connection',
  'unsupported-version': 'refused a request with an unsupported API version; closing the connection',
  unauthenticated: 'refused a request before SASL authentication completed; closing the connection'
}

/** Who sent a request, and what it was (null where the bytes did not say). */
export interface RequestOrigin {
  remoteHost: string
  remotePort: number
  clientId: string | null
  apiKey: number | null
  apiVersion: number | null
}

function apiName (apiKey: number | null): string | null {
  if (apiKey === null) return null
  return apiByKey(apiKey)?.name ?? `unknown API key ${apiKey}`
}

function servedVersions (apiKey: number | null): string | null {
  const info = apiKey === null ? undefined : apiByKey(apiKey)
  return info === undefined ? null : `${info.minVersion}-${info.maxVersion}`
}

export class RefusalLog {
  readonly #log: Logger
  readonly #counters: ServerCounters
  readonly #limiter: LogRateLimiter
  readonly #now: () => number

  constructor (log: Logger, counters: ServerCounters, options: { limiter?: LogRateLimiter, now?: () => number } = {}) {
    this.#log = log
    this.#counters = counters
    this.#limiter = options.limiter ?? new LogRateLimiter()
    this.#now = options.now ?? Date.now
  }

  /** A request refused for `reason`; `detail` says more (a size, a decode error). */
  refused (reason: RefusalReason, origin: RequestOrigin, detail?: string): void {
    const c = this.#counters
    switch (reason) {
      case 'bad-frame-size': case 'truncated-frame': c.malformedFrames++; break
      case 'malformed-request': c.malformedRequests++; break
      case 'unknown-api': c.unknownApiKeys++; break
      case 'unsupported-version': c.unsupportedVersions++; break
      case 'unauthenticated': c.unauthenticatedRequests++; break
    }
    const suppressed = this.#admit(reason, origin)
    if (suppressed === null) return
    this.#log.warn({ ...this.#fields(reason, origin, suppressed), supportedVersions: servedVersions(origin.apiKey), detail }, MESSAGES[reason])
  }

  /** The authorizer refused `principal` the check on a resource; the client gets `check.errorCode`. */
  denied (origin: RequestOrigin, principal: string, check: Check, resourceName: string): void {
    this.#counters.authorizationFailures++
    const key = `denied|${principal}|${origin.remoteHost}|${origin.apiKey ?? ''}|${check.operation}|${check.resourceType}|${resourceName}`
    const suppressed = this.#limiter.admit(key, this.#now())
    if (suppressed === null) return
    this.#log.warn({
      ...this.#fields('authorization-failed', origin, suppressed),
      principal,
      operation: operationName(check.operation),
      resource: `${resourceTypeName(check.resourceType)}:${resourceName}`,
      errorCode: errorName(check.errorCode)
    }, 'refused a request: the principal is not authorized (add an ACL with millrace acls create)')
  }

  /** A handler threw (or its response did not encode): the request gets no answer and its connection closes. */
  handlerFailed (origin: RequestOrigin, err: unknown): void {
    this.#counters.handlerFailures++
    const suppressed = this.#admit('handler-failure', origin)
    if (suppressed === null) return
    this.#log.error({ ...this.#fields('handler-failure', origin, suppressed), err }, 'a request handler failed; closing the connection')
  }

  /** A SASL exchange failed (bad password, unknown user, malformed token …); its connection closes. One line a second per address. */
  authenticationFailed (remoteHost: string, remotePort: number, listener: string, failure: { mechanism: string | null, user: string | null, reason: string }): void {
    this.#counters.authenticationFailures++
    const suppressed = this.#limiter.admit(`sasl|${remoteHost}`, this.#now())
    if (suppressed === null) return
    this.#log.warn({ client: remoteHost.includes(':') ? `[${remoteHost}]:${remotePort}` : `${remoteHost}:${remotePort}`, listener, mechanism: failure.mechanism, user: failure.user, reason: failure.reason, suppressed }, 'SASL authentication failed; closing the connection')
  }

  /** A TLS handshake failed (no or an untrusted client certificate, an old protocol version, not TLS at all). */
  tlsHandshakeFailed (remoteHost: string, listener: string, err: Error): void {
    this.#counters.tlsHandshakeFailures++
    const suppressed = this.#limiter.admit(`tls|${remoteHost}`, this.#now())
    if (suppressed === null) return
    this.#log.warn({ client: remoteHost, listener, code: (err as NodeJS.ErrnoException).code, reason: err.message, suppressed }, 'TLS handshake failed; closing the connection')
  }

  /** A connection closed at once: maxConnections reached, or the server is shutting down. */
  connectionRefused (remoteHost: string, why: 'max-connections' | 'shutting-down', maxConnections: number): void {
    this.#counters.rejected++
    if (why === 'shutting-down') return
    const suppressed = this.#limiter.admit(`connection|${remoteHost}`, this.#now())
    if (suppressed === null) return
    this.#log.warn({ reason: why, client: remoteHost, maxConnections, suppressed }, 'connection limit reached; closing a new connection at once (raise maxConnections?)')
  }

  /** The listener failed to accept a connection (EMFILE, ENFILE …); it keeps listening. */
  acceptFailed (err: NodeJS.ErrnoException): void {
    this.#counters.acceptErrors++
    const suppressed = this.#limiter.admit(`accept|${err.code ?? 'unknown'}`, this.#now())
    if (suppressed === null) return
    this.#log.error({ code: err.code, err, suppressed }, err.code === 'EMFILE' || err.code === 'ENFILE'
      ? 'could not accept a connection: out of file descriptors (raise ulimit -n or lower maxConnections); still listening'
      : 'could not accept a connection; still listening')
  }

  #admit (reason: string, o: RequestOrigin): number | null {
    return this.#limiter.admit(`${reason}|${o.remoteHost}|${o.clientId ?? ''}|${o.apiKey ?? ''}|${o.apiVersion ?? ''}`, this.#now())
  }

  #fields (reason: string, o: RequestOrigin, suppressed: number): Record<string, unknown> {
    return {
      reason,
      clientId: o.clientId,
      client: o.remoteHost.includes(':') ? `[${o.remoteHost}]:${o.remotePort}` : `${o.remoteHost}:${o.remotePort}`,
      apiKey: o.apiKey,
      api: apiName(o.apiKey),
      apiVersion: o.apiVersion,
      suppressed
    }
  }
}
