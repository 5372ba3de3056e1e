/**
 * One connection's SASL authentication on a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
 * SaslServerAuthenticator runs it:
 *
 *   handshake ──SaslHandshake(mechanism)──▶ authenticate ──tokens──▶ authenticated
 *       (ApiVersions allowed)                 v1: SaslAuthenticate requests
 *                                             v0: raw tokens, framed by a 4-byte size only
 *
 * Before `authenticated`, only the requests of the current step are served; the connection
 * closes on anything else (connection.ts). A failed exchange answers
 * SASL_AUTHENTICATION_FAILED (framed flow) and closes; every failure is reported to `onFailure`
 * (logged, rate-limited per address, by the server).
 *
 * Thread: the dispatcher's; one per connection.
 */
import { KafkaCode } from '../../protocol/error-codes.js'
import { ApiKey } from '../../protocol/api-keys.js'
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/apis/sasl-handshake.js'
import type { SaslAuthenticateResponse } from '../../protocol/apis/sasl-authenticate.js'
import type { CredentialStore } from './credential-store.js'
import { isScramMechanism, ScramServer } from './scram.js'
import { checkPlain } from './plain.js'

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

/**
 * Largest frame a SASL listener reads before authentication (Kafka's sasl.server.max.receive.size):
 * an unknown client cannot make the broker buffer maxRequestBytes per connection.
 */
export const SASL_MAX_RECEIVE_BYTES = 512 * 1024

/** Longest token accepted: SCRAM and PLAIN messages are a few hundred bytes. */
export const MAX_SASL_TOKEN_BYTES = 8192

export interface SaslFailure {
  mechanism: string | null
  user: string | null
  reason: string
}

type Step =
  | { readonly kind: 'challenge', readonly response: Buffer }
  | { readonly kind: 'success', readonly response: Buffer, readonly user: string }
  | { readonly kind: 'failure', readonly reason: string, readonly user: string | null }

export class SaslExchange {
  readonly #store: CredentialStore
  readonly #onFailure: (failure: SaslFailure) => void
  readonly #onSuccess: (principal: string, mechanism: string) => void
  #state: 'handshake' | 'authenticate' | 'authenticated' | 'failed' = 'handshake'
  #mechanism: string | null = null
  #framed = true
  #scram: ScramServer | null = null
  #busy = false
  /** `User:NAME` once authenticated. */
  principal: string | null = null

  constructor (store: CredentialStore, onFailure: (failure: SaslFailure) => void, onSuccess: (principal: string, mechanism: string) => void = () => {}) {
    this.#store = store
    this.#onFailure = onFailure
    this.#onSuccess = onSuccess
  }

  get authenticated (): boolean { return this.#state === 'authenticated' }
  /** The exchange failed: the connection closes once the answer (if any) is out. */
  get failed (): boolean { return this.#state === 'failed' }
  /** After a v0 handshake, the next frames are bare SASL tokens, not Kafka requests. */
  get expectsRawToken (): boolean { return this.#state === 'authenticate' && !this.#framed }

  /** Whether a request of `apiKey` may be served now (before authentication, only the current step's). */
  admits (apiKey: number): boolean {
    switch (this.#state) {
      case 'authenticated': return true
      case 'handshake': return apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake
      case 'authenticate': return apiKey === ApiKey.SaslAuthenticate
      default: return false
    }
  }

  handshake (req: SaslHandshakeRequest, version: number): SaslHandshakeResponse {
    const mechanisms = [...SASL_MECHANISMS]
    if (this.#state !== 'handshake') return { errorCode: KafkaCode.ILLEGAL_SASL_STATE, mechanisms }
    if (!(SASL_MECHANISMS as readonly string[]).includes(req.mechanism)) {
      this.#fail({ mechanism: req.mechanism, user: null, reason: `unsupported mechanism '${req.mechanism}'` })
      return { errorCode: KafkaCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }
    }
    this.#mechanism = req.mechanism
    this.#framed = version >= 1
    this.#state = 'authenticate'
    if (isScramMechanism(req.mechanism)) {
      const mechanism = req.mechanism
      this.#scram = new ScramServer(mechanism, (user) => this.#store.get(user, mechanism))
    }
    return { errorCode: KafkaCode.NONE, mechanisms }
  }

  /** A SaslAuthenticate request's token (framed flow). */
  async authenticate (authBytes: Buffer): Promise<SaslAuthenticateResponse> {
    if (this.#state !== 'authenticate' || !this.#framed || this.#busy) {
      return { errorCode: KafkaCode.ILLEGAL_SASL_STATE, errorMessage: 'unexpected SaslAuthenticate request', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }
    }
    const step = await this.#step(authBytes)
    if (step.kind === 'failure') {
      return { errorCode: KafkaCode.SASL_AUTHENTICATION_FAILED, errorMessage: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.#mechanism!}`, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }
    }
    return { errorCode: KafkaCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0 }
  }

  /** A bare token after a v0 handshake; null when the exchange failed (the connection just closes, as in Kafka). */
  async rawToken (token: Buffer): Promise<Buffer | null> {
    if (this.#state !== 'authenticate' || this.#busy) return null
    const step = await this.#step(token)
    return step.kind === 'failure' ? null : step.response
  }

  async #step (token: Buffer): Promise<Step> {
    this.#busy = true
    let step: Step
    try {
      if (token.length > MAX_SASL_TOKEN_BYTES) step = { kind: 'failure', reason: `a token of ${token.length} bytes (at most ${MAX_SASL_TOKEN_BYTES})`, user: null }
      else if (this.#scram !== null) step = this.#scram.step(token)
      else step = await checkPlain(this.#store, token)
    } catch (err) {
      step = { kind: 'failure', reason: `the exchange failed: ${(err as Error).message}`, user: null }
    } finally {
      this.#busy = false
    }
    if (step.kind === 'failure') this.#fail({ mechanism: this.#mechanism, user: step.user, reason: step.reason })
    else if (step.kind === 'success') {
      this.#state = 'authenticated'
      this.principal = `User:${step.user}`
      this.#onSuccess(this.principal, this.#mechanism!)
    }
    return step
  }

  #fail (failure: SaslFailure): void {
    this.#state = 'failed'
    this.#onFailure(failure)
  }
}
