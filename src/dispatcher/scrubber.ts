/**
 * Scrubber: verifies every partition's sealed segments in the background (CRC-32C of each
 * batch, offsets following on; src/log/scrub.ts), at most `bytesPerSecond`, one pass over the
 * broker and then a pause of `intervalMs`. Damage found is logged and reported to the
 * partition's owner, which answers fetches of that range with CORRUPT_MESSAGE from then on.
 *
 * Thread: the dispatcher's. It holds no files: plans and findings go to the owner over its
 * control plane, the reading runs as small jobs in the pool (a chunk each), so a pass never holds
 * a pool thread for long and recovery or cleaning jobs queue behind one chunk at most.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../logger.js'
import type { ScrubDamage, ScrubPlan, ScrubProgress, ScrubTask } from '../log/scrub.js'

/** Bytes one job verifies: small enough to pace finely, large enough that a job's overhead does not matter. */
const SCRUB_CHUNK_BYTES = 1 << 20

/** A partition the scrubber can verify, wherever its owner lives. */
export interface Scrubbable {
  /** `topic-partition`, for the log. */
  readonly name: string
  planScrub (): Promise<ScrubPlan | null>
  markDamaged (segmentBase: number, size: number, position: number, why: string): Promise<boolean>
}

export interface ScrubFinding extends ScrubDamage {
  partition: string
  dir: string
  segment: number
}

/** What one pass did. */
export interface ScrubPassReport {
  /** Segments verified to their end. */
  segments: number
  bytes: number
  findings: ScrubFinding[]
  /** Partitions whose pass failed (a worker restarted, the partition was deleted); the next pass retries. */
  failed: number
}

export interface ScrubberOptions {
  intervalMs: number
  bytesPerSecond: number
  runJob: (task: ScrubTask) => Promise<ScrubProgress>
  /** The partitions to verify, read at the start of each pass. */
  partitions: () => Iterable<Scrubbable>
  logger: Logger
}

export class Scrubber {
  readonly #options: ScrubberOptions
  readonly #stop = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #running: Promise<ScrubPassReport> | null = null
  /** Time the reads so far should have taken at the rate and were not yet waited for. */
  #owedMs = 0

  constructor (options: ScrubberOptions) {
    this.#options = options
  }

  /** Schedules the first pass one interval from now; each pass schedules the next when it ends. */
  start (): void {
    if (this.#stop.signal.aborted || this.#timer !== undefined) return
    this.#schedule()
  }

  #schedule (): void {
    if (this.#stop.signal.aborted) return
    this.#timer = setTimeout(() => {
      void this.scrubNow().catch(() => {}).finally(() => this.#schedule())
    }, this.#options.intervalMs)
    this.#timer.unref()
  }

  /** Runs one full pass now (or waits for the one running, then runs a fresh one). */
  async scrubNow (): Promise<ScrubPassReport> {
    while (this.#running !== null) await this.#running.catch(() => {})
    this.#running = this.#pass().finally(() => { this.#running = null })
    return await this.#running
  }

  /** Stops the timer and the pass in progress (at its next chunk). */
  async stop (): Promise<void> {
    this.#stop.abort()
    clearTimeout(this.#timer)
    await this.#running?.catch(() => {})
  }

  async #pass (): Promise<ScrubPassReport> {
    const report: ScrubPassReport = { segments: 0, bytes: 0, findings: [], failed: 0 }
    for (const source of [...this.#options.partitions()]) {
      if (this.#stop.signal.aborted) break
      try {
        await this.#scrubPartition(source, report)
      } catch (err) {
        if (this.#stop.signal.aborted) break
        report.failed++
        this.#options.logger.warn({ partition: source.name, err }, 'scrub of a partition failed; the next pass retries it')
      }
    }
    return report
  }

  async #scrubPartition (source: Scrubbable, report: ScrubPassReport): Promise<void> {
    const plan = await source.planScrub()
    if (plan === null) return
    for (const segment of plan.segments) {
      const task: ScrubTask = { dir: plan.dir, segment, position: 0, expectedOffset: segment.baseOffset, exact: segment.contiguous, maxBytes: SCRUB_CHUNK_BYTES }
      for (;;) {
        if (this.#stop.signal.aborted) return
        const progress = await this.#options.runJob(task)
        report.bytes += progress.bytes
        await this.#pace(progress.bytes)
        if (progress.stale) break
        if (progress.damage !== null) {
          await this.#found(source, plan, task, progress.damage, report)
          break
        }
        if (progress.position >= segment.size) { report.segments++; break }
        task.position = progress.position
        task.expectedOffset = progress.expectedOffset
        task.exact = progress.exact
      }
    }
  }

  async #found (source: Scrubbable, plan: ScrubPlan, task: ScrubTask, damage: ScrubDamage, report: ScrubPassReport): Promise<void> {
    const { segment } = task
    // The owner refuses the finding when the segment changed under the plan (deleted, compacted).
    if (!await source.markDamaged(segment.baseOffset, segment.size, damage.position, damage.why)) return
    const finding: ScrubFinding = { partition: source.name, dir: plan.dir, segment: segment.baseOffset, ...damage }
    report.findings.push(finding)
    this.#options.logger.error({ ...finding }, 'scrubber found a damaged batch in a sealed segment; fetches from this offset to the segment\'s end answer CORRUPT_MESSAGE')
  }

  /** Waits as long as reading `bytes` should take at the configured rate (small reads add up first). */
  async #pace (bytes: number): Promise<void> {
    this.#owedMs += bytes * 1000 / this.#options.bytesPerSecond
    if (this.#owedMs < 1) return
    const ms = this.#owedMs
    this.#owedMs = 0
    await sleep(ms, undefined, { signal: this.#stop.signal, ref: false }).catch(() => {})
  }
}
