/**
 * `npm run bench:core`: the core engine's figures, medians of 3 runs, all in one process run.
 * Ring vs postMessage, CRC-32C, in-process produce and consume of 1,000,000 × 100-byte records
 * over 8 partitions, and start-up time and RSS. Prints figures; asserts nothing.
 */
import { execFileSync, execSync } from 'node:child_process'
import { cpus } from 'node:os'
import { randomBytes } from 'node:crypto'
import { Broker } from '../src/index.js'
import { crc32c, crc32cJs, crc32cIsNative } from '../src/protocol/crc32c.js'
import { benchRing } from './micro/ring.js'
import { formatFigure, median, type Figure } from './lib/stats.js'
import { removeDir, tmpDir } from '../test/helpers/tmp-dir.js'

const RUNS = 3
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const PARTITIONS = 8
const VALUE_BYTES = 100

function print (f: Figure): void { process.stdout.write(formatFigure(f) + '\n') }

function commit (): string {
  try { return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() } catch { return 'unknown' }
}

/** Each run in a fresh process, so neither warm modules nor earlier runs' heap flatter it. */
async function startup (): Promise<void> {
  const probe = new URL('./startup-probe.js', import.meta.url).pathname
  for (const mode of ['memory', 'disk']) {
    const runs: Array<{ roundTripMs: number, rssMb: number }> = []
    for (let i = 0; i < RUNS; i++) runs.push(JSON.parse(execFileSync(process.execPath, [probe, mode]).toString()))
    const ms = runs.map((r) => r.roundTripMs)
    const rss = runs.map((r) => r.rssMb)
    print({ name: `Broker.start() to first produce+consume (${mode})`, unit: 'ms', value: median(ms), min: Math.min(...ms), max: Math.max(...ms) })
    print({ name: `RSS after start and first round trip (${mode})`, unit: 'MB', value: median(rss), min: Math.min(...rss), max: Math.max(...rss) })
  }
}

function crc (): void {
  const buf = randomBytes(1 << 20)
  for (const [name, fn] of [['CRC-32C native', crc32c], ['CRC-32C JS slice-by-8', crc32cJs]] as const) {
    if (name.includes('native') && !crc32cIsNative) continue
    const values: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now()
      let bytes = 0
      while (performance.now() - t0 < 300) { fn(buf); bytes += buf.length }
      values.push(bytes / ((performance.now() - t0) / 1000) / 1e6)
    }
    values.sort((a, b) => a - b)
    print({ name: `${name} (1 MiB buffers)`, value: values[1], min: values[0], max: values[2], unit: 'MB/s' })
  }
}

async function produceConsume (): Promise<void> {
  const value = randomBytes(VALUE_BYTES)
  const produce: number[] = []
  const consume: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const dir = tmpDir('millrace-bench-')
    const broker = await Broker.start({ dataDir: dir })
    try {
      await broker.createTopic({ topic: 'bench', partitions: PARTITIONS })
      const producer = broker.producer({ acks: 1, batchSize: 256 * 1024 })
      const SEND = 10_000
      const messages = Array.from({ length: SEND }, (_, i) => ({ value, partition: i % PARTITIONS }))
      const t0 = performance.now()
      const inFlight: Array<Promise<unknown>> = []
      for (let sent = 0; sent < RECORDS; sent += SEND) {
        inFlight.push(producer.send({ topic: 'bench', messages }))
        if (inFlight.length >= 8) await inFlight.shift()
      }
      await Promise.all(inFlight)
      produce.push(RECORDS / ((performance.now() - t0) / 1000))

      const consumer = broker.consumer({ maxWaitMs: 0, maxPartitionBytes: 4 * 1024 * 1024 })
      consumer.assign(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: 'bench', partition: p, offset: 0n })))
      const t1 = performance.now()
      let got = 0
      while (got < RECORDS) got += (await consumer.poll()).length
      consume.push(RECORDS / ((performance.now() - t1) / 1000))
    } finally {
      await broker.close()
      removeDir(dir)
    }
  }
  const med = (v: number[]): { value: number, min: number, max: number } => ({ value: [...v].sort((a, b) => a - b)[v.length >> 1], min: Math.min(...v), max: Math.max(...v) })
  const p = med(produce)
  const c = med(consume)
  print({ name: `in-process produce ${RECORDS} × ${VALUE_BYTES} B, ${PARTITIONS} partitions`, unit: 'records/s', ...p })
  print({ name: '  same, MB/s of values', value: p.value * VALUE_BYTES / 1e6, unit: 'MB/s' })
  print({ name: `in-process consume ${RECORDS} × ${VALUE_BYTES} B, ${PARTITIONS} partitions`, unit: 'records/s', ...c })
  print({ name: '  same, MB/s of values', value: c.value * VALUE_BYTES / 1e6, unit: 'MB/s' })
}

process.stdout.write(`millrace bench:core — commit ${commit()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n`)
for (const f of await benchRing()) print(f)
crc()
await produceConsume()
await startup()
