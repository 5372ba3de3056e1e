/**
 * Broker: the public face of Millrace in library mode (and what `millrace start` runs).
 * Holds the dispatcher and hands out producers and consumers bound to it.
 */
import { resolveBrokerConfig, type BrokerConfig, type BrokerOptions } from './config/broker-config.js'
import { MillraceError, invalidOption } from './errors.js'
import { Dispatcher } from './dispatcher/dispatcher.js'
import { Producer, type ProducerOptions } from './client/producer.js'
import { Consumer, type ConsumerOptions } from './client/consumer.js'
import type { BoundListener, KafkaServer } from './server/server.js'
import { CredentialStore, type UserCredentialInfo } from './server/sasl/credential-store.js'
import type { ScramMechanism } from './server/sasl/scram.js'
import type { HttpServer } from './http/http-server.js'
import type { BrokerMetrics } from './http/metrics/broker-metrics.js'
import type { CoordinatorApi } from './coordinator/coordinator-api.js'
import { silentLogger, type Logger } from './logger.js'
import { DataDirSet } from './data-dir/data-dir-set.js'
import { OFFSETS_TOPIC } from './coordinator/offsets-topic.js'
import { LogStatus } from './log/errors.js'
import { statusError } from './client/status-error.js'
import { BrokerFaults } from './faults/broker-faults.js'
import { AclStore } from './security/acl-store.js'
import { Authorizer } from './security/authorizer.js'
import { LibraryAcls } from './security/library-acls.js'
import { libraryCheck } from './security/library-access.js'
import {
  describeGroup, deleteGroup, deleteGroupOffsets, listGroups, resetGroupOffsets,
  type DeleteOffsetsRequest, type GroupDescription, type GroupListing, type ResetOffsetsRequest, type ResetOffsetsResult
} from './client/group/group-admin.js'

export interface CreateTopicRequest {
  topic: string
  /** Default: the broker's defaultPartitions (1). */
  partitions?: number
  /** Kafka topic configs, e.g. { 'retention.ms': '604800000', 'cleanup.policy': 'delete' }. */
  config?: Record<string, string>
  /** Copies of each partition. Default: the broker's defaultReplicationFactor (1). */
  replicationFactor?: number
}

export interface TopicDescription {
  topic: string
  topicId: string
  config: Record<string, string>
  /**
   * `logEndOffset` and `sizeBytes` (bytes of its log on disk) are null for an offline partition.
   * `online` is false while its worker restarts, or until the broker restarts when its data dir failed.
   */
  partitions: Array<{ partition: number, logStartOffset: bigint, highWatermark: bigint, logEndOffset: bigint | null, sizeBytes: number | null, online: boolean }>
}

/** SCRAM users of the SASL listeners (Kafka's kafka-configs --entity-type users … SCRAM credentials). */
export interface BrokerUsers {
  /** Creates the user's credential for `mechanism`, or replaces it (a new password). Only its salted hash is kept. */
  create (user: string, options: { mechanism: ScramMechanism, password: string, iterations?: number }): Promise<void>
  /** Removes the user's credential for `mechanism` (every mechanism when omitted); false when there was none. */
  delete (user: string, mechanism?: ScramMechanism): Promise<boolean>
  list (): UserCredentialInfo[]
}

export class Broker {
  readonly config: BrokerConfig
  readonly #dispatcher: Dispatcher
  /** Held from start to the end of close; null for an in-memory broker. */
  readonly #lock: DataDirSet | null
  readonly #clients = new Set<Producer | Consumer>()
  /** ACL administration: create, list and delete bindings (MR_ERR_KAFKA SECURITY_DISABLED without an authorizer). */
  readonly acls: LibraryAcls
  /** Faults on demand for tests: kill or hang a partition worker, fail a data dir (./faults/broker-faults.ts). */
  readonly faults: BrokerFaults
  readonly #authorizer: Authorizer | null
  readonly #logger: Logger
  readonly #credentials: CredentialStore
  #server: KafkaServer | null = null
  #http: HttpServer | null = null
  #metrics: BrokerMetrics | null = null
  #closing: Promise<void> | null = null

