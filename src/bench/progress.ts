/** The live progress line on a terminal: target, run, records so far, current rate, elapsed time. */
import { formatNumber } from './figures.js'
import type { Meter } from './meter.js'

export class Progress {
  readonly #out: NodeJS.WriteStream
  readonly #enabled: boolean
  #shown = false

  constructor (out: NodeJS.WriteStream, enabled: boolean) {
    this.#out = out
    this.#enabled = enabled && out.isTTY === true
  }

  update (label: string, run: number, runs: number, m: Meter): void {
    if (!this.#enabled) return
    const last = m.samples[m.samples.length - 1]
    const parts = [`${label} run ${run}/${runs}`]
    if (m.produced > 0) parts.push(`produced ${formatNumber(m.produced)} (${formatNumber(last?.produced ?? 0)}/s)`)
    if (m.consumed > 0) parts.push(`consumed ${formatNumber(m.consumed)} (${formatNumber(last?.consumed ?? 0)}/s)`)
    parts.push(`${(m.elapsedMs / 1000).toFixed(1)} s`)
    this.#out.write(`\r\x1b[K${parts.join('  ')}`)
    this.#shown = true
  }

  /** A line that stays (a run's outcome), clearing the progress line first. */
  note (text: string): void {
    if (this.#shown) { this.#out.write('\r\x1b[K'); this.#shown = false }
    this.#out.write(text + '\n')
  }
}
