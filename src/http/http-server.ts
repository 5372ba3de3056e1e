/**
 * The broker's HTTP endpoint: a fastify server that mounts every route module it is given
 * (./http-routes.ts) for one broker. Thread: the dispatcher's (the broker's main thread). It
 * only reads broker state through admin methods, at request time, never on the produce/fetch path.
 *
 * A route that throws answers 500 with a JSON body naming the error, and the error is logged
 * (fastify's own per-request logging stays off: one line per scrape or probe would be noise).
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { Broker } from '../broker.js'
import type { Logger } from '../logger.js'
import type { HttpRoutes } from './http-routes.js'

export interface HttpServerOptions {
  broker: Broker
  host: string
  /** 0 picks a free port. */
  port: number
  routes: readonly HttpRoutes[]
  logger: Logger
}

export class HttpServer {
  readonly #app: FastifyInstance
  #closing: Promise<void> | null = null

  private constructor (app: FastifyInstance) {
    this.#app = app
  }

  /** Registers the routes and listens; rejects (with the server closed) when it cannot, e.g. EADDRINUSE. */
  static async listen (options: HttpServerOptions): Promise<HttpServer> {
    const log = options.logger
    const app = Fastify({ logger: false })
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500
      if (status >= 500) log.error({ err, method: request.method, url: request.url }, `HTTP ${request.method} ${request.url} failed: ${err.message}`)
      void reply.code(status).send({ error: err.message })
    })
    try {
      for (const routes of options.routes) await app.register(async (scope) => { await routes(scope, options.broker) })
      await app.listen({ host: options.host, port: options.port })
    } catch (err) {
      await app.close().catch(() => {})
      throw err
    }
    return new HttpServer(app)
  }

  /** The port actually bound (the real one when 0 was asked for). */
  get port (): number {
    const address = this.#app.server.address()
    return typeof address === 'object' && address !== null ? address.port : 0
  }

  get host (): string {
    const address = this.#app.server.address()
    return typeof address === 'object' && address !== null ? address.address : ''
  }

  /** `host:port`, with an IPv6 host in brackets. */
  get address (): string {
    const host = this.host
    return `${host.includes(':') ? `[${host}]` : host}:${this.port}`
  }

  /** Stops listening and waits for requests in flight. */
  close (): Promise<void> {
    this.#closing ??= this.#app.close()
    return this.#closing
  }
}
