/**
 * One Server-Sent-Events response: takes the socket over from fastify, writes `event:`/`data:`
 * frames, and calls `onClose` once when the page goes away or the server closes the stream.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000

export class EventStream {
  readonly #reply: FastifyReply
  readonly #keepAlive: NodeJS.Timeout
  #closed = false
  #onClose: () => void = () => {}

  constructor (request: FastifyRequest, reply: FastifyReply) {
    this.#reply = reply
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff'
    })
    // Tells EventSource how long to wait before it reconnects after a drop.
    reply.raw.write('retry: 2000\n\n')
    this.#keepAlive = setInterval(() => { if (!this.#closed) reply.raw.write(': keep-alive\n\n') }, KEEP_ALIVE_MS)
    this.#keepAlive.unref()
    request.raw.socket.once('close', () => this.end())
  }

  set onClose (fn: () => void) { this.#onClose = fn }

  get closed (): boolean { return this.#closed }

  /**
   * Writes one frame. Samples are snapshots, each replacing the last: while the page has not read
   * the previous one the new one is skipped (returns false) rather than queued without bound.
   */
  send (event: string, data: unknown): boolean {
    if (this.#closed || this.#reply.raw.writableNeedDrain) return false
    // JSON never holds a raw newline, so one data line per frame is enough.
    this.#reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    return true
  }

  end (): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#keepAlive)
    this.#reply.raw.end()
    this.#onClose()
  }
}
