/**
 * One client connection: splits the byte stream into frames, routes each request, and writes
 * responses strictly in the order requests arrived, even while an earlier long-poll Fetch is
 * still parked. Requests run concurrently; each holds a slot in the response queue (except
 * acks=0 Produce, which is never answered). Transactional requests (routes marked `ordered`)
 * are the exception: one starts only after every earlier request has finished, and later
 * requests wait for it, so request N+1 is never applied before N where it matters (an EndTxn
 * after its Produce, a Produce after its AddPartitionsToTxn).
 *
 * Bad framing (negative or oversized size), an unknown API key, an unsupported version of any
 * API but ApiVersions, and a body that does not decode all close the connection: the stream
 * cannot be trusted after that. Each refusal is counted and logged (rate-limited, refusals.ts):
 * the client sees only a closed socket. Nothing a client sends may throw out of this class.
 *
 * Backpressure: reading pauses while too many requests wait for their turn or while the
 * socket holds too many unsent bytes (a client that stops reading), and resumes on drain.
 */
import type { Socket } from 'node:net'
import { setMaxListeners } from 'node:events'
import { FrameSizeError, FrameSplitter, encodeResponseSegments, SegmentWriter } from '../protocol/frame.js'
import { Reader } from '../protocol/reader.js'
import { ApiKey, isSupported } from '../protocol/api-keys.js'
import { decodeRequestHeader, peekClientId, peekRequestHeader, responseHeaderVersion } from '../protocol/header.js'
import * as apiVersionsCodec from '../protocol/apis/api-versions.js'
import type { BrokerConfig } from '../config/broker-config.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import { ANONYMOUS_PRINCIPAL, type RequestContext } from './context.js'
import { routeOf, SERVED_APIS, type Route } from './router.js'
import { unsupportedVersionResponse } from './handlers/api-versions.js'
import type { RefusalLog, RefusalReason, RequestOrigin } from './refusals.js'
import type { RequestObserver } from './request-observer.js'
import type { Authorizer } from '../security/authorizer.js'
import { OPEN_ACCESS, PrincipalAccess } from './access.js'
import { SASL_MAX_RECEIVE_BYTES, type SaslExchange } from './sasl/sasl-exchange.js'
import type { CredentialStore } from './sasl/credential-store.js'

/** Requests of one connection waiting for their response before reading pauses. */
export const MAX_INFLIGHT_REQUESTS = 128
/** Unsent response bytes of one connection before reading pauses. */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024

export interface ServerCounters {
  accepted: number
  rejected: number
  malformedFrames: number
  malformedRequests: number
  unknownApiKeys: number
  unsupportedVersions: number
  handlerFailures: number
  /** Connections the listener failed to accept (EMFILE …). */
  acceptErrors: number
  /** Checks the authorizer refused (each answered with an authorization error). */
  authorizationFailures: number
  /** Requests refused on a SASL listener before authentication completed. */
  unauthenticatedRequests: number
  authenticationFailures: number
  tlsHandshakeFailures: number
}

export function newCounters (): ServerCounters {
  return { accepted: 0, rejected: 0, malformedFrames: 0, malformedRequests: 0, unknownApiKeys: 0, unsupportedVersions: 0, handlerFailures: 0, acceptErrors: 0, authorizationFailures: 0, unauthenticatedRequests: 0, authenticationFailures: 0, tlsHandshakeFailures: 0 }
}

interface Slot {
  segments: Buffer[] | null
}

export interface ConnectionOptions {
  dispatcher: Dispatcher
  config: BrokerConfig
  /** Counts and logs what this connection refuses (shared by the server's connections). */
  refusals: RefusalLog
  /** Told of each handled request and its duration (the metrics); null takes no timings. */
  requestObserver: RequestObserver | null
  /** Checks each request's principal; null: no authorizer, everything is allowed. */
  authorizer: Authorizer | null
  /** The listener's name (Metadata advertises that listener); default PLAINTEXT. */
  listenerName?: string
  /** On a SASL listener: the exchange that must succeed before other requests are served. */
  sasl?: SaslExchange | null
  /** The principal before SASL: a TLS client certificate's subject, else anonymous. */
  principal?: string
  /** The broker's SCRAM credentials, for the credential APIs. */
  credentials?: CredentialStore
}

