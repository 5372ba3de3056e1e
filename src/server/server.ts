/**
 * The Kafka listeners (one TCP or TLS server each, config.listeners): accepts connections up to `maxConnections` (the rest are closed at once,
 * counted and logged) and hands each to a Connection. Accept errors are logged and the server
 * keeps listening; a descriptor limit too low for maxConnections is logged at start. `close()` stops accepting, lets every connection answer what
 * it already read (long-polls answer at once), then closes them.
 *
 * SSL and SASL_SSL listeners share one certificate (tls-context.ts); `reloadTls` swaps it for new
 * connections while open ones keep theirs. On SASL listeners each connection gets a SaslExchange
 * over the broker's credential store.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls'
import { isSaslProtocol, isTlsProtocol, type ListenerConfig, type SecurityProtocol } from '../config/listeners.js'
import { loadTls, serverOptions, tlsPrincipal } from './tls-context.js'
import { SaslExchange } from './sasl/sasl-exchange.js'
import type { CredentialStore } from './sasl/credential-store.js'
import { ANONYMOUS_PRINCIPAL } from './context.js'
import type { BrokerConfig } from '../config/broker-config.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import { Connection, newCounters, normaliseHost, type ServerCounters } from './connection.js'
import { RefusalLog } from './refusals.js'
import { warnIfFewDescriptors } from './descriptor-limit.js'
import type { Logger } from '../logger.js'
import type { RequestObserver } from './request-observer.js'
import type { Authorizer } from '../security/authorizer.js'

/** Longest close() waits for connections to finish their responses before cutting them. */
const CLOSE_GRACE_MS = 5000

/** A listener as bound: its real port (the one picked when 0 was asked for). */
export interface BoundListener {
  readonly name: string
  readonly protocol: SecurityProtocol
  readonly host: string
  readonly port: number
}

interface Listener {
  readonly config: ListenerConfig
  readonly server: Server
  readonly tls: boolean
}

export class KafkaServer {
  readonly counters: ServerCounters = newCounters()
  readonly #listeners: Listener[] = []
  readonly #credentials: CredentialStore
  readonly #dispatcher: Dispatcher
  readonly #config: BrokerConfig
  readonly #connections = new Set<Connection>()
  readonly #refusals: RefusalLog
  readonly #log: Logger
  readonly #authorizer: Authorizer | null
  readonly #requestObserver: RequestObserver | null
  #closing: Promise<void> | null = null

  private constructor (dispatcher: Dispatcher, config: BrokerConfig, credentials: CredentialStore, authorizer: Authorizer | null, requestObserver: RequestObserver | null) {
    this.#dispatcher = dispatcher
    this.#config = config
    this.#credentials = credentials
    this.#authorizer = authorizer
    this.#requestObserver = requestObserver
    this.#log = dispatcher.logger.child({ subsystem: 'server' })
    this.#refusals = new RefusalLog(this.#log, this.counters)
  }