  private constructor (config: BrokerConfig, dispatcher: Dispatcher, lock: DataDirSet | null, authorizer: Authorizer | null, logger: Logger, credentials: CredentialStore) {
    this.config = config
    this.#authorizer = authorizer
    this.#logger = logger
    this.#dispatcher = dispatcher
    this.#lock = lock
    this.acls = new LibraryAcls(authorizer, () => this.#assertOpen())
    this.faults = new BrokerFaults({ workers: dispatcher.workers, dataDirs: config.dataDirs, assertOpen: () => this.#assertOpen() })
    this.#credentials = credentials
  }

  /**
   * Starts a broker: creates and locks the data dirs (if any), recovers them, starts the partition
   * workers, and when `port` is set (0 = any free port) opens the Kafka listener; when `httpPort`
   * is set, the HTTP endpoint too (/health, /ready, /metrics). Throws
   * MR_ERR_DATA_DIR_LOCKED when another broker holds any of the data dirs and
   * MR_ERR_DATA_DIR_UNUSABLE when one cannot be a data dir (a file, unwritable, a virtual file system).
   */
  static async start (options: BrokerOptions & { logger?: Logger } = {}): Promise<Broker> {
    // The logger is not a setting: it stays on this thread, out of the frozen config workers get.
    const { logger = silentLogger, ...settings } = options ?? {}
    const config = resolveBrokerConfig(settings)
    let lock: DataDirSet | null = null
    if (config.dataDirs.length > 0) {
      // Before any thread or job touches the dirs; the caller reports a refusal (the CLI logs it as fatal).
      lock = await DataDirSet.acquire(config.dataDirs)
    }
    let dispatcher: Dispatcher
    let authorizer: Authorizer | null = null
    let credentials: CredentialStore
    try {
      // Before the workers start: a damaged ACL file stops the start, never opens the broker wider.
      if (config.authorizer) {
        const settings = { enabled: true, superUsers: config.superUsers, allowEveryoneIfNoAcl: config.allowEveryoneIfNoAcl }
        authorizer = new Authorizer(settings, await AclStore.open(config.dataDir), logger.child({ subsystem: 'authorizer' }))
      }
      credentials = config.dataDir === null ? CredentialStore.inMemory() : await CredentialStore.open(config.dataDir)
      dispatcher = await Dispatcher.start(config, logger)
    } catch (err) {
      await lock?.release().catch(() => {})
      throw err
    }
    const broker = new Broker(config, dispatcher, lock, authorizer, logger, credentials)
    if (config.httpPort !== undefined) {
      // Loaded only with the HTTP endpoint, like the codecs below; made before the listener so it times every request.
      const { BrokerMetrics } = await import('./http/metrics/broker-metrics.js')
      broker.#metrics = new BrokerMetrics(broker, logger.child({ subsystem: 'http' }))
    }
    if (config.listeners.length > 0) {
      try {
        // Loaded only when listening: the protocol codecs are a third of start-up time in library mode.
        const { KafkaServer } = await import('./server/server.js')
        broker.#server = await KafkaServer.listen(dispatcher, config, credentials, authorizer, broker.#metrics)
      } catch (err) {
        broker.#metrics?.close()
        await dispatcher.close().catch(() => {})
        await lock?.release().catch(() => {})
        if (err instanceof MillraceError) throw err
        const where = config.listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(', ')
        throw new MillraceError('MR_ERR_INVALID_OPTION', `cannot listen on ${where}: ${(err as Error).message}`, { cause: err })
      }
    }
    if (config.httpPort !== undefined) {
      try {
        const [{ HttpServer }, { HTTP_ROUTES }] = await Promise.all([import('./http/http-server.js'), import('./http/routes.js')])
        broker.#http = await HttpServer.listen({ broker, host: config.httpHost, port: config.httpPort, routes: HTTP_ROUTES, logger: logger.child({ subsystem: 'http' }) })
      } catch (err) {
        await broker.close().catch(() => {})
        throw new MillraceError('MR_ERR_INVALID_OPTION', `cannot serve HTTP on ${config.httpHost}:${config.httpPort}: ${(err as Error).message}`, { cause: err })
      }
    }
    return broker
  }

  /** The port Kafka clients connect to (the real one when started with port 0); undefined without a listener. */
  get port (): number | undefined { return this.#server?.port }

  /** `host:port` of the Kafka listener; undefined without a listener. */
  get address (): string | undefined {
    if (this.#server === null) return undefined
    const host = this.#server.host
    return `${host.includes(':') ? `[${host}]` : host}:${this.#server.port}`
  }

  /** `host:port` of the HTTP endpoint (/health, /ready, /metrics); undefined without one. */
  get httpAddress (): string | undefined { return this.#http?.address }

  /** Internal: the metrics behind GET /metrics; null without the HTTP endpoint. */
  get metrics (): BrokerMetrics | null { return this.#metrics }

  /** Every listener as bound (real ports); empty without listeners. */
  get listeners (): BoundListener[] { return this.#server?.listeners ?? [] }

  /**
   * Reads the TLS certificate, key and CA files again (after a renewal); new connections get the
   * new certificate, open ones keep theirs. Throws MR_ERR_INVALID_OPTION, keeping the old one, when a file is wrong.
   */
  async reloadTls (): Promise<void> {
    this.#assertOpen()
    await this.#server?.reloadTls()
  }

  /** SCRAM credentials that SASL listeners check (kept hashed in the data dir; in memory for an in-memory broker). */
  get users (): BrokerUsers {
    const store = this.#credentials
    return {
      create: async (user, options) => {
        this.#assertOpen()
        if (options === null || typeof options !== 'object') throw invalidOption('users.create()', 'takes (user, { mechanism, password, iterations? })')
        await store.upsert(user, options.mechanism, options.password, options.iterations)
      },
      delete: async (user, mechanism) => {
        this.#assertOpen()
        if (mechanism !== undefined) return await store.delete(user, mechanism)
        let any = false
        for (const m of store.mechanismsOf(user)) any = (await store.delete(user, m)) || any
        return any
      },
      list: () => store.list()
    }
  }

  /** Internal: the credential store, for the SCRAM credential APIs. */
  get credentials (): CredentialStore { return this.#credentials }

  /** Internal: the Kafka listener, for tests (counters). */
  get server (): KafkaServer | null { return this.#server }

  /** Internal: the dispatcher, for the TCP server and for tests. */
  get dispatcher (): Dispatcher { return this.#dispatcher }

  #assertOpen (): void {
    if (this.#closing !== null) throw new MillraceError('MR_ERR_CLOSED', 'the broker is closed')
  }

  async createTopic (request: CreateTopicRequest): Promise<void> {
    this.#assertOpen()
    if (request === null || typeof request !== 'object') throw invalidOption('createTopic()', 'takes { topic, partitions, config }')
    const partitions = request.partitions ?? this.config.defaultPartitions
    const config = request.config ?? {}
    if (config === null || typeof config !== 'object') throw invalidOption('createTopic() config', 'must be an object of strings')
    await this.#dispatcher.createTopic(request.topic, partitions, config, request.replicationFactor ?? this.config.defaultReplicationFactor)
  }

  async deleteTopic (topic: string): Promise<void> {
    this.#assertOpen()
    await this.#dispatcher.deleteTopic(topic)
  }

  async createPartitions (request: { topic: string, count: number }): Promise<void> {
    this.#assertOpen()
    await this.#dispatcher.createPartitions(request.topic, request.count)
  }

  async alterTopicConfig (request: { topic: string, config: Record<string, string> }): Promise<void> {
    this.#assertOpen()
    await this.#dispatcher.alterTopicConfig(request.topic, request.config)
  }

  /**
   * Topic names, sorted. Like Kafka's admin listTopics, internal topics (`__consumer_offsets`,
   * the coordinator's log) are left out unless `listInternal` is set.
   */
  listTopics (options: { listInternal?: boolean } = {}): string[] {
    const names = [...this.#dispatcher.topics.all()].map((t) => t.name)
    if (options?.listInternal === true) names.push(OFFSETS_TOPIC)
    return names.sort()
  }

  async describeTopic (topic: string): Promise<TopicDescription> {
    this.#assertOpen()
    const t = this.#dispatcher.topic(topic)
    if (t === undefined) throw this.#dispatcher.offlineTopicError(topic) ?? new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${String(topic)}'`)
    const described = await Promise.all(t.partitions.map((p) => this.#dispatcher.describePartition(p)))
    return {
      topic: t.name,
      topicId: t.topicId,
      config: { ...t.overrides },
      partitions: t.partitions.map((p, i) => ({
        partition: p.partition,
        logStartOffset: BigInt(p.logStartOffset),
        highWatermark: BigInt(p.highWatermark),
        logEndOffset: described[i] === null ? null : BigInt(described[i]!.logEndOffset),
        sizeBytes: described[i]?.sizeBytes ?? null,
        online: p.online
      }))
    }
  }

  /**
   * The first offset of a partition whose record timestamp is at or after `timestamp` (ms), as
   * Kafka's ListOffsets by time answers it, with that record's timestamp; null when no record is
   * that late. Throws MR_ERR_UNKNOWN_TOPIC / MR_ERR_UNKNOWN_PARTITION, and the partition's error
   * when it cannot answer (offline, restarting).
   */
  async offsetForTimestamp (request: { topic: string, partition: number, timestamp: number }): Promise<{ offset: bigint, timestamp: number } | null> {
    this.#assertOpen()
    if (request === null || typeof request !== 'object') throw invalidOption('offsetForTimestamp()', 'takes { topic, partition, timestamp }')
    const { topic, partition, timestamp } = request
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalidOption('offsetForTimestamp() timestamp', 'must be a non-negative integer (ms since the epoch)')
    const t = this.#dispatcher.topic(topic)
    if (t === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${String(topic)}'`)
    const p = Number.isInteger(partition) ? t.partitions[partition] : undefined
    if (p === undefined) throw new MillraceError('MR_ERR_UNKNOWN_PARTITION', `partition ${String(partition)} does not exist: topic '${t.name}' has ${t.partitions.length} partitions`)
    const answer = await this.#dispatcher.listOffset(p, timestamp)
    if (answer.status === LogStatus.NotFound || (answer.status === LogStatus.Ok && answer.offset < 0)) return null
    if (answer.status !== LogStatus.Ok) throw statusError(answer.status, `offset for timestamp ${timestamp} in ${t.name}-${p.partition}`)
    return { offset: BigInt(answer.offset), timestamp: answer.timestamp }
  }

  /** Coordinator actor, reached through the dispatcher. */
  #coordinator (): Promise<CoordinatorApi> {
    return this.#dispatcher.coordinator()
  }

  /** Every consumer group the coordinator knows, by id. */
  async listGroups (): Promise<GroupListing[]> {
    this.#assertOpen()
    return await listGroups(await this.#coordinator())
  }

  /**
   * A group's state and members (with their assignments) and, per committed partition, the
   * committed offset, the high watermark and the lag between them. Throws MR_ERR_UNKNOWN_GROUP
   * for a group the coordinator does not know.
   */
  async describeGroup (groupId: string): Promise<GroupDescription> {
    this.#assertOpen()
    return await describeGroup(await this.#coordinator(), this.#dispatcher, groupId)
  }

  /** Deletes a group and its committed offsets; only an empty group can go (Kafka's NON_EMPTY_GROUP rule). */
  async deleteGroup (groupId: string): Promise<void> {
    this.#assertOpen()
    await deleteGroup(await this.#coordinator(), groupId)
  }

  /**
   * Moves a group's committed offsets of one topic to the earliest or latest offset or to a given
   * one (clamped to the log), for every partition or those listed. Only for a group without active members.
   */
  async resetGroupOffsets (request: ResetOffsetsRequest): Promise<ResetOffsetsResult[]> {
    this.#assertOpen()
    return await resetGroupOffsets(await this.#coordinator(), this.#dispatcher, request)
  }

  /**
   * Deletes a group's committed offsets of one topic, for every partition or those listed, with
   * Kafka's OffsetDelete rules: fine for an empty group; for a consumer group with members only on
   * a topic none of them subscribes to (else MR_ERR_KAFKA with kafkaCode GROUP_SUBSCRIBED_TO_TOPIC).
   * An unknown group throws MR_ERR_KAFKA with kafkaCode GROUP_ID_NOT_FOUND.
   */
  async deleteGroupOffsets (request: DeleteOffsetsRequest): Promise<void> {
    this.#assertOpen()
    await deleteGroupOffsets(await this.#coordinator(), this.#dispatcher, request)
  }

  /**
   * An in-process producer. With `principal` ('User:NAME') and the authorizer on, it is held to
   * that principal's ACLs (a refused send throws MR_ERR_KAFKA with TOPIC_AUTHORIZATION_FAILED);
   * without one it is not checked, as a super user.
   */
  producer (options?: ProducerOptions & { principal?: string }): Producer {
    this.#assertOpen()
    const { principal, settings } = withoutPrincipal(options)
    const check = libraryCheck(this.#authorizer, principal, this.#logger, 'producer')
    const producer = new Producer(this.#dispatcher, settings as ProducerOptions | undefined, check)
    this.#clients.add(producer)
    return producer
  }

  /** An in-process consumer; `principal` as for producer() (subscribe and assign are checked). */
  consumer (options?: ConsumerOptions & { principal?: string }): Consumer {
    this.#assertOpen()
    const { principal, settings } = withoutPrincipal(options)
    const check = libraryCheck(this.#authorizer, principal, this.#logger, 'consumer')
    const consumer = new Consumer(this.#dispatcher, settings as ConsumerOptions | undefined, check)
    this.#clients.add(consumer)
    return consumer
  }

  /**
   * Stops the HTTP endpoint and the Kafka listener (requests already read are answered), flushes producers, stops
   * consumers, closes every partition (flush + checkpoint) and stops the workers.
   */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      await this.#http?.close()
      this.#metrics?.close()
      await this.#server?.close()
      await Promise.allSettled([...this.#clients].map((c) => c.close()))
      try {
        await this.#dispatcher.close()
      } finally {
        // Only once every worker has stopped writing may another broker have the data dir.
        await this.#lock?.release()
      }
    })()
    return this.#closing
  }
}

/** Splits the principal off client options; anything that is not an object goes on as given, for the client to refuse. */
function withoutPrincipal<T extends object> (options: (T & { principal?: string }) | undefined): { principal: unknown, settings: T | undefined } {
  if (options === null || typeof options !== 'object') return { principal: undefined, settings: options }
  const { principal, ...settings } = options
  return { principal, settings: settings as T }
}
