/**
 * CRC-32C (Castagnoli), the checksum of record batches v2.
 * The native SIMD implementation runs at several GB/s (see perf/core.ts); the JS
 * slice-by-8 fallback is kept for platforms without a prebuilt binary and as a benchmark baseline.
 */
import { createRequire } from 'node:module'

type Crc32cFn = (input: Uint8Array, initial?: number) => number

const require = createRequire(import.meta.url)

function loadNative (): Crc32cFn | null {
  if (process.env.MILLRACE_CRC32C_JS === '1') return null
  try {
    const mod = require('@node-rs/crc32') as { crc32c: (input: Uint8Array, initial?: number) => number }
    return (input, initial = 0) => mod.crc32c(input, initial) >>> 0
  } catch {
    return null
  }
}

const TABLES = buildTables()

function buildTables (): Uint32Array[] {
  const tables: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    t0[n] = c >>> 0
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]
    const next = new Uint32Array(256)
    for (let n = 0; n < 256; n++) next[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff]
    tables.push(next)
  }
  return tables
}

/** Slice-by-8 over 32-bit words. */
export function crc32cJs (input: Uint8Array, initial = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES
  let crc = ~initial >>> 0
  let i = 0
  const n = input.length
  const end8 = n - (n % 8)
  while (i < end8) {
    const a = (input[i] | (input[i + 1] << 8) | (input[i + 2] << 16) | (input[i + 3] << 24)) ^ crc
    const b = input[i + 4] | (input[i + 5] << 8) | (input[i + 6] << 16) | (input[i + 7] << 24)
    crc = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^ t0[b >>> 24]
    i += 8
  }
  while (i < n) crc = t0[(crc ^ input[i++]) & 0xff] ^ (crc >>> 8)
  return ~crc >>> 0
}

const native = loadNative()

/** CRC-32C of `input`, continuing from `initial` (a previous result) when given. */
export const crc32c: Crc32cFn = native ?? crc32cJs
export const crc32cIsNative = native !== null
