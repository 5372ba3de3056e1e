/**
 * The Kafka listener: accepts connections up to `maxConnections` (the rest are closed at once,
 * counted and logged) and hands each to a Connection. Accept errors are logged and the server
 * keeps listening; a descriptor limit too low for maxConnections is logged at start. `close()` stops accepting, lets every connection answer what
 * it already read (long-polls answer at once), then closes them.
 */
import { createServer, type Server, type Socket } from 'node:net'
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

export class KafkaServer {
  readonly counters: ServerCounters = newCounters()
  readonly #server: Server
  readonly #dispatcher: Dispatcher
  readonly #config: BrokerConfig
  readonly #connections = new Set<Connection>()
  readonly #refusals: RefusalLog
  readonly #log: Logger
  readonly #authorizer: Authorizer | null
  readonly #requestObserver: RequestObserver | null
  #closing: Promise<void> | null = null

  private constructor (dispatcher: Dispatcher, config: BrokerConfig, authorizer: Authorizer | null, requestObserver: RequestObserver | null) {
    this.#dispatcher = dispatcher
    this.#config = config
    this.#authorizer = authorizer
    this.#requestObserver = requestObserver
    this.#log = dispatcher.logger.child({ subsystem: 'server' })
    this.#refusals = new RefusalLog(this.#log, this.counters)
    this.#server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket))
  }

  static async listen (dispatcher: Dispatcher, config: BrokerConfig, authorizer: Authorizer | null = null, requestObserver: RequestObserver | null = null): Promise<KafkaServer> {
    const server = new KafkaServer(dispatcher, config, authorizer, requestObserver)
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject)
      server.#server.listen(config.port ?? 0, config.host, () => {
        server.#server.off('error', reject)
        resolve()
      })
    })
    // After listen, errors come from accept; the server keeps listening. (EMFILE mostly does not
    // get here: libuv closes such connections itself, hence the start-up check below.)
    server.#server.on('error', (err: NodeJS.ErrnoException) => server.#refusals.acceptFailed(err))
    await warnIfFewDescriptors(config.maxConnections, server.#log)
    return server
  }

  /** The port actually bound (the real one when 0 was asked for). */
  get port (): number {
    const address = this.#server.address()
    return typeof address === 'object' && address !== null ? address.port : 0
  }

  get host (): string {
    const address = this.#server.address()
    return typeof address === 'object' && address !== null ? address.address : this.#config.host
  }

  get connectionCount (): number { return this.#connections.size }

  #accept (socket: Socket): void {
    if (this.#closing !== null || this.#connections.size >= this.#config.maxConnections) {
      this.#refusals.connectionRefused(normaliseHost(socket.remoteAddress ?? ''), this.#closing !== null ? 'shutting-down' : 'max-connections', this.#config.maxConnections)
      socket.destroy()
      return
    }
    this.counters.accepted++
    const connection = new Connection(socket, {
      dispatcher: this.#dispatcher,
      config: this.#config,
      refusals: this.#refusals,
      requestObserver: this.#requestObserver,
      authorizer: this.#authorizer
    })
    this.#connections.add(connection)
    void connection.closed.then(() => this.#connections.delete(connection))
  }

  close (): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()))
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
