/**
 * A fastify app serving only the console for `broker`, on a free port. The one place tests get
 * a console from, so it can become `Broker.start({ httpPort: 0 })` when the broker serves HTTP.
 */
import Fastify from 'fastify'
import type { Broker } from '../../src/broker.js'
import { mountConsole, type ConsoleOptions } from '../../src/http/console/console-routes.js'

export interface ConsoleServer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string
  close: () => Promise<void>
}

export async function startConsoleServer (broker: Broker, options: ConsoleOptions = {}): Promise<ConsoleServer> {
  const app = Fastify({ logger: false })
  mountConsole(app, broker, options)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the console server has no TCP address')
  return { url: `http://127.0.0.1:${address.port}`, close: async () => { await app.close() } }
}
