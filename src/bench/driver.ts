/**
 * What a workload needs from a system under test. Each target (embedded Millrace, a Millrace
 * server, a Kafka broker by address) and each peer (NATS JetStream, Redis Streams) is a Driver.
 * `prepare*` connects and sets up everything that should not be timed; the function it
 * returns runs the timed part.
 */
import type { LatencyHistogram } from './histogram.js'
import type { Meter } from './meter.js'

export interface ProduceJob {
  topic: string
  partitions: number
  /** Records to send, or undefined with `durationMs`. */
  records: number | undefined
  durationMs: number | undefined
  /** Records per second; undefined = flat out. */
  rate: number | undefined
  /** Put the send time in each record (latency runs). */
  stamp: boolean
  meter: Meter
}

export interface ConsumeJob {
  topic: string
  partitions: number
  /** Read until this many records; a timed producer sets it when it finishes. */
  expected: { count: number }
  signal: AbortSignal
  histogram: LatencyHistogram | undefined
  meter: Meter
  /** Read with isolation level read_committed (only what committed transactions wrote). */
  readCommitted?: boolean
}

export interface ProduceOutcome {
  records: number
  /** Busy time of the load generator's producer threads, when they run in threads. */
  busyMs: number | undefined
  /** Transactional producers: how long each commitTransaction took, in ms. */
  commitMs?: number[]
}

export interface Driver {
  /** Shown in tables: 'millrace (server)', 'nats', … */
  readonly label: string
  /** Settings worth recording (versions, storage), for the JSON result. */
  readonly details: Record<string, string | number | boolean>
  /** The broker's process, when it is one this machine runs; undefined for in-process or remote brokers. */
  readonly pid: number | undefined
  /** The broker runs in this process (library mode): its memory is this process's. */
  readonly inProcess: boolean
  createTopic: (topic: string, partitions: number) => Promise<void>
  deleteTopic: (topic: string) => Promise<void>
  prepareProduce: (job: ProduceJob) => Promise<() => Promise<ProduceOutcome>>
  prepareConsume: (job: ConsumeJob) => Promise<() => Promise<number>>
  /** Produces one record and reads it back (the start-up round trip). */
  roundTrip: (topic: string) => Promise<void>
  close: () => Promise<void>
}

