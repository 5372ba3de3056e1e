/**
 * Body of a load-generator producer thread (workers/bench-producer.ts): opens its own
 * connection, says 'ready', produces on 'go', reports acknowledged records every
 * PROGRESS_INTERVAL_MS and its thread's busy time at the end.
 */
import type { MessagePort } from 'node:worker_threads'
import type { Endpoint } from '../cli/args.js'
import type { ClientSecurity } from '../cli/client-security.js'
import { connectKafka, runKafkaProducer, type ProduceSpec } from './kafka-load.js'

export interface ProducerWorkerData { endpoint: Endpoint, spec: ProduceSpec, security?: ClientSecurity }

export type ProducerWorkerMessage =
  | { type: 'ready' }
  | { type: 'progress', records: number }
  | { type: 'done', records: number, busyMs: number }
  | { type: 'error', message: string }

const PROGRESS_INTERVAL_MS = 25

export async function runProducerWorker (port: MessagePort, data: ProducerWorkerData): Promise<void> {
  const post = (m: ProducerWorkerMessage): void => port.postMessage(m)
  try {
    const client = await connectKafka(data.endpoint, data.security)
    try {
      await new Promise<void>((resolve) => {
        port.once('message', () => resolve())
        post({ type: 'ready' })
      })
      let unreported = 0
      const timer = setInterval(() => { if (unreported > 0) { post({ type: 'progress', records: unreported }); unreported = 0 } }, PROGRESS_INTERVAL_MS)
      const elu = performance.eventLoopUtilization()
      try {
        const records = await runKafkaProducer(client, data.spec, (n) => { unreported += n })
        if (unreported > 0) post({ type: 'progress', records: unreported })
        post({ type: 'done', records, busyMs: performance.eventLoopUtilization(elu).active })
      } finally {
        clearInterval(timer)
      }
    } finally {
      client.close()
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message })
  }
}
