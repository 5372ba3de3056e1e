/**
 * One run of one workload against one driver, timed and measured. The run owns its topic:
 * created first, deleted last (best effort, so a remote broker is left as it was).
 */
import { randomBytes } from 'node:crypto'
import type { Driver } from './driver.js'
import { LatencyHistogram, type DistributionPoint, type LatencySummary } from './histogram.js'
import { Meter, type RateSample } from './meter.js'
import type { BenchOptions, Workload } from './options.js'
import { ownCpuSec, processSnapshot } from './proc-stats.js'

/** Consumers give up on records that never arrive after this long without progress. */
const STALL_TIMEOUT_MS = 60_000
/** How long the startup workload lets the broker sit idle before reading its RSS. */
const IDLE_SETTLE_MS = 1000

export interface RunResult {
  run: number
  seconds: number
  produced: number
  consumed: number
  /** Records per second of the timed part. */
  produceRate: number | undefined
  consumeRate: number | undefined
  /** Value megabytes per second (10^6) of the main figure. */
  mbPerSec: number | undefined
  latency: (LatencySummary & { distribution: DistributionPoint[] }) | undefined
  samples: RateSample[]
  /** CPU seconds of this process (the load generator, and the broker too when embedded). */
  loadCpuSec: number
  /** Busy time of the producer threads, when producers run in threads. */
  producerBusySec: number | undefined
  /** The broker process's CPU seconds and RSS, when it is a process on this machine. */
  brokerCpuSec: number | undefined
  brokerRssMb: number | undefined
  brokerPeakRssMb: number | undefined
  /** startup: spawn → first produce+consume round trip, and spawn → listening. */
  coldStartMs: number | undefined
  readyMs: number | undefined
  idleRssMb: number | undefined
  /** Transactional produce: commitTransaction's time (ms) and a read_committed read-back of everything (records/s). */
  commitP50Ms: number | undefined
  commitP99Ms: number | undefined
  commits: number | undefined
  committedConsumeRate: number | undefined
}

/** A driver for one run, opened by the caller; `startedAt` is performance.now() before it spawned anything. */
export interface OpenedDriver { driver: Driver, startedAt: number, readyMs: number | undefined }

function topicName (workload: Workload, run: number): string {
  return `bench-${workload}-${run}-${randomBytes(4).toString('hex')}`
}

function emptyResult (run: number): RunResult {
  return {
    run, seconds: 0, produced: 0, consumed: 0, produceRate: undefined, consumeRate: undefined, mbPerSec: undefined, latency: undefined,
    samples: [], loadCpuSec: 0, producerBusySec: undefined, brokerCpuSec: undefined, brokerRssMb: undefined, brokerPeakRssMb: undefined,
    coldStartMs: undefined, readyMs: undefined, idleRssMb: undefined,
    commitP50Ms: undefined, commitP99Ms: undefined, commits: undefined, committedConsumeRate: undefined
  }
}

/** Rejects when `meter`'s count stops moving for STALL_TIMEOUT_MS, so a lost record cannot hang the run. */
function stallGuard (meter: Meter, count: () => number, abort: AbortController): { promise: Promise<never>, stop: () => void } {
  let last = -1
  let lastAt = performance.now()
  let timer: NodeJS.Timeout | undefined
  const promise = new Promise<never>((_resolve, reject) => {
    timer = setInterval(() => {
      const n = count()
      if (n !== last) { last = n; lastAt = performance.now(); return }
      if (performance.now() - lastAt > STALL_TIMEOUT_MS) {
        abort.abort()
        reject(new Error(`no progress for ${STALL_TIMEOUT_MS / 1000} s (produced ${meter.produced}, consumed ${meter.consumed})`))
      }
    }, 1000)
  })
  promise.catch(() => {})
  return { promise, stop: () => clearInterval(timer) }
}

/** The value below which `fraction` of the sorted values lie (nearest rank). */
function percentile (sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]
}

/**
 * After a transactional produce run: reads every record back with read_committed, timed apart
 * from the produce figure. Reading them all also proves that every transaction committed.
 */
async function readCommitted (driver: Driver, topic: string, partitions: number, produced: number, meter: Meter, signal: AbortSignal): Promise<{ count: number, rate: number }> {
  const consume = await driver.prepareConsume({ topic, partitions, expected: { count: produced }, signal, histogram: undefined, meter, readCommitted: true })
  const t = performance.now()
  const count = await consume()
  return { count, rate: count / ((performance.now() - t) / 1000) }
}

