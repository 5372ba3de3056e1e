/**
 * Test helpers for the Kafka listener: a minimal wire client built on the project's own codecs
 * (requests in, responses matched by correlation id), and an async kcat runner. Nothing here
 * blocks the event loop: the broker under test runs in the same process.
 */
import { connect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { execFile } from 'node:child_process'
import { Writer } from '../../src/protocol/writer.js'
import { Reader } from '../../src/protocol/reader.js'
import { encodeRequestHeader, decodeResponseHeader, responseHeaderVersion } from '../../src/protocol/header.js'
import { FrameSplitter } from '../../src/protocol/frame.js'
import { codecByKey } from '../../src/protocol/apis/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { decodeBatches, type DecodedRecord } from '../../src/protocol/record-batch.js'

export class WireClient {
  readonly socket: Socket
  readonly #splitter = new FrameSplitter(1 << 30)
  readonly #waiting = new Map<number, { resolve: (body: Buffer) => void, reject: (err: Error) => void }>()
  #next = 1
  closed: Promise<void>

  private constructor (socket: Socket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => {
      for (const w of this.#waiting.values()) w.reject(new Error('connection closed'))
      this.#waiting.clear()
      resolve()
    }))
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.#splitter.push(chunk)) {
        const id = frame.readInt32BE(0)
        const w = this.#waiting.get(id)
        this.#waiting.delete(id)
        w?.resolve(frame)
      }
    })
  }

  /** A client over TLS (node:tls options: ca, cert, key …); resolves once the handshake is done. */
  static connectTls (port: number, options: ConnectionOptions = {}, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ port, host, ...options }, () => resolve(new WireClient(socket)))
      socket.once('error', reject)
    })
  }

  static connect (port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new WireClient(socket)))
      socket.once('error', reject)
    })
  }

  /** The whole frame (size included) of a request, for tests that mutate bytes. */
  frame (apiKey: number, version: number, body: unknown, correlationId = this.#next++): Buffer {
    const w = new Writer()
    const at = w.reserveInt32()
    encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: 'wire-test' })
    codecByKey(apiKey)!.encodeRequest(w, version, body)
    w.patchInt32(at, w.pos - at - 4)
    return w.toBuffer()
  }

  /** Sends a request and resolves with the decoded response. */
  async request<T = any> (apiKey: number, version: number, body: unknown): Promise<T> {
    const correlationId = this.#next++
    const answer = this.#expect(correlationId)
    this.socket.write(this.frame(apiKey, version, body, correlationId))
    const frame = await answer
    const r = new Reader(frame)
    decodeResponseHeader(r, responseHeaderVersion(apiKey, version))
    return codecByKey(apiKey)!.decodeResponse(r, version) as T
  }

  /** Resolves with the raw response frame (no size) carrying `correlationId`. */
  #expect (correlationId: number): Promise<Buffer> {
    return new Promise((resolve, reject) => this.#waiting.set(correlationId, { resolve, reject }))
  }

  expectRaw (correlationId: number): Promise<Buffer> { return this.#expect(correlationId) }

  write (bytes: Buffer): void { this.socket.write(bytes) }

  close (): void { this.socket.destroy() }
}

/** Reads a partition from `offset` until `count` records came back, by Fetch v11 over the wire. */
export async function fetchRecords (client: WireClient, topic: string, partition: number, offset: number, count: number): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = []
  let next = offset
  while (out.length < count) {
    const res = await client.request<FetchResponse>(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 1000, minBytes: 1, maxBytes: 8 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: next, logStartOffset: -1, partitionMaxBytes: 4 * 1024 * 1024 }] }],
      forgottenTopicsData: [], rackId: ''
    })
    const pd = res.responses[0].partitions[0]
    if (pd.errorCode !== 0) throw new Error(`fetch error ${pd.errorCode}`)
    const records = pd.records as Buffer
    for (const batch of decodeBatches(records)) {
      for (const rec of batch.records) {
        if (rec.offset < next) continue
        out.push(rec)
        next = rec.offset + 1
      }
    }
  }
  return out
}

/** Runs kcat with `args`, feeding `input` on stdin; resolves with stdout. */
export function kcat (args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`kcat ${args.join(' ')} failed: ${stderr}`))
      else resolve(stdout)
    })
    child.stdin!.end(input)
  })
}
