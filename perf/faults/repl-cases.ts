/**
 * Replication fault cases: a topic with 3 replicas over 3 workers and 3 data dirs,
 * min.insync.replicas 2, idempotent acks=all producers from librdkafka and kafkajs, while the
 * leader's worker is killed, hung past replica.lag.time.max.ms, or loses its data dir. Each case
 * checks the ledger (every acknowledged value read back once, where it was acknowledged), that
 * produce resumed within 2 s of each fault (from the ledger's acknowledgement times), that the
 * in-sync replicas heal to 3 and that the replicas' log bytes are identical below the high
 * watermark. A last case takes two replicas away and expects NOT_ENOUGH_REPLICAS, never an
 * acknowledgement.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { CaptureLogger } from '../../test/helpers/capture-logger.js'
import { removeDir, tmpDir } from '../../test/helpers/tmp-dir.js'
import type { CaseOptions, CaseResult } from './cases.js'
import { kafkajsProducer, rdkafkaProducer, readBack } from './drivers.js'
import { check, Ledger } from './ledger.js'
import { compareReplicaBytes, fullyInSync, inSyncCount, leaderOf, partitionsOf, waitForPartitions, type ReplicatedPartitionView } from './replicas.js'

const REPLICAS = 3
const MIN_INSYNC = 2
/** Short, so a hung worker is noticed well within the 2 s produce must resume in. */
const LAG_MS = 500
const RESUME_LIMIT_MS = 2_000
const HEAL_TIMEOUT_MS = 15_000
const PRODUCERS_TIMEOUT_MS = 30_000

export type ReplicationFault = 'leader-kill' | 'leader-hang' | 'data-dir'

const FAULT_NAMES: Record<ReplicationFault, string> = {
  'leader-kill': 'RF 3: leader worker killed',
  'leader-hang': `RF 3: leader worker hung past replica.lag.time.max.ms (${LAG_MS} ms)`,
  'data-dir': 'RF 3: leader data dir failed'
}

interface ReplicatedSetup { root: string, dataDirs: string[], log: CaptureLogger }

function setUp (): ReplicatedSetup {
  const root = tmpDir('millrace-repl-faults-')
  const dataDirs = Array.from({ length: REPLICAS }, (_, i) => join(root, `d${i}`))
  for (const d of dataDirs) mkdirSync(d)
  return { root, dataDirs, log: new CaptureLogger() }
}

async function startBroker (s: ReplicatedSetup): Promise<Broker> {
  return await Broker.start({ dataDirs: s.dataDirs, workers: REPLICAS, port: 0, replicaLagTimeMaxMs: LAG_MS, logger: s.log.logger })
}

/** Waits until `done` or until `ms` passed; true when done came first. */
async function within (done: Promise<unknown>, ms: number): Promise<boolean> {
  return await Promise.race([done.then(() => true, () => true), delay(ms, false)])
}

