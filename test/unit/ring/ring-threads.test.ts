import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Worker } from 'node:worker_threads'
import { MIN_RING_BYTES, createRing } from '../../../src/ring/ring.js'
import { plan, type StreamPlan, type StreamResult } from '../../fixtures/ring-frames.js'
import { readStreamAsync, writeStreamAsync } from '../../fixtures/ring-stream.js'

// Enough frames that the 64 KiB ring wraps thousands of times; a third of them with a
// slow reader, a third with a slow writer (see plan()).
const FRAMES = 200_000

function runWorker (fixture: string, p: StreamPlan): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`../../fixtures/${fixture}.js`, import.meta.url), { workerData: p })
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', code => { if (code !== 0) reject(new Error(`${fixture} exited with ${code}`)) })
  })
}

function assertDone (result: StreamResult, side: string): void {
  if (result.type === 'error') assert.unreachable(`${side}: ${result.message}`)
  else assert.is(result.frames, FRAMES, `${side} frames`)
}

// ---

const threads = suite('two threads, random frame sizes')

threads('a worker writes (Atomics.wait), the main thread reads (waitAsync): nothing lost, duplicated, reordered or corrupted', async () => {
  const p = plan(createRing(MIN_RING_BYTES), 0x1234, FRAMES)
  const [written, read] = await Promise.all([runWorker('ring-writer', p), readStreamAsync(p)])
  assertDone(written, 'writer')
  assertDone(read, 'reader')
  if (read.type === 'done') assert.ok(read.held > 0, 'the reader held frames behind a mark and released them with releaseTo')
})

threads('the main thread writes (waitAsync), a worker reads (Atomics.wait): nothing lost, duplicated, reordered or corrupted', async () => {
  const p = plan(createRing(MIN_RING_BYTES), 0xbeef, FRAMES)
  const [read, written] = await Promise.all([runWorker('ring-reader', p), writeStreamAsync(p)])
  assertDone(written, 'writer')
  assertDone(read, 'reader')
})

threads.run()
