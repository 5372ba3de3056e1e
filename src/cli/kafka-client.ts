/**
 * The Kafka client behind the `topics`, `produce` and `consume` commands. It speaks only
 * standard Kafka APIs, so it works against any broker, not just Millrace.
 *
 * KafkaConnection: one socket to one broker. On open it sends ApiVersions and then uses, for
 * each API, the highest version that both the broker and our codecs (src/protocol/apis) handle.
 * Requests carry increasing correlation ids; responses are matched by id, and each request
 * fails with a clear error when its timeout passes or the socket closes.
 *
 * KafkaClient: the connection to the bootstrap broker plus, when Metadata names another broker
 * as a partition's leader or FindCoordinator names a group's coordinator, connections to those
 * brokers (at their advertised host:port).
 *
 * Lives on the main thread of a short-lived CLI process; nothing here is on a hot path.
 */
import { connect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { authenticate, PLAINTEXT_SECURITY, readClientSecurity, tlsOptions, type ClientSecurity } from './client-security.js'
import { ApiKey, apiByKey } from '../protocol/api-keys.js'
import { codecByKey } from '../protocol/apis/index.js'
import type { ApiVersionsResponse } from '../protocol/apis/api-versions.js'
import type { FindCoordinatorResponse } from '../protocol/apis/find-coordinator.js'
import type { ListOffsetsResponse } from '../protocol/apis/list-offsets.js'
import type { MetadataResponse, MetadataResponseBroker, MetadataResponseTopic } from '../protocol/apis/metadata.js'
import { errorName, KafkaCode } from '../protocol/error-codes.js'
import { FrameSplitter } from '../protocol/frame.js'
import { decodeResponseHeader, encodeRequestHeader, responseHeaderVersion } from '../protocol/header.js'
import { Reader } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'
import { CliError, DEFAULT_BOOTSTRAP, DEFAULT_REQUEST_TIMEOUT_MS, formatEndpoint, intFlag, parseEndpoint, type Endpoint } from './args.js'

const CLIENT_ID = 'millrace-cli'
const CLIENT_SOFTWARE_VERSION = '0.1.0'

/**
 * Versions above these need more than this client does: Fetch v13 addresses topics by id
 * only, which would need topic ids from Metadata first. Every other API goes up to what its
 * codec handles.
 */
const CLIENT_MAX_VERSION: Readonly<Partial<Record<number, number>>> = { [ApiKey.Fetch]: 12 }

/** FindCoordinator key type of a consumer group. */
const KEY_TYPE_GROUP = 0
/** A coordinator still loading its state answers with a retriable code; ask again this often, this many times. */
const COORDINATOR_RETRY_MS = 200
const COORDINATOR_ATTEMPTS = 25

/** Responses up to this size are accepted (a Fetch may carry many batches). */
const MAX_RESPONSE_BYTES = 1 << 30

/** "TOPIC_ALREADY_EXISTS (Topic 'x' already exists.)", or just the name without a message. */
export function describeKafkaError (code: number, message?: string | null): string {
  const name = errorName(code)
  return message === undefined || message === null || message === '' ? name : `${name} (${message})`
}

/** The error for a non-zero Kafka code about `topic`, worded for people. */
export function topicError (topic: string, what: string, code: number, message?: string | null): CliError {
  if (code === KafkaCode.UNKNOWN_TOPIC_OR_PARTITION) return new CliError(`topic '${topic}' does not exist`)
  return new CliError(`${what} '${topic}' failed: ${describeKafkaError(code, message)}`)
}

interface Waiting {
  apiKey: number
  version: number
  resolve: (res: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export interface RequestOptions {
  /** Overrides the connection's request timeout (long-poll Fetch adds its wait time). */
  timeoutMs?: number
}

export class KafkaConnection {
  readonly endpoint: Endpoint
  readonly address: string
  readonly requestTimeoutMs: number
  readonly #socket: Socket
  readonly #splitter: FrameSplitter
  readonly #waiting: Map<number, Waiting>
  readonly #versions: Map<number, number>
  #nextCorrelationId: number
  #closedError: CliError | null

  private constructor (socket: Socket, endpoint: Endpoint, requestTimeoutMs: number) {
    this.endpoint = endpoint
    this.address = formatEndpoint(endpoint)
    this.requestTimeoutMs = requestTimeoutMs
    this.#socket = socket
    this.#splitter = new FrameSplitter(MAX_RESPONSE_BYTES)
    this.#waiting = new Map()
    this.#versions = new Map()
    this.#nextCorrelationId = 1
    this.#closedError = null
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(new CliError(`connection to ${this.address} failed: ${err.code ?? err.message}`)))
    socket.on('close', () => this.#fail(new CliError(`connection to ${this.address} closed by the broker`)))
  }

  /** Connects and negotiates API versions; throws CliError("cannot connect to HOST:PORT: …"). */
  static async open (endpoint: Endpoint, requestTimeoutMs: number, security: ClientSecurity = PLAINTEXT_SECURITY): Promise<KafkaConnection> {
    const address = formatEndpoint(endpoint)
    const tls = tlsOptions(security, endpoint.host)
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tls === null ? connect({ host: endpoint.host, port: endpoint.port }) : tlsConnect({ ...tls, host: endpoint.host, port: endpoint.port })
      const timer = setTimeout(() => {
        s.destroy()
        reject(new CliError(`cannot connect to ${address}: no answer within ${requestTimeoutMs} ms`))
      }, requestTimeoutMs)
      s.once(tls === null ? 'connect' : 'secureConnect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s) })
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        reject(new CliError(`cannot connect to ${address}: ${err.code ?? err.message}`))
      })
    })
    socket.setNoDelay(true)
    const conn = new KafkaConnection(socket, endpoint, requestTimeoutMs)
    try {
      await conn.#negotiate()
      await authenticate(conn, security)
    } catch (err) {
      conn.close()
      throw err
    }
    return conn
  }

  /** The version used for `apiKey`, or undefined when the broker and this client share none. */
  version (apiKey: number): number | undefined { return this.#versions.get(apiKey) }

  supports (apiKey: number): boolean { return this.#versions.has(apiKey) }

  /**
   * Sends a request at the negotiated version and resolves with the decoded response and that
   * version (response fields depend on it). Throws CliError when the broker lacks the API.
   */
  async request<T> (apiKey: number, body: unknown, options: RequestOptions = {}): Promise<{ response: T, version: number }> {
    const version = this.#versions.get(apiKey)
    if (version === undefined) throw new CliError(`the broker at ${this.address} does not support ${apiByKey(apiKey)?.name ?? `API ${apiKey}`} in a version this client speaks`)
    const response = await this.#send<T>(apiKey, version, body, options.timeoutMs ?? this.requestTimeoutMs)
    return { response, version }
  }

  /** Sends a request the broker does not answer (Produce with acks=0); resolves once written. */
  async send (apiKey: number, body: unknown): Promise<number> {
    const version = this.#versions.get(apiKey)
    if (version === undefined) throw new CliError(`the broker at ${this.address} does not support ${apiByKey(apiKey)?.name ?? `API ${apiKey}`}`)
    if (this.#closedError !== null) throw this.#closedError
    const frame = this.#frame(apiKey, version, body, this.#nextCorrelationId++)
    await new Promise<void>((resolve, reject) => this.#socket.write(frame, (err) => err == null ? resolve() : reject(new CliError(`write to ${this.address} failed: ${err.message}`))))
    return version
  }

  close (): void {
    if (this.#closedError === null) this.#closedError = new CliError(`connection to ${this.address} closed`)
    this.#socket.destroy()
  }

  /**
   * ApiVersions first at the newest version we know. A broker that does not know that version
   * answers UNSUPPORTED_VERSION in the v0 layout, listing its own range: then ask again at the
   * highest version we share.
   */
  async #negotiate (): Promise<void> {
    const ours = apiByKey(ApiKey.ApiVersions)!
    let version = ours.maxVersion
    let res = await this.#send<ApiVersionsResponse>(ApiKey.ApiVersions, version, { clientSoftwareName: CLIENT_ID, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, this.requestTimeoutMs)
    if (res.errorCode === KafkaCode.UNSUPPORTED_VERSION) {
      const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)
      const retry = Math.min(theirs?.maxVersion ?? 0, ours.maxVersion)
      if (retry >= version) throw new CliError(`the broker at ${this.address} refused ApiVersions v${version}`)
      version = retry
      res = await this.#send<ApiVersionsResponse>(ApiKey.ApiVersions, version, { clientSoftwareName: CLIENT_ID, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, this.requestTimeoutMs)
    }
    if (res.errorCode !== KafkaCode.NONE) throw new CliError(`ApiVersions to ${this.address} failed: ${describeKafkaError(res.errorCode)}`)
    for (const theirs of res.apiKeys) {
      const codec = codecByKey(theirs.apiKey)
      if (codec === undefined) continue
      const max = Math.min(theirs.maxVersion, codec.api.maxVersion, CLIENT_MAX_VERSION[theirs.apiKey] ?? Infinity)
      const min = Math.max(theirs.minVersion, codec.api.minVersion)
      if (max >= min) this.#versions.set(theirs.apiKey, max)
    }
  }

  #frame (apiKey: number, version: number, body: unknown, correlationId: number): Buffer {
    const w = new Writer()
    const at = w.reserveInt32()
    encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: CLIENT_ID })
    codecByKey(apiKey)!.encodeRequest(w, version, body)
    w.patchInt32(at, w.pos - at - 4)
    return w.toBuffer()
  }

  #send<T> (apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<T> {
    if (this.#closedError !== null) return Promise.reject(this.#closedError)
    const correlationId = this.#nextCorrelationId++
    const frame = this.#frame(apiKey, version, body, correlationId)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(correlationId)
        reject(new CliError(`${apiByKey(apiKey)?.name ?? `API ${apiKey}`} request to ${this.address} timed out after ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiting.set(correlationId, { apiKey, version, resolve: resolve as (res: unknown) => void, reject, timer })
      this.#socket.write(frame)
    })
  }

  #onData (chunk: Buffer): void {
    let frames: Buffer[]
    try {
      frames = this.#splitter.push(chunk)
    } catch (err) {
      this.#fail(new CliError(`bad response from ${this.address}: ${(err as Error).message}`))
      this.#socket.destroy()
      return
    }
    for (const frame of frames) {
      const correlationId = frame.readInt32BE(0)
      const w = this.#waiting.get(correlationId)
      if (w === undefined) continue // its request timed out
      this.#waiting.delete(correlationId)
      clearTimeout(w.timer)
      try {
        w.resolve(this.#decode(frame, w.apiKey, w.version))
      } catch (err) {
        w.reject(new CliError(`cannot read the ${apiByKey(w.apiKey)?.name ?? ''} response from ${this.address}: ${(err as Error).message}`))
      }
    }
  }

  #decode (frame: Buffer, apiKey: number, version: number): unknown {
    const r = new Reader(frame)
    decodeResponseHeader(r, responseHeaderVersion(apiKey, version))
    // A broker refusing our ApiVersions version answers in the v0 layout (see #negotiate).
    if (apiKey === ApiKey.ApiVersions && frame.length >= 6 && frame.readInt16BE(4) === KafkaCode.UNSUPPORTED_VERSION) {
      return codecByKey(apiKey)!.decodeResponse(r, 0)
    }
    return codecByKey(apiKey)!.decodeResponse(r, version)
  }

  #fail (err: CliError): void {
    if (this.#closedError === null) this.#closedError = err
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer)
      w.reject(this.#closedError)
    }
    this.#waiting.clear()
  }
}

export interface ClientOptions {
  requestTimeoutMs: number
  /** TLS and SASL settings (--command-config); plaintext when absent. */
  security?: ClientSecurity
}

/** One partition's place in the cluster, from Metadata. */
export interface PartitionInfo {
  partition: number
  leaderId: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
}

export interface TopicInfo {
  name: string
  isInternal: boolean
  partitions: PartitionInfo[]
}

export class KafkaClient {
  readonly bootstrap: KafkaConnection
  readonly #options: ClientOptions
  readonly #brokers: Map<number, MetadataResponseBroker>
  readonly #connections: Map<string, Promise<KafkaConnection>>

  private constructor (bootstrap: KafkaConnection, options: ClientOptions) {
    this.bootstrap = bootstrap
    this.#options = options
    this.#brokers = new Map()
    this.#connections = new Map([[bootstrap.address, Promise.resolve(bootstrap)]])
  }

  static async connect (bootstrap: Endpoint, options: ClientOptions): Promise<KafkaClient> {
    return new KafkaClient(await KafkaConnection.open(bootstrap, options.requestTimeoutMs, options.security), options)
  }

  /**
   * Metadata for `topics` (null = every topic), without creating any. Remembers the brokers
   * so that `leader()` can find them.
   */
  async metadata (topics: string[] | null): Promise<MetadataResponse> {
    const { response } = await this.bootstrap.request<MetadataResponse>(ApiKey.Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false
    })
    for (const b of response.brokers) this.#brokers.set(b.nodeId, b)
    return response
  }

  /** One topic's partitions (sorted); throws "topic 'x' does not exist" and other Kafka errors. */
  async topic (name: string): Promise<TopicInfo> {
    const res = await this.metadata([name])
    const t: MetadataResponseTopic | undefined = res.topics.find((x) => x.name === name)
    if (t === undefined) throw new CliError(`topic '${name}' does not exist`)
    if (t.errorCode !== KafkaCode.NONE) throw topicError(name, 'metadata for topic', t.errorCode)
    const partitions = t.partitions.map((p): PartitionInfo => ({
      partition: p.partitionIndex,
      leaderId: p.leaderId,
      leaderEpoch: p.leaderEpoch ?? -1,
      replicas: p.replicaNodes,
      isr: p.isrNodes
    })).sort((a, b) => a.partition - b.partition)
    return { name, isInternal: t.isInternal ?? false, partitions }
  }

  /**
   * The connection to broker `nodeId` at its advertised host:port, opened on first use. The
   * bootstrap connection is reused when the leader is the broker it reached.
   */
  async leader (nodeId: number): Promise<KafkaConnection> {
    const broker = this.#brokers.get(nodeId)
    if (nodeId < 0 || broker === undefined) throw new CliError(`no leader is available (leader id ${nodeId}); try again shortly`)
    return await this.#connection({ host: broker.host, port: broker.port })
  }

  #connection (endpoint: Endpoint): Promise<KafkaConnection> {
    const address = formatEndpoint(endpoint)
    let conn = this.#connections.get(address)
    if (conn === undefined) {
      conn = KafkaConnection.open(endpoint, this.#options.requestTimeoutMs, this.#options.security)
      this.#connections.set(address, conn)
    }
    return conn
  }

  /** A connection to every broker Metadata lists (ListGroups answers only for the groups a broker coordinates). */
  async allBrokers (): Promise<KafkaConnection[]> {
    const res = await this.metadata([])
    if (res.brokers.length === 0) return [this.bootstrap]
    return await Promise.all(res.brokers.map((b) => this.#connection({ host: b.host, port: b.port })))
  }

  /**
   * The connection to the coordinator of `groupId` (FindCoordinator), retrying while the
   * coordinator is loading or not yet available.
   */
  async coordinator (groupId: string): Promise<KafkaConnection> {
    const conn = this.bootstrap
    for (let attempt = 1; ; attempt++) {
      const { response, version } = await conn.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, {
        key: groupId, keyType: KEY_TYPE_GROUP, coordinatorKeys: [groupId]
      })
      const found = version >= 4
        ? response.coordinators?.[0]
        : { errorCode: response.errorCode ?? KafkaCode.NONE, errorMessage: response.errorMessage ?? null, nodeId: response.nodeId ?? -1, host: response.host ?? '', port: response.port ?? 0 }
      if (found === undefined) throw new CliError(`FindCoordinator for group '${groupId}' returned no coordinator`)
      if (found.errorCode === KafkaCode.NONE) return await this.#connection({ host: found.host, port: found.port })
      const retriable = found.errorCode === KafkaCode.COORDINATOR_NOT_AVAILABLE || found.errorCode === KafkaCode.COORDINATOR_LOAD_IN_PROGRESS || found.errorCode === KafkaCode.NOT_COORDINATOR
      if (!retriable || attempt >= COORDINATOR_ATTEMPTS) throw new CliError(`finding the coordinator of group '${groupId}' failed: ${describeKafkaError(found.errorCode, found.errorMessage)}`)
      await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_MS))
    }
  }

  /**
   * ListOffsets for `partitions` of `topic` at `timestamp` (EARLIEST_TIMESTAMP,
   * LATEST_TIMESTAMP or a time in ms), asking each partition's leader. Partition → offset.
   */
  async offsets (topic: TopicInfo, partitions: readonly PartitionInfo[], timestamp: number): Promise<Map<number, number>> {
    const byLeader = new Map<number, PartitionInfo[]>()
    for (const p of partitions) {
      const list = byLeader.get(p.leaderId)
      if (list === undefined) byLeader.set(p.leaderId, [p]); else list.push(p)
    }
    const out = new Map<number, number>()
    await Promise.all([...byLeader].map(async ([leaderId, list]) => {
      const conn = await this.leader(leaderId)
      const { response } = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic.name, partitions: list.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp })) }]
      })
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== KafkaCode.NONE) throw topicError(topic.name, `listing offsets of partition ${p.partitionIndex} of topic`, p.errorCode)
          out.set(p.partitionIndex, p.offset ?? -1)
        }
      }
    }))
    return out
  }

  close (): void {
    for (const conn of this.#connections.values()) conn.then((c) => c.close(), () => {})
  }
}

/** ListOffsets timestamps that ask for the log start and the high watermark. */
export const EARLIEST_TIMESTAMP = -2
export const LATEST_TIMESTAMP = -1

/**
 * Connects to the `--bootstrap` broker named in parsed common flags, runs `fn` and closes
 * every connection, whether `fn` succeeded or not.
 */
export async function withClient<T> (flags: { bootstrap?: string, 'request-timeout-ms'?: string, 'command-config'?: string }, command: string, fn: (client: KafkaClient) => Promise<T>): Promise<T> {
  const endpoint = parseEndpoint(flags.bootstrap ?? DEFAULT_BOOTSTRAP, command)
  const requestTimeoutMs = intFlag('request-timeout-ms', flags['request-timeout-ms'], DEFAULT_REQUEST_TIMEOUT_MS, 1, 0x7fffffff, command)
  const security = readClientSecurity(flags['command-config'], command)
  const client = await KafkaClient.connect(endpoint, { requestTimeoutMs, security })
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}
