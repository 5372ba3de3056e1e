/**
 * Broker: the public face of Millrace in library mode (and what `millrace start` runs).
 * Holds the dispatcher and hands out producers and consumers bound to it.
 */
import { resolveBrokerConfig, type BrokerConfig, type BrokerOptions } from './config/broker-config.js'
import { MillraceError, invalidOption } from './errors.js'
import { Dispatcher } from './dispatcher/dispatcher.js'
import { Producer, type ProducerOptions } from './client/producer.js'
import { Consumer, type ConsumerOptions } from './client/consumer.js'

export interface CreateTopicRequest {
  topic: string
  /** Default: the broker's defaultPartitions (1). */
  partitions?: number
  /** Kafka topic configs, e.g. { 'retention.ms': '604800000', 'cleanup.policy': 'delete' }. */
  config?: Record<string, string>
}

export interface TopicDescription {
  topic: string
  topicId: string
  config: Record<string, string>
  partitions: Array<{ partition: number, logStartOffset: bigint, highWatermark: bigint }>
}

export class Broker {
  readonly config: BrokerConfig
  readonly #dispatcher: Dispatcher
  readonly #clients = new Set<Producer | Consumer>()
  #closing: Promise<void> | null = null

  private constructor (config: BrokerConfig, dispatcher: Dispatcher) {
    this.config = config
    this.#dispatcher = dispatcher
  }

  /** Starts a broker: recovers the data dir (if any), starts the partition workers. */
  static async start (options: BrokerOptions = {}): Promise<Broker> {
    const config = resolveBrokerConfig(options)
    const dispatcher = await Dispatcher.start(config)
    return new Broker(config, dispatcher)
  }

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
    await this.#dispatcher.createTopic(request.topic, partitions, config)
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

  listTopics (): string[] {
    return [...this.#dispatcher.topics.all()].map((t) => t.name).sort()
  }

  async describeTopic (topic: string): Promise<TopicDescription> {
    this.#assertOpen()
    const t = this.#dispatcher.topic(topic)
    if (t === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${String(topic)}'`)
    await Promise.all(t.partitions.map((p) => this.#dispatcher.describePartition(p)))
    return {
      topic: t.name,
      topicId: t.topicId,
      config: { ...t.overrides },
      partitions: t.partitions.map((p) => ({ partition: p.partition, logStartOffset: BigInt(p.logStartOffset), highWatermark: BigInt(p.highWatermark) }))
    }
  }

  producer (options?: ProducerOptions): Producer {
    this.#assertOpen()
    const producer = new Producer(this.#dispatcher, options)
    this.#clients.add(producer)
    return producer
  }

  consumer (options?: ConsumerOptions): Consumer {
    this.#assertOpen()
    const consumer = new Consumer(this.#dispatcher, options)
    this.#clients.add(consumer)
    return consumer
  }

  /** Flushes producers, stops consumers, closes every partition (flush + checkpoint) and stops the workers. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#clients].map((c) => c.close()))
      await this.#dispatcher.close()
    })()
    return this.#closing
  }
}
