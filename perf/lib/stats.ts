/** Small helpers for benchmarks: medians of repeated runs and a uniform printed line. */

export interface Figure { name: string, value: number, unit: string, min?: number, max?: number }

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export async function medianOf (runs: number, fn: () => Promise<number> | number): Promise<{ value: number, min: number, max: number }> {
  const values: number[] = []
  for (let i = 0; i < runs; i++) values.push(await fn())
  return { value: median(values), min: Math.min(...values), max: Math.max(...values) }
}

export function formatFigure (f: Figure): string {
  const fmt = (n: number): string => n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)
  const range = f.min !== undefined && f.max !== undefined ? `  (min ${fmt(f.min)}, max ${fmt(f.max)})` : ''
  return `${f.name.padEnd(52)} ${fmt(f.value).padStart(14)} ${f.unit}${range}`
}
