/**
 * `millrace bench <workload>`: runs the workload `--runs` times against the Millrace target
 * (a fresh broker per run) and then against each `--vs` peer that is installed, prints the
 * summary table and writes the JSON result and the HTML report.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { CliError } from '../cli/args.js'
import type { Driver } from './driver.js'
import { EmbeddedDriver } from './embedded-driver.js'
import { formatNumber } from './figures.js'
import { KafkaDriver } from './kafka-driver.js'
import { startMillraceServer } from './millrace-server.js'
import { BENCH_USAGE, HelpRequested, parseBenchArgs, type BenchOptions, type PeerName } from './options.js'
import { findBinary } from './peer-process.js'
import { Progress } from './progress.js'
import { buildResult, summaryTable, targetResult, type BenchResult, type TargetResult } from './result.js'
import { renderHtml } from './report-html.js'
import { runWorkload, type OpenedDriver, type RunResult } from './workloads.js'

export interface Target {
  label: string
  kind: 'millrace' | 'peer'
  open: () => Promise<OpenedDriver & { close: () => Promise<string | undefined> }>
}

const PEER_INSTALL: Record<PeerName, { binary: string, module: string, install: string }> = {
  nats: { binary: 'nats-server', module: 'nats', install: 'apt-get install nats-server' },
  redis: { binary: 'redis-server', module: 'ioredis', install: 'apt-get install redis-server' }
}

function closing (driver: Driver, after?: () => Promise<string | undefined>): () => Promise<string | undefined> {
  return async () => {
    try {
      await driver.close()
    } catch (err) {
      await after?.()
      throw err
    }
    return await after?.()
  }
}

/** ", replication factor N" in a label, when the run compares replication factors or uses one above 1. */
function replicationLabel (options: BenchOptions): string {
  return options.replicationFactor > 1 || options.compareReplication ? `, replication factor ${options.replicationFactor}` : ''
}

function millraceTarget (options: BenchOptions): Target {
  if (options.target === 'embedded') {
    return {
      label: (options.producerMode === 'plain' ? 'millrace (embedded' : `millrace (embedded, ${options.producerMode}`) + `${replicationLabel(options)})`,
      kind: 'millrace',
      open: async () => {
        const startedAt = performance.now()
        const driver = await EmbeddedDriver.open(options)
        return { driver, startedAt, readyMs: performance.now() - startedAt, close: closing(driver) }
      }
    }
  }
  if (options.target === 'brokers') {
    const label = `kafka at ${options.brokers!.host}:${options.brokers!.port}` + (options.replicationFactor > 1 || options.compareReplication ? ` (replication factor ${options.replicationFactor})` : '')
    return {
      label,
      kind: 'millrace',
      open: async () => {
        const startedAt = performance.now()
        const driver = await KafkaDriver.open(label, options.brokers!, options)
        return { driver, startedAt, readyMs: undefined, close: closing(driver) }
      }
    }
  }
  const label = `millrace (server${replicationLabel(options)})`
  return {
    label,
    kind: 'millrace',
    open: async () => {
      const startedAt = performance.now()
      const server = await startMillraceServer(options, startedAt)
      // Under clinic the child is clinic itself: its CPU and memory are not the broker's.
      const pid = options.profile === undefined ? server.child.pid : undefined
      let driver: Driver
      try {
        driver = await KafkaDriver.open(label, { host: '127.0.0.1', port: server.port }, options, pid)
      } catch (err) {
        await server.stop()
        throw err
      }
      return { driver, startedAt, readyMs: server.readyMs, close: closing(driver, async () => { await server.stop(); return server.reportPath }) }
    }
  }
}

/**
 * The idempotent producer as a baseline for --compare-idempotent: it stands where a peer
 * stands, so the summary's ratios read transactional ÷ idempotent.
 */
function idempotentBaseline (options: BenchOptions): Target {
  return { ...millraceTarget({ ...options, producerMode: 'idempotent', compareIdempotent: false }), kind: 'peer' }
}

/**
 * Replication factor 1 as the baseline for --compare-replication: it stands where a peer stands,
 * so the summary's ratios read replication factor N ÷ 1.
 */
function replicationBaseline (options: BenchOptions): Target {
  return { ...millraceTarget({ ...options, replicationFactor: 1 }), kind: 'peer' }
}

