/**
 * The result of a `millrace bench` invocation: where it ran (machine, Node, commit), its
 * settings, every run of every target, medians with min and max, and ratios to the peers.
 * Written as JSON and rendered as the summary table printed at the end.
 */
import { execFileSync } from 'node:child_process'
import { cpus, release, totalmem, type as osType } from 'node:os'
import { FIGURES, formatNumber, ratios, statOf, summarize, type Stat } from './figures.js'
import type { BenchOptions, Workload } from './options.js'
import type { RunResult } from './workloads.js'

const PACKAGE_ROOT = new URL('../../../', import.meta.url).pathname

export interface TargetResult {
  label: string
  kind: 'millrace' | 'peer'
  details: Record<string, string | number | boolean>
  runs: RunResult[]
  /** Index in `runs` of the run whose main figure is the median (the one the charts draw). */
  medianRun: number
  summary: Record<string, Stat & { name: string, unit: string }>
  /** clinic report paths, one per run, under --profile. */
  profileReports: string[]
}

export interface BenchResult {
  tool: 'millrace bench'
  formatVersion: 1
  createdAt: string
  workload: Workload
  commit: string
  node: string
  machine: { cpus: number, cpuModel: string, memoryGb: number, os: string }
  settings: Record<string, string | number | boolean | null>
  targets: TargetResult[]
  ratios: Array<{ peer: string, ratios: Record<string, number> }>
  skipped: string[]
}

export function gitCommit (): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    return 'unknown'
  }
}

export function settingsOf (o: BenchOptions): Record<string, string | number | boolean | null> {
  return {
    workload: o.workload,
    target: o.target,
    brokers: o.brokers === undefined ? null : `${o.brokers.host}:${o.brokers.port}`,
    storage: o.dataDir === null ? 'memory' : o.dataDir ?? 'temp data dir per run',
    records: o.records ?? null,
    durationMs: o.durationMs ?? null,
    recordBytes: o.recordBytes,
    partitions: o.partitions,
    producers: o.producers,
    consumers: o.consumers,
    acks: o.acks === -1 ? 'all' : o.acks,
    durable: o.durable,
    compression: o.compressionName,
    batchBytes: o.batchBytes,
    lingerMs: o.lingerMs,
    inFlight: o.inFlight,
    rate: o.rate ?? null,
    runs: o.runs,
    vs: o.vs.join(',') || null,
    profile: o.profile ?? null,
    producer: o.producerMode,
    txnRecords: o.producerMode === 'transactional' ? o.txnRecords : null,
    compareIdempotent: o.compareIdempotent,
    replicationFactor: o.replicationFactor,
    compareReplication: o.compareReplication
  }
}

export function targetResult (workload: Workload, label: string, kind: 'millrace' | 'peer', details: Record<string, string | number | boolean>, runs: RunResult[], profileReports: string[]): TargetResult {
  const main = FIGURES[workload][0]
  const med = statOf(runs, main)?.median
  let medianRun = 0
  if (med !== undefined) {
    let best = Infinity
    runs.forEach((r, i) => { const d = Math.abs((main.of(r) ?? Infinity) - med); if (d < best) { best = d; medianRun = i } })
  }
  return { label, kind, details, runs, medianRun, summary: summarize(workload, runs), profileReports }
}

export function buildResult (options: BenchOptions, targets: TargetResult[], skipped: string[]): BenchResult {
  const ours = targets.find((t) => t.kind === 'millrace')
  const cpu = cpus()
  return {
    tool: 'millrace bench',
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    workload: options.workload,
    commit: gitCommit(),
    node: process.version,
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), os: `${osType()} ${release()}` },
    settings: settingsOf(options),
    targets,
    ratios: ours === undefined ? [] : targets.filter((t) => t.kind === 'peer').map((t) => ({ peer: t.label, ratios: ratios(options.workload, ours.runs, t.runs) })),
    skipped
  }
}

/** The plain-text summary: one block per target, medians with min and max, then the ratios. */
export function summaryTable (result: BenchResult): string {
  const lines: string[] = []
  const runs = Number(result.settings.runs)
  lines.push(`millrace bench ${result.workload}: medians of ${runs} run${runs === 1 ? '' : 's'} (min–max), commit ${result.commit}, Node ${result.node}, ${result.machine.cpus} × ${result.machine.cpuModel}`)
  for (const t of result.targets) {
    lines.push('', `  ${t.label}`)
    for (const s of Object.values(t.summary)) {
      lines.push(`    ${s.name.padEnd(30)} ${formatNumber(s.median).padStart(12)} ${s.unit.padEnd(10)} (${formatNumber(s.min)}–${formatNumber(s.max)})`)
    }
    for (const path of t.profileReports) lines.push(`    profile: ${path}`)
  }
  for (const r of result.ratios) {
    const parts = Object.entries(r.ratios).map(([k, v]) => `${FIGURES[result.workload].find((f) => f.key === k)?.name ?? k} ${v.toFixed(2)}×`)
    if (parts.length > 0) lines.push('', `  millrace vs ${r.peer} (above 1 = millrace ahead): ${parts.join(', ')}`)
  }
  for (const s of result.skipped) lines.push('', `  skipped: ${s}`)
  return lines.join('\n') + '\n'
}
