/**
 * The coordinator actor's lifecycle (groups, committed offsets, producer ids, transactions):
 * started on first use, started again if its thread died, told the topic counts whenever
 * topics change, and its two compacted logs given to the log cleaner.
 *
 * Thread: the dispatcher's.
 */
import type { BrokerConfig } from '../config/broker-config.js'
import { MillraceError } from '../errors.js'
import type { Logger } from '../logger.js'
import { OFFSETS_DIR } from '../coordinator/offsets-topic.js'
import { TXN_LOG_DIR } from '../transactions/txn-log-names.js'
import type { TxnMarkerWriter } from '../transactions/txn-markers.js'
import { CoordinatorLink } from './coordinator-link.js'
import type { LogCleaner } from './log-cleaner.js'
import type { TopicTable } from './topic-table.js'

export interface CoordinatorHostOptions {
  config: BrokerConfig
  logger: Logger
  topics: TopicTable
  /** The largest producer id the partitions held when opened (see producer-ids.ts). */
  largestProducerId: () => number
  /** Where the coordinator's transaction markers go. */
  markers: TxnMarkerWriter
  /** True once the broker closes. */
  closed: () => boolean
}

export class CoordinatorHost {
  readonly #options: CoordinatorHostOptions
  #link: CoordinatorLink | null = null
  #starting: Promise<CoordinatorLink> | null = null

  constructor (options: CoordinatorHostOptions) {
    this.#options = options
  }

  /** Whether the coordinator actor runs now (the metrics read group lag only then, rather than start it). */
  get running (): boolean { return this.#link?.alive === true }

  /** The coordinator actor, started on first use and started again if its thread died. */
  coordinator (): Promise<CoordinatorLink> {
    if (this.#options.closed()) return Promise.reject(new MillraceError('MR_ERR_CLOSED', 'the broker is closed'))
    const link = this.#link
    if (link !== null && link.alive) return Promise.resolve(link)
    this.#starting ??= this.#start().finally(() => { this.#starting = null })
    return this.#starting
  }

  async #start (): Promise<CoordinatorLink> {
    const c = this.#options.config
    const link = await CoordinatorLink.start({
      dataDir: c.dataDir,
      initialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: c.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: c.groupMaxSessionTimeoutMs,
      offsetsRetentionMs: c.offsetsRetentionMinutes * 60_000,
      offsetMetadataMaxBytes: c.offsetMetadataMaxBytes,
      largestProducerIdInLogs: this.#options.largestProducerId(),
      logOverrides: { 'segment.bytes': String(c.offsetsTopicSegmentBytes) },
      transactionMaxTimeoutMs: c.transactionMaxTimeoutMs
    }, this.#options.logger, { writeTxnMarkers: async (request) => await this.#options.markers.writeTxnMarkers(request) })
    try {
      await link.setTopics(this.#topicCounts())
    } catch (err) {
      await link.close().catch(() => {})
      throw err
    }
    if (this.#options.closed()) {
      await link.close()
      throw new MillraceError('MR_ERR_CLOSED', 'the broker is closed')
    }
    this.#link = link
    return link
  }

  #topicCounts (): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const t of this.#options.topics.all()) counts[t.name] = t.partitions.length
    return counts
  }

  /** Tells a running coordinator about topic changes (messages to it keep their order). */
  topicsChanged (): void {
    const link = this.#link
    if (link !== null && link.alive) void link.setTopics(this.#topicCounts()).catch(() => {})
  }

  /** The coordinator's offsets log and transaction log are compacted like a topic, whichever actor holds them now. */
  registerLogs (cleaner: LogCleaner): void {
    const running = (): CoordinatorLink | null => this.#link?.alive === true ? this.#link : null
    cleaner.register({
      name: OFFSETS_DIR,
      planClean: async (now) => await running()?.planClean(now) ?? null,
      cleanInline: async (plan) => {
        const link = running()
        if (link === null) throw new Error('the coordinator is not running')
        return await link.cleanInline(plan)
      },
      commitClean: async (result) => await running()?.commitClean(result) ?? false
    })
    cleaner.register({
      name: TXN_LOG_DIR,
      planClean: async (now) => await running()?.callTransactions((t) => t.planClean(now)) ?? null,
      cleanInline: async (plan) => {
        const link = running()
        if (link === null) throw new Error('the coordinator is not running')
        return await link.callTransactions((t) => t.cleanInline(plan))
      },
      commitClean: async (result) => await running()?.callTransactions((t) => t.commitClean(result)) ?? false
    })
  }

  async close (): Promise<void> {
    await this.#starting?.catch(() => {})
    await this.#link?.close().catch(() => {})
  }
}