  /** Opens every listener; a bad certificate or a port in use closes those already open and throws. */
  static async listen (dispatcher: Dispatcher, config: BrokerConfig, credentials: CredentialStore, authorizer: Authorizer | null = null, requestObserver: RequestObserver | null = null): Promise<KafkaServer> {
    const server = new KafkaServer(dispatcher, config, credentials, authorizer, requestObserver)
    const loaded = config.tls !== null && config.listeners.some((l) => isTlsProtocol(l.protocol)) ? await loadTls(config.tls) : null
    try {
      for (const listener of config.listeners) await server.#open(listener, loaded === null ? null : serverOptions(config.tls!, loaded))
    } catch (err) {
      for (const l of server.#listeners) l.server.close()
      throw err
    }
    if (loaded !== null) server.#log.info({ subject: loaded.subject, validTo: loaded.validTo }, 'TLS certificate loaded')
    await warnIfFewDescriptors(config.maxConnections, server.#log)
    return server
  }

  async #open (config: ListenerConfig, tlsOptions: ReturnType<typeof serverOptions> | null): Promise<void> {
    const tls = isTlsProtocol(config.protocol)
    const server: Server = tls
      // No allowHalfOpen over TLS: a client that closes before the handshake ends would leave a
      // socket nobody ends (the Connection that would end it does not exist yet), and a server
      // close() waiting for it forever. TLS clients do not half-close to wait for answers anyway.
      ? createTlsServer({ ...tlsOptions!, noDelay: true }, (socket) => this.#accept(socket, config, true))
      : createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket, config, false))
    if (tls) {
      (server as TlsServer).on('tlsClientError', (err: Error, socket: TLSSocket) => {
        this.#refusals.tlsHandshakeFailed(normaliseHost(socket.remoteAddress ?? ''), config.name, err)
      })
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    // After listen, errors come from accept; the server keeps listening. (EMFILE mostly does not
    // get here: libuv closes such connections itself, hence the start-up check.)
    server.on('error', (err: NodeJS.ErrnoException) => this.#refusals.acceptFailed(err))
    this.#listeners.push({ config, server, tls })
  }

  /**
   * Reads the certificate, key and CA files again and serves them to new TLS connections; open
   * connections keep the session they have. A file that is wrong leaves the old certificate in place and throws.
   */
  async reloadTls (): Promise<void> {
    const tlsConfig = this.#config.tls
    if (tlsConfig === null) return
    const loaded = await loadTls(tlsConfig)
    for (const l of this.#listeners) if (l.tls) (l.server as TlsServer).setSecureContext(serverOptions(tlsConfig, loaded))
    this.#log.info({ subject: loaded.subject, validTo: loaded.validTo }, 'TLS certificate reloaded')
  }

  /** Each listener as bound, in the configured order. */
  get listeners (): BoundListener[] {
    return this.#listeners.map(({ config, server }) => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null
      return { name: config.name, protocol: config.protocol, host: bound ? address.address : config.host, port: bound ? address.port : 0 }
    })
  }

  /** The first listener's port actually bound (the real one when 0 was asked for). */
  get port (): number { return this.listeners[0]?.port ?? 0 }

  get host (): string { return this.listeners[0]?.host ?? this.#config.host }

  get connectionCount (): number { return this.#connections.size }

  #accept (socket: Socket, listener: ListenerConfig, tls: boolean): void {
    if (this.#closing !== null || this.#connections.size >= this.#config.maxConnections) {
      this.#refusals.connectionRefused(normaliseHost(socket.remoteAddress ?? ''), this.#closing !== null ? 'shutting-down' : 'max-connections', this.#config.maxConnections)
      socket.destroy()
      return
    }
    const principal = tls ? tlsPrincipal(socket as TLSSocket) : undefined
    if (principal === null) {
      // ssl.client.auth=requested and a certificate the CA does not vouch for: Kafka refuses it too.
      this.#refusals.tlsHandshakeFailed(normaliseHost(socket.remoteAddress ?? ''), listener.name, new Error(`untrusted client certificate: ${String((socket as TLSSocket).authorizationError)}`))
      socket.destroy()
      return
    }
    this.counters.accepted++
    const remoteHost = normaliseHost(socket.remoteAddress ?? '')
    const remotePort = socket.remotePort ?? 0
    const client = remoteHost.includes(':') ? `[${remoteHost}]:${remotePort}` : `${remoteHost}:${remotePort}`
    // Once per connection, at debug (Kafka logs successful authentication at debug too).
    if (principal !== undefined && principal !== ANONYMOUS_PRINCIPAL) this.#log.debug({ client, listener: listener.name, principal }, 'client authenticated by its TLS certificate')
    const sasl = isSaslProtocol(listener.protocol)
      ? new SaslExchange(this.#credentials,
        (failure) => this.#refusals.authenticationFailed(remoteHost, remotePort, listener.name, failure),
        (authenticated, mechanism) => this.#log.debug({ client, listener: listener.name, principal: authenticated, mechanism }, 'client authenticated by SASL'))
      : null
    const connection = new Connection(socket, {
      dispatcher: this.#dispatcher,
      config: this.#config,
      refusals: this.#refusals,
      requestObserver: this.#requestObserver,
      authorizer: this.#authorizer,
      listenerName: listener.name,
      sasl,
      principal,
      credentials: this.#credentials
    })
    this.#connections.add(connection)
    void connection.closed.then(() => this.#connections.delete(connection))
  }

  close (): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = Promise.all(this.#listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))))
      // Shutting a connection down ends its long-polls too.
      const all = [...this.#connections]
      const grace = setTimeout(() => { for (const c of all) c.destroy() }, CLOSE_GRACE_MS)
      await Promise.all(all.map((c) => c.shutdown()))
      clearTimeout(grace)
      await stopped
    })()
    return this.#closing
  }
}
