/**
 * The figures each workload reports, their medians over runs with min and max, and the ratios
 * of Millrace to each peer. Shared by the summary table, the JSON result and the HTML report.
 */
import type { Workload } from './options.js'
import type { RunResult } from './workloads.js'

export interface FigureDef {
  key: string
  name: string
  unit: string
  better: 'higher' | 'lower'
  of: (r: RunResult) => number | undefined
}

const ms = (us: number | undefined): number | undefined => us === undefined ? undefined : us / 1000

const PRODUCE_RATE: FigureDef = { key: 'produceRate', name: 'produce', unit: 'records/s', better: 'higher', of: (r) => r.produceRate }
const CONSUME_RATE: FigureDef = { key: 'consumeRate', name: 'consume', unit: 'records/s', better: 'higher', of: (r) => r.consumeRate }
const MB: FigureDef = { key: 'mbPerSec', name: 'values', unit: 'MB/s', better: 'higher', of: (r) => r.mbPerSec }
const LOAD_CPU: FigureDef = { key: 'loadCpuSec', name: 'load generator CPU', unit: 's', better: 'lower', of: (r) => r.loadCpuSec }
const BROKER_CPU: FigureDef = { key: 'brokerCpuSec', name: 'broker CPU', unit: 's', better: 'lower', of: (r) => r.brokerCpuSec }
const PEAK_RSS: FigureDef = { key: 'brokerPeakRssMb', name: 'broker peak RSS', unit: 'MB', better: 'lower', of: (r) => r.brokerPeakRssMb }

/** Transactional produce runs only (other runs leave them undefined, so they are not shown). */
const COMMIT_P50: FigureDef = { key: 'commitP50Ms', name: 'commit latency p50', unit: 'ms', better: 'lower', of: (r) => r.commitP50Ms }
const COMMIT_P99: FigureDef = { key: 'commitP99Ms', name: 'commit latency p99', unit: 'ms', better: 'lower', of: (r) => r.commitP99Ms }
const COMMITTED_CONSUME_RATE: FigureDef = { key: 'committedConsumeRate', name: 'read_committed consume', unit: 'records/s', better: 'higher', of: (r) => r.committedConsumeRate }

export const FIGURES: Readonly<Record<Workload, FigureDef[]>> = {
  produce: [PRODUCE_RATE, MB, LOAD_CPU, BROKER_CPU, PEAK_RSS, COMMIT_P50, COMMIT_P99, COMMITTED_CONSUME_RATE],
  consume: [CONSUME_RATE, MB, LOAD_CPU, BROKER_CPU],
  latency: [
    { key: 'p50', name: 'latency p50', unit: 'ms', better: 'lower', of: (r) => ms(r.latency?.p50) },
    { key: 'p99', name: 'latency p99', unit: 'ms', better: 'lower', of: (r) => ms(r.latency?.p99) },
    { key: 'p999', name: 'latency p99.9', unit: 'ms', better: 'lower', of: (r) => ms(r.latency?.p999) },
    { key: 'max', name: 'latency max', unit: 'ms', better: 'lower', of: (r) => ms(r.latency?.max) },
    { ...PRODUCE_RATE, name: 'rate reached' },
    LOAD_CPU, BROKER_CPU
  ],
  mixed: [PRODUCE_RATE, CONSUME_RATE, LOAD_CPU, BROKER_CPU],
  startup: [
    { key: 'coldStartMs', name: 'spawn → first round trip', unit: 'ms', better: 'lower', of: (r) => r.coldStartMs },
    { key: 'readyMs', name: 'spawn → listening', unit: 'ms', better: 'lower', of: (r) => r.readyMs },
    { key: 'idleRssMb', name: 'idle RSS', unit: 'MB', better: 'lower', of: (r) => r.idleRssMb },
    { ...PEAK_RSS, name: 'peak RSS after producing' },
    { ...PRODUCE_RATE, name: 'produce while measuring peak' }
  ]
}

export interface Stat { median: number, min: number, max: number }

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Median, min and max of the runs that have the figure; undefined when none has it. */
export function statOf (runs: RunResult[], figure: FigureDef): Stat | undefined {
  const values = runs.map(figure.of).filter((v): v is number => v !== undefined && Number.isFinite(v))
  if (values.length === 0) return undefined
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}

export function summarize (workload: Workload, runs: RunResult[]): Record<string, Stat & { name: string, unit: string }> {
  const out: Record<string, Stat & { name: string, unit: string }> = {}
  for (const f of FIGURES[workload]) {
    const s = statOf(runs, f)
    if (s !== undefined) out[f.key] = { name: f.name, unit: f.unit, ...s }
  }
  return out
}

/**
 * How many times better Millrace's median is than the peer's on each main figure (above 1 =
 * Millrace ahead): ours ÷ theirs for rates, theirs ÷ ours for times and sizes.
 */
export function ratios (workload: Workload, ours: RunResult[], theirs: RunResult[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const f of FIGURES[workload]) {
    if (f.key === 'loadCpuSec' || f.key === 'brokerCpuSec') continue
    const a = statOf(ours, f)
    const b = statOf(theirs, f)
    if (a === undefined || b === undefined || a.median === 0 || b.median === 0) continue
    out[f.key] = f.better === 'higher' ? a.median / b.median : b.median / a.median
  }
  return out
}

/** 1234567 → "1,234,567"; small numbers keep two decimals. */
export function formatNumber (n: number): string {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US')
  if (Math.abs(n) >= 10) return n.toFixed(1)
  return n.toFixed(2)
}