export async function runWorkload (opened: OpenedDriver, options: BenchOptions, run: number, onSample: (m: Meter) => void): Promise<RunResult> {
  const { driver } = opened
  const result = emptyResult(run)
  const topic = topicName(options.workload, run)
  const partitions = options.partitions
  const meter = new Meter(onSample)
  let cpu0 = ownCpuSec()
  let broker0 = driver.pid === undefined ? undefined : processSnapshot(driver.pid)
  const abort = new AbortController()
  const guard = stallGuard(meter, () => meter.produced + meter.consumed, abort)
  let t0 = 0
  try {
    if (options.workload === 'startup') {
      await driver.createTopic(topic, 1)
      await driver.roundTrip(topic)
      result.coldStartMs = performance.now() - opened.startedAt
      result.readyMs = opened.readyMs
      await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS))
      if (driver.pid !== undefined) result.idleRssMb = processSnapshot(driver.pid)?.rssMb
      else if (driver.inProcess) result.idleRssMb = process.memoryUsage().rss / 2 ** 20
    } else {
      await driver.createTopic(topic, partitions)
    }
    const produceRecords = options.workload === 'startup' ? options.records ?? 1_000_000 : options.records
    const produceJob = { topic, partitions, records: produceRecords, durationMs: options.durationMs, rate: options.rate, stamp: options.workload === 'latency', meter }
    if (options.workload === 'consume') {
      // Fill the topic first, untimed.
      const fill = await driver.prepareProduce({ ...produceJob, meter: new Meter() })
      result.produced = (await fill()).records
    }
    const expected = { count: options.workload === 'consume' ? result.produced : produceRecords ?? Infinity }
    const consumes = options.workload === 'consume' || options.workload === 'mixed' || options.workload === 'latency'
    const produces = options.workload !== 'consume'
    const histogram = options.workload === 'latency' ? new LatencyHistogram() : undefined
    const consume = consumes ? await driver.prepareConsume({ topic, partitions, expected, signal: abort.signal, histogram, meter }) : undefined
    const produce = produces ? await driver.prepareProduce(produceJob) : undefined
    // CPU is counted from here: filling the topic for a consume run is not part of the figure.
    if (options.workload !== 'startup') {
      cpu0 = ownCpuSec()
      broker0 = driver.pid === undefined ? undefined : processSnapshot(driver.pid)
    }
    t0 = performance.now()
    meter.start()
    let produceSeconds = 0
    let consumeSeconds = 0
    let commitMs: number[] | undefined
    const consuming = consume?.().then((n) => { consumeSeconds = (performance.now() - t0) / 1000; return n })
    consuming?.catch(() => {})
    if (produce !== undefined) {
      const outcome = await Promise.race([produce(), guard.promise])
      produceSeconds = (performance.now() - t0) / 1000
      result.produced = outcome.records
      result.producerBusySec = outcome.busyMs === undefined ? undefined : outcome.busyMs / 1000
      commitMs = outcome.commitMs
      expected.count = outcome.records
      // Consumers that already have everything may be blocked waiting for more: release them.
      if (meter.consumed >= expected.count) abort.abort()
    }
    if (consuming !== undefined) result.consumed = await Promise.race([consuming, guard.promise])
    meter.stop()
    result.seconds = (performance.now() - t0) / 1000
    result.samples = meter.samples
    if (produces) result.produceRate = result.produced / produceSeconds
    if (consumes) result.consumeRate = result.consumed / consumeSeconds
    const main = options.workload === 'consume' ? result.consumeRate : result.produceRate
    result.mbPerSec = main === undefined ? undefined : main * options.recordBytes / 1e6
    if (histogram !== undefined) result.latency = { ...histogram.summary(), distribution: histogram.distribution() }
    if (commitMs !== undefined && commitMs.length > 0) {
      const sorted = [...commitMs].sort((a, b) => a - b)
      result.commits = sorted.length
      result.commitP50Ms = percentile(sorted, 0.5)
      result.commitP99Ms = percentile(sorted, 0.99)
      const read = await Promise.race([readCommitted(driver, topic, partitions, result.produced, meter, abort.signal), guard.promise])
      result.consumed = read.count
      result.committedConsumeRate = read.rate
    }
  } finally {
    guard.stop()
    meter.stop()
    abort.abort()
  }
  result.loadCpuSec = ownCpuSec() - cpu0
  const broker1 = driver.pid === undefined ? undefined : processSnapshot(driver.pid)
  if (broker0 !== undefined && broker1 !== undefined) {
    result.brokerCpuSec = broker1.cpuSec - broker0.cpuSec
    result.brokerRssMb = broker1.rssMb
    result.brokerPeakRssMb = broker1.peakRssMb
  }
  // In library mode the broker's memory is this process's (load generator included).
  if (driver.inProcess) result.brokerPeakRssMb = process.resourceUsage().maxRSS / 1024
  await driver.deleteTopic(topic).catch(() => {})
  return result
}