/** The peers' targets, and a message for each one that cannot run here. */
export async function peerTargets (options: BenchOptions, find: (name: string) => string | undefined = findBinary): Promise<{ targets: Target[], skipped: string[] }> {
  const targets: Target[] = []
  const skipped: string[] = []
  for (const name of options.vs) {
    const need = PEER_INSTALL[name]
    const binary = find(need.binary)
    if (binary === undefined) { skipped.push(`${name}: ${need.binary} is not installed (install it with '${need.install}')`); continue }
    try {
      await import(need.module)
    } catch {
      skipped.push(`${name}: the npm package '${need.module}' is missing (install it with 'npm install ${need.module}')`)
      continue
    }
    const open = async (): Promise<Driver> => {
      if (name === 'nats') return await (await import('./nats-driver.js')).NatsDriver.open(binary, options)
      return await (await import('./redis-driver.js')).RedisDriver.open(binary, options)
    }
    targets.push({
      label: name === 'nats' ? 'nats jetstream' : 'redis streams',
      kind: 'peer',
      open: async () => {
        const startedAt = performance.now()
        const driver = await open()
        return { driver, startedAt, readyMs: undefined, close: closing(driver) }
      }
    })
  }
  return { targets, skipped }
}

function describeRun (workload: string, r: RunResult): string {
  switch (workload) {
    case 'consume': return `${formatNumber(r.consumeRate ?? 0)} records/s`
    case 'mixed': return `produce ${formatNumber(r.produceRate ?? 0)}, consume ${formatNumber(r.consumeRate ?? 0)} records/s`
    case 'latency': return `p50 ${formatNumber((r.latency?.p50 ?? 0) / 1000)} ms, p99 ${formatNumber((r.latency?.p99 ?? 0) / 1000)} ms, p99.9 ${formatNumber((r.latency?.p999 ?? 0) / 1000)} ms at ${formatNumber(r.produceRate ?? 0)} records/s`
    case 'startup': return `${formatNumber(r.coldStartMs ?? 0)} ms to first round trip, idle RSS ${formatNumber(r.idleRssMb ?? 0)} MB, peak ${formatNumber(r.brokerPeakRssMb ?? 0)} MB`
    default: return `${formatNumber(r.produceRate ?? 0)} records/s` + (r.commits === undefined
      ? ''
      : `, ${r.commits} commits (p50 ${formatNumber(r.commitP50Ms ?? 0)} ms, p99 ${formatNumber(r.commitP99Ms ?? 0)} ms), read_committed ${formatNumber(r.committedConsumeRate ?? 0)} records/s`)
  }
}

async function runTarget (target: Target, options: BenchOptions, progress: Progress): Promise<TargetResult> {
  const runs: RunResult[] = []
  const reports: string[] = []
  let details: Record<string, string | number | boolean> = {}
  for (let run = 1; run <= options.runs; run++) {
    const opened = await target.open()
    let result: RunResult
    try {
      details = opened.driver.details
      result = await runWorkload(opened, options, run, (m) => progress.update(target.label, run, options.runs, m))
    } finally {
      const report = await opened.close()
      if (report !== undefined) reports.push(report)
    }
    runs.push(result)
    progress.note(`${target.label} run ${run}/${options.runs}: ${describeRun(options.workload, result)}`)
  }
  return targetResult(options.workload, target.label, target.kind, details, runs, reports)
}

export interface BenchFiles { jsonPath: string, htmlPath: string }

/** Runs the benchmark the options describe; returns the result and where it was written. */
export async function runBenchmark (options: BenchOptions, out: NodeJS.WriteStream = process.stderr): Promise<{ result: BenchResult, files: BenchFiles }> {
  const progress = new Progress(out, options.progress)
  const { targets: peers, skipped } = await peerTargets(options)
  for (const s of skipped) progress.note(`skipping ${s}`)
  if (options.workload === 'startup' && options.target === 'brokers') throw new CliError('startup measures a broker this command starts: it cannot run with --brokers')
  const results: TargetResult[] = []
  const baseline = options.compareIdempotent ? [idempotentBaseline(options)] : options.compareReplication ? [replicationBaseline(options)] : []
  for (const target of [millraceTarget(options), ...baseline, ...peers]) results.push(await runTarget(target, options, progress))
  const result = buildResult(options, results, skipped)
  const stamp = result.createdAt.replace(/[:.]/g, '-')
  const jsonPath = resolve(options.jsonPath ?? join(options.outDir, `bench-${options.workload}-${stamp}.json`))
  const htmlPath = resolve(options.htmlPath ?? jsonPath.replace(/\.json$/, '') + '.html')
  for (const path of [jsonPath, htmlPath]) mkdirSync(dirname(path), { recursive: true })
  writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n')
  writeFileSync(htmlPath, renderHtml(result))
  return { result, files: { jsonPath, htmlPath } }
}

/** The `millrace bench` command. */
export async function runBench (argv: string[]): Promise<void> {
  let options: BenchOptions
  try {
    options = parseBenchArgs(argv)
  } catch (err) {
    if (err instanceof HelpRequested) { process.stdout.write(BENCH_USAGE); return }
    throw err
  }
  const { result, files } = await runBenchmark(options)
  process.stdout.write('\n' + summaryTable(result))
  process.stdout.write(`\n  result: ${files.jsonPath}\n  report: ${files.htmlPath}\n`)
}
