/**
 * A small reader of the Prometheus text exposition format, so tests compare samples by name and
 * labels rather than by substring. Enough for what prom-client writes: `# HELP`/`# TYPE` lines,
 * `name{label="value",...} number`, label values with \\ \" \n escapes.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  /** Metric family name → its `# TYPE`. */
  types: Map<string, string>
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy

export function parseExposition (text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (type !== null) types.set(type[1], type[2])
      continue
    }
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    if (m[2] !== undefined && m[2] !== '') {
      LABEL.lastIndex = 0
      let end = 0
      for (let l = LABEL.exec(m[2]); l !== null; l = LABEL.exec(m[2])) {
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => c === 'n' ? '\n' : c)
        end = LABEL.lastIndex
      }
      if (end !== m[2].length) throw new Error(`bad labels in: ${line}`)
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) })
  }
  return { samples, types }
}

/** Samples named `name` whose labels include every pair of `labels`. */
export function samplesOf (exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

/** The value of the one sample named `name` with exactly these labels; undefined when there is none. */
export function valueOf (exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.keys(labels).length
  const found = samplesOf(exposition, name, labels).filter((s) => Object.keys(s.labels).length === wanted)
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`)
  return found[0]?.value
}