function median (xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/**
 * Waits for the first acknowledgement on `partition` that arrived after `inEffect` (when the
 * fault call resolved) of an offset at or above `fromOffset` (every replica's log end offset
 * then: a record appended before the fault cannot be there); its delay from `began` (when the
 * fault was asked for), or null when none came within `limitMs`.
 */
async function resumedAfter (ledger: Ledger, partition: number, fromOffset: number, began: number, inEffect: number, limitMs: number): Promise<number | null> {
  while (performance.now() - began < limitMs && ledger.firstAckAfter(partition, inEffect, fromOffset) === undefined) await delay(10)
  const at = ledger.firstAckAfter(partition, inEffect, fromOffset)
  return at === undefined ? null : at - began
}

/** The largest log end offset of `partition`'s replicas as the broker sees them now. */
function highestLogEnd (broker: Broker, topic: string, partition: number): number {
  // Read from the dispatcher's own view, at once: describeTopic may wait on a hung leader's worker,
  // and by the time it answers the new leader has taken records the resume time must count.
  const p = broker.dispatcher.partition(topic, partition)!
  let end = p.logEndOffset
  for (const r of p.replication?.replicas ?? []) end = Math.max(end, r.logEndOffset)
  return end
}

/**
 * One replication fault, `rounds` times (the data dir case once: a failed dir stays offline
 * until the broker restarts, as in Kafka), under both producers.
 */
export async function replicationFault (options: CaseOptions & { fault: ReplicationFault }): Promise<CaseResult> {
  const rounds = options.fault === 'data-dir' ? 1 : options.quick ? 2 : 6
  const records = options.quick ? 4_000 : 40_000
  const s = setUp()
  const topic = `repl-${options.fault}`
  const ledger = new Ledger()
  const problems: string[] = []
  const resumes: number[] = []
  let broker = await startBroker(s)
  try {
    await broker.createTopic({ topic, partitions: 2, replicationFactor: REPLICAS, config: { 'min.insync.replicas': String(MIN_INSYNC) } })
    let bootstrap = `127.0.0.1:${broker.port!}`
    const librdkafka = rdkafkaProducer(bootstrap, topic, records, 'r', ledger, true)
    const kafkajs = kafkajsProducer(bootstrap, topic, 2, records / 2, 'j', ledger, true)
    for (let round = 0; round < rounds; round++) {
      // Faults land while both producers are busy, not before the first acknowledgement.
      const acksBefore = ledger.acks.size
      const waitUntil = performance.now() + 10_000
      while (ledger.acks.size < acksBefore + 200 && performance.now() < waitUntil) await delay(10)
      if (ledger.acks.size < acksBefore + 200) { problems.push(`round ${round}: the producers stalled before the fault`); break }
      let partition: ReplicatedPartitionView | undefined
      await waitForPartitions(broker, topic, (ps) => { partition = ps[round % 2]; return true }, HEAL_TIMEOUT_MS)
      if (partition === undefined) { problems.push(`round ${round}: describeTopic kept failing`); break }
      const leader = leaderOf(partition)
      const began = performance.now()
      if (options.fault === 'leader-kill') await broker.faults.killWorker(leader.worker)
      else if (options.fault === 'leader-hang') await broker.faults.hangWorker(leader.worker, LAG_MS * 3)
      else await broker.faults.failDataDir(leader.dataDir!)
      const inEffect = performance.now()
      const fromOffset = highestLogEnd(broker, topic, partition.partition)
      const resumed = await resumedAfter(ledger, partition.partition, fromOffset, began, inEffect, RESUME_LIMIT_MS * 5)
      if (resumed === null) problems.push(`round ${round}: no acknowledgement within ${RESUME_LIMIT_MS * 5} ms of the fault`)
      else {
        resumes.push(resumed)
        if (resumed > RESUME_LIMIT_MS) problems.push(`round ${round}: produce resumed ${Math.round(resumed)} ms after the fault (limit ${RESUME_LIMIT_MS} ms)`)
      }
      if (options.fault === 'data-dir') {
        const offline = await waitForPartitions(broker, topic, (ps) => ps.every((p) => p.replicas.every((r) => r.dataDir !== leader.dataDir || !r.online) && inSyncCount(p) >= MIN_INSYNC), HEAL_TIMEOUT_MS)
        if (!offline) problems.push(`the replicas in the failed dir ${leader.dataDir!} were not shown offline with ${MIN_INSYNC} replicas still in sync`)
        if (s.log.find('').filter((l) => l.level === 'error' || l.level === 'warn').every((l) => !JSON.stringify(l).includes(leader.dataDir!))) {
          problems.push('no warning or error in the broker log names the failed data dir')
        }
      } else if (!await waitForPartitions(broker, topic, (ps) => ps.every((p) => inSyncCount(p) === REPLICAS), HEAL_TIMEOUT_MS)) {
        problems.push(`round ${round}: the in-sync replicas did not heal to ${REPLICAS} within ${HEAL_TIMEOUT_MS} ms`)
      }
    }
    // Bounded: a partition that never comes back must fail the case, not hang the suite.
    if (!await within(Promise.all([librdkafka.done, kafkajs.done]), PRODUCERS_TIMEOUT_MS)) {
      problems.push(`the producers had not finished ${PRODUCERS_TIMEOUT_MS} ms after the last fault`)
      librdkafka.stop()
      kafkajs.stop()
      await kafkajs.done.catch(() => {})
    }
    if (s.log.find('').every((l) => !/in-sync|isr/i.test(l.msg))) problems.push('no ISR change was logged')
    // With min ISR still met, clients retry through every fault: each record ends acknowledged.
    if (ledger.acks.size < ledger.sent) problems.push(`${ledger.sent - ledger.acks.size} of ${ledger.sent} records never acknowledged (the clients gave up on them)`)
    if (options.fault === 'data-dir') {
      // A failed dir comes back with the broker: its replicas recover, truncate, catch up and rejoin.
      await broker.close()
      broker = await startBroker(s)
      bootstrap = `127.0.0.1:${broker.port!}`
    }
    if (!await waitForPartitions(broker, topic, (ps) => fullyInSync(ps, REPLICAS), HEAL_TIMEOUT_MS)) {
      problems.push(`the replicas did not all reach the high watermark in sync within ${HEAL_TIMEOUT_MS} ms`)
    }
    problems.push(...compareReplicaBytes(topic, await partitionsOf(broker, topic)))
    const readBackRecords = await readBack(bootstrap, topic)
    return { fault: FAULT_NAMES[options.fault], runs: rounds, ...check(ledger, readBackRecords), recoveryMs: median(resumes), problems }
  } finally {
    await broker.close().catch(() => {})
    removeDir(s.root)
  }
}

/** The error type names kafkajs attached to `err` and the errors it wraps. */
function kafkajsErrorTypes (err: unknown, out: string[] = []): string[] {
  if (err === null || typeof err !== 'object') return out
  const e = err as { type?: unknown, cause?: unknown, originalError?: unknown, errors?: unknown }
  if (typeof e.type === 'string') out.push(e.type)
  kafkajsErrorTypes(e.cause, out)
  kafkajsErrorTypes(e.originalError, out)
  if (Array.isArray(e.errors)) for (const inner of e.errors) kafkajsErrorTypes(inner, out)
  return out
}

/**
 * Below min.insync.replicas: two of three replicas lose their data dirs, so only the leader is in
 * sync. Every acks=all send must be refused with NOT_ENOUGH_REPLICAS (nothing appended, never
 * visible), while acks=1 still goes through. After a restart the refused values must not appear.
 */
export async function belowMinInsync (options: CaseOptions): Promise<CaseResult> {
  const sends = options.quick ? 5 : 50
  const s = setUp()
  const topic = 'repl-min-isr'
  const ledger = new Ledger()
  const problems: string[] = []
  let broker = await startBroker(s)
  try {
    await broker.createTopic({ topic, partitions: 1, replicationFactor: REPLICAS, config: { 'min.insync.replicas': String(MIN_INSYNC) } })
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port!}`], clientId: 'faults-min-isr', logLevel: logLevel.NOTHING, retry: { retries: 0 } })
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    try {
      const send = async (value: string, acks: -1 | 1): Promise<string[]> => {
        try {
          const [meta] = await producer.send({ topic, acks, messages: [{ value, partition: 0 }] })
          ledger.ack(value, 0, Number(meta!.baseOffset))
          return []
        } catch (err) {
          return kafkajsErrorTypes(err)
        }
      }
      const first = await send('before-0', -1)
      if (first.length > 0) problems.push(`acks=all with 3 replicas in sync failed: ${first.join(', ')}`)
      const p = (await partitionsOf(broker, topic))[0]!
      for (const r of p.replicas) if (!r.leader) await broker.faults.failDataDir(r.dataDir!)
      if (!await waitForPartitions(broker, topic, (ps) => inSyncCount(ps[0]!) < MIN_INSYNC, HEAL_TIMEOUT_MS)) {
        problems.push('the in-sync replicas did not shrink below min.insync.replicas after two data dirs failed')
      }
      let refused = 0
      for (let i = 0; i < sends; i++) {
        const value = `below-${i}`
        const types = await send(value, -1)
        if (types.includes('NOT_ENOUGH_REPLICAS')) { ledger.refuse(value); refused++ } else if (types.length === 0) {
          problems.push(`acks=all was acknowledged with fewer than ${MIN_INSYNC} replicas in sync (${value})`)
        } else {
          problems.push(`acks=all below min ISR failed with ${types.join(', ')}, not NOT_ENOUGH_REPLICAS`)
        }
      }
      if (refused === 0) problems.push('no send was refused with NOT_ENOUGH_REPLICAS')
      const one = await send('acks1-0', 1)
      if (one.length > 0) problems.push(`acks=1 below min ISR failed: ${one.join(', ')} (min.insync.replicas applies to acks=all only)`)
    } finally {
      await producer.disconnect().catch(() => {})
    }
    await broker.close()
    broker = await startBroker(s)
    if (!await waitForPartitions(broker, topic, (ps) => fullyInSync(ps, REPLICAS), HEAL_TIMEOUT_MS)) {
      problems.push(`after the restart the replicas did not all rejoin within ${HEAL_TIMEOUT_MS} ms`)
    }
    problems.push(...compareReplicaBytes(topic, await partitionsOf(broker, topic)))
    const readBackRecords = await readBack(`127.0.0.1:${broker.port!}`, topic)
    return { fault: 'RF 3: ISR below min.insync.replicas', runs: sends, ...check(ledger, readBackRecords), recoveryMs: null, problems }
  } finally {
    await broker.close().catch(() => {})
    removeDir(s.root)
  }
}