export class Connection {
  readonly #socket: Socket
  readonly #options: ConnectionOptions
  readonly #splitter: FrameSplitter
  readonly #queue: Slot[] = []
  /** Requests whose handler has not finished yet: what an ordered request waits for. */
  readonly #unfinished = new Set<Promise<unknown>>()
  /** Set while an ordered request is in flight: later requests start after it. */
  #barrier: Promise<unknown> | null = null
  readonly #localHost: string
  readonly #localPort: number
  readonly #remoteHost: string
  readonly #remotePort: number
  readonly #sasl: SaslExchange | null
  /** Aborted when this connection closes or shuts down: its long-polls answer at once. */
  readonly #stopWaiting = new AbortController()
  readonly closed: Promise<void>
  /** Who the client is, as Kafka names principals: set by authentication, anonymous until then. */
  principal = ANONYMOUS_PRINCIPAL
  #ending = false
  #destroyed = false
  #paused = false

  constructor (socket: Socket, options: ConnectionOptions) {
    this.#socket = socket
    this.#options = options
    this.#splitter = new FrameSplitter(options.config.maxRequestBytes)
    this.#localHost = normaliseHost(socket.localAddress ?? options.config.host)
    this.#localPort = socket.localPort ?? 0
    this.#remoteHost = normaliseHost(socket.remoteAddress ?? '')
    this.#remotePort = socket.remotePort ?? 0
    this.#sasl = options.sasl ?? null
    if (this.#sasl !== null) this.#splitter.maxFrameBytes = Math.min(SASL_MAX_RECEIVE_BYTES, options.config.maxRequestBytes)
    this.principal = options.principal ?? ANONYMOUS_PRINCIPAL
    // Each parked long-poll listens on the signal, and up to MAX_INFLIGHT_REQUESTS may be parked.
    setMaxListeners(MAX_INFLIGHT_REQUESTS, this.#stopWaiting.signal)
    this.closed = new Promise((resolve) => socket.once('close', () => { this.#destroyed = true; this.#stop(); resolve() }))
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => this.#updateFlow())
    socket.on('error', () => this.destroy())
    socket.on('end', () => this.#end())
  }

  /** Stops reading, lets requests already read finish and their responses go out, then closes. */
  shutdown (): Promise<void> {
    this.#ending = true
    this.#socket.pause()
    this.#stop()
    this.#maybeFinish()
    return this.closed
  }

  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#stop()
    this.#socket.destroy()
  }

  #stop (): void {
    this.#stopWaiting.abort()
  }

  #end (): void {
    // The client half-closed: answer what was asked (long-polls at once), then close our side.
    if (this.#splitter.pendingBytes > 0) this.#refuse('truncated-frame', null, `${this.#splitter.pendingBytes} bytes of an unfinished frame`)
    this.#ending = true
    this.#stop()
    this.#maybeFinish()
  }

  #maybeFinish (): void {
    if (this.#ending && this.#queue.length === 0 && !this.#destroyed) this.#socket.end()
  }

  #onData (chunk: Buffer): void {
    if (this.#destroyed || this.#ending) return
    let frames: Buffer[]
    try {
      frames = this.#splitter.push(chunk)
    } catch (err) {
      this.#refuse('bad-frame-size', null, err instanceof FrameSizeError ? `size ${err.size}, at most ${err.maxBytes}` : String(err))
      this.destroy()
      return
    }
    for (const frame of frames) {
      if (this.#destroyed) return
      this.#onFrame(frame)
    }
    this.#updateFlow()
  }

  #onFrame (frame: Buffer): void {
    const sasl = this.#sasl
    if (sasl !== null && sasl.expectsRawToken) {
      this.#onRawSaslToken(sasl, frame)
      return
    }
    const r = new Reader(frame)
    let peek
    try {
      peek = peekRequestHeader(r)
    } catch (err) {
      this.#refuse('malformed-request', null, (err as Error).message)
      this.destroy()
      return
    }
    if (sasl !== null && !sasl.admits(peek.apiKey)) {
      // Kafka's rule: nothing but ApiVersions and the SASL steps before authentication.
      this.#refuse('unauthenticated', r)
      this.destroy()
      return
    }
    const route = routeOf(peek.apiKey)
    if (route === undefined) {
      this.#refuse('unknown-api', r)
      this.destroy()
      return
    }
    if (!isSupported(peek.apiKey, peek.apiVersion)) {
      if (peek.apiKey === ApiKey.ApiVersions && peek.apiVersion > 0) {
        // Never close on ApiVersions: answer in v0 format so any client can read it.
        const slot: Slot = { segments: null }
        this.#queue.push(slot)
        this.#complete(slot, peek.correlationId, 0, (w) => apiVersionsCodec.encodeResponse(w, 0, unsupportedVersionResponse(SERVED_APIS)))
        return
      }
      this.#refuse('unsupported-version', r)
      this.destroy()
      return
    }
    const start = r.pos
    let header
    let request: unknown
    try {
      header = decodeRequestHeader(r)
      request = route.codec.decodeRequest(r, header.apiVersion)
    } catch (err) {
      r.pos = start
      this.#refuse('malformed-request', r, (err as Error).message)
      this.destroy()
      return
    }
    const ctx: RequestContext = {
      dispatcher: this.#options.dispatcher,
      config: this.#options.config,
      apiVersion: header.apiVersion,
      clientId: header.clientId,
      localHost: this.#localHost,
      localPort: this.#localPort,
      remoteHost: this.#remoteHost,
      principal: this.principal,
      access: this.#options.authorizer === null
        ? OPEN_ACCESS
        : new PrincipalAccess(this.#options.authorizer, this.principal, { remoteHost: this.#remoteHost, remotePort: this.#remotePort, clientId: header.clientId, apiKey: header.apiKey, apiVersion: header.apiVersion }, this.#options.refusals),
      listenerName: this.#options.listenerName ?? 'PLAINTEXT',
      sasl,
      credentials: this.#options.credentials,
      stopWaiting: this.#stopWaiting.signal
    }
    const observer = this.#options.requestObserver
    const started = observer === null ? 0 : performance.now()
    const silent = route.silent?.(request) === true
    const slot: Slot | null = silent ? null : { segments: null }
    if (slot !== null) this.#queue.push(slot)
    const pending = this.#start(route, ctx, request)
    const { correlationId, apiKey, apiVersion, clientId } = header
    pending.then((response) => {
      if (observer !== null) observer.requestHandled(apiKey, (performance.now() - started) / 1000)
      this.#unfinished.delete(pending)
      if (slot === null) {
        if (route.failed?.(response) === true) this.destroy()
        return
      }
      this.#complete(slot, correlationId, apiVersion, (w) => route.codec.encodeResponse(w, apiVersion, response), apiKey, clientId)
      if (sasl !== null && !sasl.authenticated) this.#afterSaslStep(sasl)
    }, (err: unknown) => {
      if (observer !== null) observer.requestHandled(apiKey, (performance.now() - started) / 1000)
      this.#unfinished.delete(pending)
      this.#handlerFailed(apiKey, apiVersion, clientId, err)
    })
  }

  /** Runs the handler now, or after the requests it must follow (see `ordered` in router.ts). */
  #start (route: Route, ctx: RequestContext, request: unknown): Promise<unknown> {
    const run = (): Promise<unknown> => {
      try {
        return Promise.resolve(route.handle(ctx, request))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    let pending: Promise<unknown>
    if (route.ordered === true) {
      pending = Promise.allSettled([...this.#unfinished]).then(run)
      const barrier = pending.then(() => {}, () => {})
      this.#barrier = barrier
      void barrier.then(() => { if (this.#barrier === barrier) this.#barrier = null })
    } else if (this.#barrier !== null) {
      pending = this.#barrier.then(run)
    } else {
      pending = run()
    }
    this.#unfinished.add(pending)
    return pending
  }

  /** After a SASL step: take the principal it proved, or close once a failure's answer is out. */
  #afterSaslStep (sasl: SaslExchange): void {
    if (sasl.principal !== null) this.#authenticated(sasl.principal)
    if (!sasl.failed) return
    this.#ending = true
    this.#stop()
    this.#maybeFinish()
  }

  #authenticated (principal: string): void {
    this.principal = principal
    this.#splitter.maxFrameBytes = this.#options.config.maxRequestBytes
  }

  /** Legacy flow (SaslHandshake v0): a bare token in, a bare token out; a failure just closes, as in Kafka. */
  #onRawSaslToken (sasl: SaslExchange, token: Buffer): void {
    const slot: Slot = { segments: null }
    this.#queue.push(slot)
    sasl.rawToken(token).then((response) => {
      if (response === null) {
        this.destroy()
        return
      }
      if (this.#destroyed) return
      const size = Buffer.allocUnsafe(4)
      size.writeInt32BE(response.length, 0)
      slot.segments = [size, response]
      if (sasl.principal !== null) this.#authenticated(sasl.principal)
      this.#flush()
    }, () => this.destroy())
  }

  #complete (slot: Slot, correlationId: number, apiVersion: number, body: (w: SegmentWriter) => void, apiKey: number = ApiKey.ApiVersions, clientId: string | null = null): void {
    if (this.#destroyed) return
    try {
      const w = new SegmentWriter(256)
      slot.segments = encodeResponseSegments(w, correlationId, responseHeaderVersion(apiKey, apiVersion), body as (w: unknown) => void)
    } catch (err) {
      this.#handlerFailed(apiKey, apiVersion, clientId, err)
      return
    }
    this.#flush()
  }

  /** Counts and logs a refused request; `r` (at the header) names the client and API when the bytes allow. */
  #refuse (reason: RefusalReason, r: Reader | null, detail?: string): void {
    let origin: RequestOrigin = { remoteHost: this.#remoteHost, remotePort: this.#remotePort, clientId: null, apiKey: null, apiVersion: null }
    if (r !== null) {
      const peek = peekRequestHeader(r)
      origin = { ...origin, clientId: peekClientId(r), apiKey: peek.apiKey, apiVersion: peek.apiVersion }
    }
    this.#options.refusals.refused(reason, origin, detail)
  }

  #handlerFailed (apiKey: number, apiVersion: number, clientId: string | null, err: unknown): void {
    this.#options.refusals.handlerFailed({ remoteHost: this.#remoteHost, remotePort: this.#remotePort, clientId, apiKey, apiVersion }, err)
    this.destroy()
  }

  #flush (): void {
    if (this.#queue.length === 0 || this.#queue[0].segments === null) return
    this.#socket.cork()
    while (this.#queue.length > 0 && this.#queue[0].segments !== null) {
      const slot = this.#queue.shift()!
      for (const segment of slot.segments!) this.#socket.write(segment)
    }
    this.#socket.uncork()
    this.#updateFlow()
    this.#maybeFinish()
  }

  #updateFlow (): void {
    if (this.#destroyed || this.#ending) return
    const busy = this.#queue.length >= MAX_INFLIGHT_REQUESTS || this.#socket.writableLength >= MAX_UNSENT_BYTES
    if (busy && !this.#paused) {
      this.#paused = true
      this.#socket.pause()
    } else if (!busy && this.#paused) {
      this.#paused = false
      this.#socket.resume()
    }
  }
}

/** '::ffff:127.0.0.1' (an IPv4 client on a dual-stack socket) → '127.0.0.1'. */
export function normaliseHost (address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
