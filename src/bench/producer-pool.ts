/**
 * Starts the load generator's producer threads, one Kafka connection each, and starts them
 * together once every one has connected, so connection set-up is not timed.
 */
import { Worker } from 'node:worker_threads'
import type { Endpoint } from '../cli/args.js'
import type { ClientSecurity } from '../cli/client-security.js'
import type { ProduceSpec } from './kafka-load.js'
import type { Meter } from './meter.js'
import type { ProducerWorkerData, ProducerWorkerMessage } from './producer-worker.js'

const WORKER_URL = new URL('../../workers/bench-producer.js', import.meta.url)

export interface ProducerPool {
  /** Starts producing; resolves with the records acknowledged and the threads' busy time. */
  go: () => Promise<{ records: number, busyMs: number }>
  /** Stops the threads (after an error elsewhere). */
  terminate: () => Promise<void>
}

export async function startProducers (endpoint: Endpoint, specs: ProduceSpec[], meter: Meter, security?: ClientSecurity): Promise<ProducerPool> {
  const workers: Worker[] = []
  const done: Array<Promise<{ records: number, busyMs: number }>> = []
  const ready: Array<Promise<void>> = []
  for (const spec of specs) {
    const worker = new Worker(WORKER_URL, { workerData: { endpoint, spec, security } satisfies ProducerWorkerData })
    workers.push(worker)
    let onReady!: () => void
    ready.push(new Promise<void>((resolve) => { onReady = resolve }))
    done.push(new Promise((resolve, reject) => {
      worker.on('message', (m: ProducerWorkerMessage) => {
        switch (m.type) {
          case 'ready': onReady(); break
          case 'progress': meter.produced += m.records; break
          case 'done': resolve({ records: m.records, busyMs: m.busyMs }); break
          case 'error': reject(new Error(m.message)); break
        }
      })
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`producer thread exited with code ${code} before it finished`)))
    }))
  }
  // A thread that fails to connect rejects its `done` before it is ready.
  const terminate = async (): Promise<void> => { await Promise.all(workers.map(async (w) => await w.terminate())) }
  try {
    await Promise.race([Promise.all(ready), Promise.all(done)])
  } catch (err) {
    await terminate()
    throw err
  }
  return {
    go: async () => {
      for (const w of workers) w.postMessage('go')
      try {
        const results = await Promise.all(done)
        return { records: results.reduce((a, r) => a + r.records, 0), busyMs: results.reduce((a, r) => a + r.busyMs, 0) }
      } finally {
        await terminate()
      }
    },
    terminate
  }
}
