/**
 * Ring throughput across two threads, against postMessage in the same run.
 *
 *   node dist/perf/micro/ring.js          prints the figures
 *   benchRing()                           returns them (perf/core.ts)
 *
 * The main thread writes, a worker reads; each figure is the median of RUNS runs, timed
 * from the first frame written to the worker's report that it has read the last one.
 * The writer reserves and commits each frame but publishes once per PUBLISH_EVERY_BYTES,
 * and notifies only when the reader sleeps; the reader drains every published frame per
 * wake-up and releases in bulk. A 1 MiB ring stays in cache (DESIGN.md: it beats a 16 MiB one).
 *
 * This file is also the worker's entry (workerData.role), so the benchmark is one file.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { RING_OPEN, RingReader, RingWriter, createRing } from '../../src/ring/ring.js'
import { formatFigure, medianOf, type Figure } from '../lib/stats.js'

const RUNS = 3
const RING_BYTES = 1 << 20
const SMALL_BYTES = 100
const SMALL_FRAMES = 10_000_000
const LARGE_BYTES = 16 * 1024
const LARGE_FRAMES = 200_000
const POST_MESSAGES = 500_000
/**
 * The writer publishes (one Atomics.store of kHead) once this many bytes are committed:
 * ~40 frames of 100 B, every 16 KiB frame. Publishing per 100-byte frame moves kHead's cache
 * line to the reader and back on each frame; measured here, batching took 100 B frames
 * from ~6–9M/s to ~12–14M/s. (A wait or close flushes too.)
 */
const PUBLISH_EVERY_BYTES = 4096
/** The reader releases at least this often so the writer refills while the reader drains. */
const RELEASE_EVERY_FRAMES = 1024
const WAIT_MS = 1000

type Role =
  | { role: 'ring-reader', sab: SharedArrayBuffer, frames: number }
  | { role: 'port-reader', messages: number }

// --- worker side

/** Keeps the reader's checksum alive so the payload reads are not optimised away. */
export let sink = 0

function readRing (sab: SharedArrayBuffer, frames: number): number {
  const reader = new RingReader(sab)
  const bytes = reader.bytes
  let got = 0
  let sinceRelease = 0
  let checksum = 0
  while (got < frames) {
    const at = reader.next()
    if (at === -1) {
      reader.release()
      sinceRelease = 0
      if (!reader.waitSync(WAIT_MS) && reader.state !== RING_OPEN) break
      continue
    }
    // Touch the payload's first and last bytes so the reader pays for reaching the data.
    const n = reader.frameLength
    checksum = (checksum + bytes[at] + bytes[at + n - 1]) | 0
    got++
    if (++sinceRelease === RELEASE_EVERY_FRAMES) {
      reader.release()
      sinceRelease = 0
    }
  }
  reader.release()
  sink = checksum
  return got
}

function readPort (messages: number): void {
  let got = 0
  parentPort?.on('message', () => {
    if (++got === messages) parentPort?.postMessage('done')
  })
}

if (!isMainThread && (workerData as Role | undefined)?.role !== undefined) {
  const job = workerData as Role
  if (job.role === 'ring-reader') {
    parentPort?.postMessage('ready')
    parentPort?.postMessage(readRing(job.sab, job.frames))
  } else {
    readPort(job.messages)
    parentPort?.postMessage('ready')
  }
}

// --- main side

async function spawn (job: Role): Promise<Worker> {
  const worker = new Worker(new URL(import.meta.url), { workerData: job })
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve())
    worker.once('error', reject)
  })
  return worker
}

/** Seconds to move `frames` frames of `length` bytes through a ring to a worker. */
async function ringRun (length: number, frames: number): Promise<number> {
  const sab = createRing(RING_BYTES)
  const worker = await spawn({ role: 'ring-reader', sab, frames })
  const done = new Promise<number>(resolve => worker.once('message', resolve))
  const writer = new RingWriter(sab)
  const bytes = writer.bytes
  const payload = new Uint8Array(length).fill(7)
  const t0 = performance.now()
  for (let i = 0; i < frames; i++) {
    let at = writer.reserve(length)
    while (at === -1) {
      writer.waitForSpaceSync(length, WAIT_MS)
      at = writer.reserve(length)
    }
    bytes.set(payload, at)
    writer.commit(length, false)
    if (writer.unpublishedBytes >= PUBLISH_EVERY_BYTES) writer.flush()
  }
  writer.flush()
  const got = await done
  const seconds = (performance.now() - t0) / 1000
  await worker.terminate()
  if (got !== frames) throw new Error(`ring bench: reader got ${got} of ${frames} frames`)
  return seconds
}

async function postMessageRun (length: number, messages: number): Promise<number> {
  const worker = await spawn({ role: 'port-reader', messages })
  const done = new Promise<void>(resolve => worker.once('message', () => resolve()))
  const payload = new Uint8Array(length).fill(7)
  const t0 = performance.now()
  for (let i = 0; i < messages; i++) worker.postMessage(payload)
  await done
  const seconds = (performance.now() - t0) / 1000
  await worker.terminate()
  return seconds
}

export async function benchRing (): Promise<Figure[]> {
  const small = await medianOf(RUNS, async () => SMALL_FRAMES / await ringRun(SMALL_BYTES, SMALL_FRAMES))
  const large = await medianOf(RUNS, async () => LARGE_FRAMES * LARGE_BYTES / 1e9 / await ringRun(LARGE_BYTES, LARGE_FRAMES))
  const post = await medianOf(RUNS, async () => POST_MESSAGES / await postMessageRun(SMALL_BYTES, POST_MESSAGES))
  return [
    { name: `ring ${SMALL_BYTES} B frames, 2 threads, ${RING_BYTES >> 20} MiB ring`, unit: 'frames/s', ...small },
    { name: `ring ${LARGE_BYTES >> 10} KiB frames, 2 threads, ${RING_BYTES >> 20} MiB ring`, unit: 'GB/s', ...large },
    { name: `postMessage ${SMALL_BYTES} B messages (baseline)`, unit: 'messages/s', ...post },
    { name: `ring ÷ postMessage at ${SMALL_BYTES} B`, value: small.value / post.value, unit: '×' }
  ]
}

if (isMainThread && process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of await benchRing()) process.stdout.write(formatFigure(f) + '\n')
}
