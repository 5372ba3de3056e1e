/**
 * Clients the fault suite drives, none of them ours: librdkafka (python3-confluent-kafka) and
 * kafkajs produce and fill the ledger from their delivery reports; kcat reads everything back.
 */
import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Kafka, logLevel } from 'kafkajs'
import type { Ledger, ReadBackRecord } from './ledger.js'

const RDKAFKA_PRODUCER = new URL('../../../perf/faults/rdkafka-producer.py', import.meta.url).pathname
/** Debian's python3 (python3-confluent-kafka), not whatever python3 is first on PATH. */
const PYTHON = '/usr/bin/python3'

export interface ProducerRun {
  /** Resolves when the producer has a report for every record (or gave up). */
  done: Promise<void>
  stop: () => void
}

/** librdkafka with acks=all, `idempotent` or not; each delivery report goes into the ledger. */
export function rdkafkaProducer (bootstrap: string, topic: string, count: number, prefix: string, ledger: Ledger, idempotent: boolean): ProducerRun {
  const child = spawn(PYTHON, [RDKAFKA_PRODUCER, bootstrap, topic, String(count), prefix, ...(idempotent ? ['idempotent'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })
  ledger.sent += count
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000) })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [kind, value, a, b] = line.split(' ')
    if (kind === 'A') ledger.ack(value!, Number(a), Number(b))
  })
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0 || signal !== null) resolve()
      else reject(new Error(`rdkafka producer exited with ${String(code)}: ${stderr}`))
    })
  })
  return { done, stop: () => { child.kill('SIGKILL') } }
}

/**
 * kafkajs, acks=all, sends of `perSend` records to one partition at a time (so each record's
 * offset is the send's base offset plus its index). A send that fails after kafkajs's own
 * retries is neither acked nor refused: its outcome is unknown, as for any client.
 */
export function kafkajsProducer (bootstrap: string, topic: string, partitions: number, count: number, prefix: string, ledger: Ledger, idempotent: boolean, perSend = 10): ProducerRun {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'faults', logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 } })
  const producer = kafka.producer({ idempotent, maxInFlightRequests: idempotent ? 1 : 5, allowAutoTopicCreation: false })
  let stopped = false
  ledger.sent += count
  const done = (async () => {
    await producer.connect()
    try {
      for (let i = 0; i < count && !stopped; i += perSend) {
        const partition = (i / perSend) % partitions
        const values = Array.from({ length: Math.min(perSend, count - i) }, (_, j) => `${prefix}-${i + j}`)
        try {
          const [meta] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition })) })
          const base = Number(meta!.baseOffset)
          values.forEach((value, j) => ledger.ack(value, meta!.partition, base + j))
        } catch {
          // Unknown outcome: neither acked nor refused.
        }
      }
    } finally {
      await producer.disconnect().catch(() => {})
    }
  })()
  return { done, stop: () => { stopped = true } }
}

/** Every record of `topic` from the beginning, read by kcat. */
export function readBack (bootstrap: string, topic: string): Promise<ReadBackRecord[]> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n', '-X', 'fetch.wait.max.ms=5', '-m', '30'],
      { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (err, stdout) => {
        if (err !== null) { reject(err); return }
        const records: ReadBackRecord[] = []
        for (const line of stdout.split('\n')) {
          if (line === '') continue
          const [p, o, value] = line.split(' ')
          records.push({ partition: Number(p), offset: Number(o), value: value! })
        }
        resolve(records)
      })
  })
}
