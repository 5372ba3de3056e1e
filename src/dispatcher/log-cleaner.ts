/**
 * LogCleaner: every `cleanerIntervalMs`, walks the compacted logs and cleans the ones that ask
 * for it: plan (on the log's owner) → clean (a job in the pool, or the owner itself for a log
 * in memory) → commit (on the owner). One log at a time, so a pass never takes more than one
 * pool thread from the start-up recovery or deletion jobs.
 *
 * Thread: the dispatcher's. It holds no files: sources do the work where their log lives.
 * Partitions of compacted topics come from `partitions()`; other logs (the coordinator's
 * offsets log) register themselves as a `Cleanable`.
 */
import { channel } from 'node:diagnostics_channel'
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import type { Logger } from '../logger.js'

const cleanedChannel = channel('millrace:log-cleaner:cleaned')
const errorChannel = channel('millrace:log-cleaner:error')

/** A log the cleaner can compact, wherever it lives. */
export interface Cleanable {
  /** For reports: `topic-partition` or a name of the source's choosing. */
  readonly name?: string
  planClean (now: number): Promise<CleanPlan | null>
  /** Swaps the cleaned files in; a stale result (the log changed under the plan) is discarded there. */
  commitClean (result: CleanResult): Promise<unknown>
  /** For a plan without a directory (a log in memory): runs the clean where the log is. */
  cleanInline?: (plan: CleanPlan) => Promise<CleanResult>
}

/** What one pass did. */
export interface CleanPassReport {
  /** Logs that were cleaned and committed. */
  cleaned: number
  /** Logs that had nothing to clean. */
  skipped: number
  failed: number
  results: CleanResult[]
}

export interface LogCleanerOptions {
  intervalMs: number
  /** Runs a plan that has a directory, in the job pool; null when there is no pool. */
  runJob: ((plan: CleanPlan) => Promise<CleanResult>) | null
  /** The partitions of compacted topics, read at the start of each pass. */
  partitions: () => Iterable<Cleanable>
  logger: Logger
}

export class LogCleaner {
  readonly #options: LogCleanerOptions
  readonly #registered = new Set<Cleanable>()
  #timer: NodeJS.Timeout | undefined
  #running: Promise<CleanPassReport> | null = null
  #stopped = false

  constructor (options: LogCleanerOptions) {
    this.#options = options
  }

  /** Adds a log that is not a topic partition (the offsets log); returns its removal. */
  register (source: Cleanable): () => void {
    this.#registered.add(source)
    return () => { this.#registered.delete(source) }
  }

  start (): void {
    if (this.#stopped || this.#timer !== undefined) return
    this.#timer = setInterval(() => { void this.cleanNow().catch(() => {}) }, this.#options.intervalMs)
    this.#timer.unref()
  }

  /** Runs one full pass now (or joins the one running, then runs a fresh one) and resolves with its report. */
  async cleanNow (): Promise<CleanPassReport> {
    while (this.#running !== null) await this.#running.catch(() => {})
    if (this.#stopped) return { cleaned: 0, skipped: 0, failed: 0, results: [] }
    this.#running = this.#pass().finally(() => { this.#running = null })
    return await this.#running
  }

  /** Stops the timer and waits for a pass in progress; no commit happens afterwards. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => {})
  }

  #logCleaned (partition: string | undefined, r: CleanResult): void {
    const fields = { partition, segments: r.segments.length, records: r.records, keptRecords: r.keptRecords, droppedTombstones: r.droppedTombstones, readBytes: r.readBytes, writtenBytes: r.writtenBytes }
    this.#options.logger.info(fields, 'compacted segments replaced')
    if (r.unreadableBatches > 0) this.#options.logger.warn({ partition, unreadableBatches: r.unreadableBatches }, 'cleaning kept batches it could not read (corrupt, or inflating past max.message.bytes × 32) as they were')
    if (r.droppedNullKeys > 0) this.#options.logger.warn({ partition, droppedNullKeys: r.droppedNullKeys }, 'cleaning dropped records without a key (written before the topic was compacted)')
  }

  async #pass (): Promise<CleanPassReport> {
    const report: CleanPassReport = { cleaned: 0, skipped: 0, failed: 0, results: [] }
    const sources = [...this.#options.partitions(), ...this.#registered]
    for (const source of sources) {
      if (this.#stopped) break
      try {
        const result = await this.#cleanOne(source)
        if (result === null) { report.skipped++; continue }
        report.cleaned++
        report.results.push(result)
        if (cleanedChannel.hasSubscribers) cleanedChannel.publish({ name: source.name, result })
        this.#logCleaned(source.name, result)
      } catch (err) {
        // A log deleted or a worker restarted mid-clean: its next pass starts over.
        report.failed++
        if (errorChannel.hasSubscribers) errorChannel.publish({ name: source.name, error: err })
        this.#options.logger.warn({ partition: source.name, err }, 'cleaning failed; the next pass starts over')
      }
    }
    return report
  }

  async #cleanOne (source: Cleanable): Promise<CleanResult | null> {
    const plan = await source.planClean(Date.now())
    if (plan === null || this.#stopped) return null
    let result: CleanResult
    if (plan.dir !== null && this.#options.runJob !== null) {
      result = await this.#options.runJob(plan)
    } else if (source.cleanInline !== undefined) {
      result = await source.cleanInline(plan)
    } else {
      return null
    }
    if (this.#stopped) return null
    const committed = await source.commitClean(result)
    return committed === false ? null : result
  }
}
