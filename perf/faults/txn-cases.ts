/**
 * Transaction fault cases. librdkafka (python3-confluent-kafka) runs the transactions
 * (./rdkafka-txn.py) and acks a record only once its transaction's commit returned; kcat reads
 * the output back with read_committed (librdkafka's default isolation), so an aborted record
 * shows as a duplicate or a phantom and an unfinished commit as a loss.
 *
 * - copier: a consume → produce → send_offsets → commit copier SIGKILLed mid-transaction again
 *   and again, restarted each time: every input copied exactly once.
 * - broker at commit: the broker SIGKILLed while EndTxn is on its way or just answered: after the
 *   restart each transaction completes (its markers written) and is seen whole.
 * - delayed produce: a Produce from a fenced epoch that arrives after the new producer committed
 *   is refused and never seen.
 */
import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { AddPartitionsToTxnResponse } from '../../src/protocol/apis/add-partitions-to-txn.js'
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { CaptureLogger } from '../../test/helpers/capture-logger.js'
import { xorshift } from '../../test/helpers/seeded-random.js'
import { removeDir, tmpDir } from '../../test/helpers/tmp-dir.js'
import { WireClient } from '../../test/integration/kafka-wire.js'
import { BrokerChild, freePort } from './broker-child.js'
import type { CaseOptions, CaseResult } from './cases.js'
import { readBack } from './drivers.js'
import { check, Ledger, type ReadBackRecord } from './ledger.js'

const TXN_CLIENT = new URL('../../../perf/faults/rdkafka-txn.py', import.meta.url).pathname
const PYTHON = '/usr/bin/python3'
const CLIENT_TIMEOUT_MS = 120_000

interface TxnClient {
  /** Resolves with the exit code (null when killed). */
  exited: Promise<number | null>
  kill: () => void
  stderr: () => string
}

/** Starts rdkafka-txn.py; `onLine` sees every line it prints, acks go into the ledger. */
function txnClient (args: string[], ledger: Ledger, onLine: (kind: string, value: string) => void): TxnClient {
  const child = spawn(PYTHON, [TXN_CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000) })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [kind, value, a, b] = line.split(' ')
    if (kind === 'A') ledger.ack(value!, Number(a), Number(b))
    onLine(kind!, value ?? '')
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { clearTimeout(timer); resolve(code) }))
  return { exited, kill: () => { child.kill('SIGKILL') }, stderr: () => stderr }
}

/** Resolves when `predicate` holds, checked on each call of the returned `poke`. */
function waiter (): { until: (predicate: () => boolean) => Promise<void>, poke: () => void } {
  let pending: Array<{ predicate: () => boolean, resolve: () => void }> = []
  return {
    until: async (predicate) => { if (!predicate()) await new Promise<void>((resolve) => pending.push({ predicate, resolve })) },
    poke: () => { pending = pending.filter((w) => { if (w.predicate()) { w.resolve(); return false } return true }) }
  }
}

/** Every record of `topic` as a read_uncommitted reader sees it (aborted records included). */
function readUncommitted (bootstrap: string, topic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', 'isolation.level=read_uncommitted', '-X', 'fetch.wait.max.ms=5'],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout) => { if (err !== null) reject(err); else resolve(stdout.split('\n').filter((l) => l !== '').length) })
  })
}

function missingOf (expected: readonly string[], records: readonly ReadBackRecord[]): number {
  const seen = new Set(records.map((r) => r.value))
  return expected.filter((v) => !seen.has(v)).length
}

// --- the copier, SIGKILLed mid-transaction

export async function txnCopierKills (options: CaseOptions): Promise<CaseResult> {
  const random = xorshift(options.seed)
  const kills = options.quick ? 3 : 10
  const inputs = options.quick ? 300 : 5000
  const dir = tmpDir('millrace-faults-txn-')
  const broker = await Broker.start({ dataDir: dir, port: 0, advertisedHost: '127.0.0.1' })
  const bootstrap = `127.0.0.1:${broker.port!}`
  const ledger = new Ledger()
  const problems: string[] = []
  try {
    await broker.createTopic({ topic: 'copy-in', partitions: 2 })
    await broker.createTopic({ topic: 'copy-out', partitions: 2 })
    const values = Array.from({ length: inputs }, (_, i) => `in-${i}`)
    const producer = broker.producer({ acks: -1 })
    for (let i = 0; i < inputs; i += 100) await producer.send({ topic: 'copy-in', messages: values.slice(i, i + 100).map((value, j) => ({ value, partition: (i + j) % 2 })) })
    await producer.close()
    ledger.sent = inputs
    let runs = 0
    for (;;) {
      runs++
      let produced = 0
      const w = waiter()
      const client = txnClient(['copy', bootstrap, 'copy-in', 'copy-out', 'copier', 'copier-txn'], ledger, (kind) => { if (kind === 'P') { produced++; w.poke() } })
      if (runs <= kills) {
        // Killed while a transaction is open: after its records went out, before its commit.
        const nth = 1 + random() % 3
        const done = client.exited.then(() => true)
        if (await Promise.race([w.until(() => produced >= nth).then(() => false), done])) {
          problems.push(`the copier ended before kill ${runs} (exit ${String(await client.exited)}): ${client.stderr().split('\n').at(-2) ?? ''}`)
          break
        }
        await delay(random() % 15)
        client.kill()
        await client.exited
        continue
      }
      const code = await client.exited
      if (code !== 0) problems.push(`the last copier exited with ${String(code)}: ${client.stderr().split('\n').at(-2) ?? ''}`)
      break
    }
    const records = await readBack(bootstrap, 'copy-out')
    const missing = missingOf(values, records)
    if (missing > 0) problems.push(`${missing} inputs never copied`)
    const everything = await readUncommitted(bootstrap, 'copy-out')
    return { fault: `txn copier SIGKILL (${everything - records.length} aborted records hidden)`, runs, ...check(ledger, records), recoveryMs: null, problems }
  } finally {
    await broker.close()
    removeDir(dir)
  }
}

// --- the broker, SIGKILLed at EndTxn

export async function txnBrokerKillAtCommit (options: CaseOptions): Promise<CaseResult> {
  const random = xorshift(options.seed)
  const rounds = options.quick ? 4 : 10
  const txns = options.quick ? 16 : 80
  const perTxn = 20
  const dir = tmpDir('millrace-faults-txn-')
  const broker = new BrokerChild(dir, await freePort())
  const bootstrap = `127.0.0.1:${broker.port}`
  const ledger = new Ledger()
  const recoveries: number[] = []
  const problems: string[] = []
  try {
    await broker.start()
    const main = new URL('../../src/cli/main.js', import.meta.url).pathname
    await new Promise<void>((resolve, reject) => execFile(process.execPath, [main, 'topics', 'create', 'txn-out', '--partitions', '2', '-b', bootstrap], (err) => { if (err !== null) reject(err); else resolve() }))
    ledger.sent = txns * perTxn
    let ending = -1
    let committed = -1
    const w = waiter()
    const client = txnClient(['produce', bootstrap, 'txn-out', String(txns), String(perTxn), 'r', 'at-commit'], ledger, (kind, value) => {
      if (kind === 'E') ending = Number(value)
      if (kind === 'A' && value.endsWith('-0')) committed = Number(value.split('-')[1])
      w.poke()
    })
    const done = client.exited.then(() => true)
    for (let round = 0; round < rounds; round++) {
      const t = Math.floor((round + 1) * txns / (rounds + 1))
      // Even rounds: while EndTxn is on its way. Odd rounds: right after the commit was answered,
      // so the markers are the broker's own business (the client will not ask again).
      const after = round % 2 === 1
      if (await Promise.race([w.until(() => (after ? committed : ending) >= t).then(() => false), done])) break
      if (!after) await delay(random() % 4)
      await broker.stop('SIGKILL')
      const started = await broker.start()
      if (!started.ready) { problems.push(`the broker did not restart after kill ${round + 1} (exit ${String(started.exitCode)})`); break }
      recoveries.push(started.elapsedMs)
    }
    const code = await client.exited
    if (code !== 0) problems.push(`the transactional producer exited with ${String(code)}: ${client.stderr().split('\n').at(-2) ?? ''}`)
    const records = await readBack(bootstrap, 'txn-out')
    // How often a kill landed between PrepareCommit and the markers, so the restart finished the commit.
    const completedAtStart = broker.logged('completing a prepared transaction').length
    return { fault: `broker SIGKILL at EndTxn (${completedAtStart} commits completed at restart)`, runs: recoveries.length, ...check(ledger, records), recoveryMs: recoveries.length === 0 ? null : recoveries.sort((a, b) => a - b)[recoveries.length >> 1], problems }
  } finally {
    await broker.stop('SIGKILL')
    removeDir(dir)
  }
}

// --- a delayed Produce from a fenced epoch

function txnBatch (producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  const builder = new BatchBuilder({ producerId, producerEpoch, baseSequence, transactional: true })
  for (const v of values) builder.append(Date.now(), null, Buffer.from(v))
  return builder.build()
}

export async function txnDelayedProduce (options: CaseOptions): Promise<CaseResult> {
  const dir = tmpDir('millrace-faults-txn-')
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDir: dir, port: 0, advertisedHost: '127.0.0.1', logger: log.logger })
  const bootstrap = `127.0.0.1:${broker.port!}`
  const wire = await WireClient.connect(broker.port!)
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'faults-txn', logLevel: logLevel.NOTHING })
  const ledger = new Ledger()
  const problems: string[] = []
  const topic = 'txn-late'
  const id = `late-${options.seed}`
  try {
    await broker.createTopic({ topic, partitions: 1 })
    // The old producer, on the wire: its transaction is open and one Produce is still "in the network".
    const init = await wire.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    const { producerId, producerEpoch } = init
    await wire.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }]
    })
    const produce = async (records: Buffer): Promise<number> => (await wire.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }]
    })).responses[0]!.partitionResponses[0]!.errorCode
    const old = Array.from({ length: 5 }, (_, i) => `old-${i}`)
    const late = Array.from({ length: 5 }, (_, i) => `late-${i}`)
    if (await produce(txnBatch(producerId, producerEpoch, 0, old)) !== KafkaCode.NONE) problems.push('the old producer\'s first batch was refused')
    for (const v of [...old, ...late]) ledger.refuse(v)
    // The new producer (kafkajs) takes the id over: the old epoch is fenced, its transaction aborted.
    const producer = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const txn = await producer.transaction()
    const fresh = Array.from({ length: 5 }, (_, i) => `new-${i}`)
    const [meta] = await txn.send({ topic, acks: -1, messages: fresh.map((value) => ({ value, partition: 0 })) })
    await txn.commit()
    await producer.disconnect()
    fresh.forEach((v, i) => ledger.ack(v, 0, Number(meta!.baseOffset) + i))
    ledger.sent = fresh.length
    const code = await produce(txnBatch(producerId, producerEpoch, old.length, late))
    if (code !== KafkaCode.PRODUCER_FENCED && code !== KafkaCode.INVALID_PRODUCER_EPOCH) problems.push(`the delayed Produce got error code ${code}, not PRODUCER_FENCED or INVALID_PRODUCER_EPOCH`)
    if (log.find('refused a produce: the producer epoch is fenced', 'warn').length === 0) problems.push('the broker logged nothing about the refused produce')
    const records = await readBack(bootstrap, topic)
    const everything = await readUncommitted(bootstrap, topic)
    // Stored: the aborted old batch and the new one, never the late one.
    if (everything !== old.length + fresh.length) problems.push(`a read_uncommitted reader sees ${everything} records, not ${old.length + fresh.length}: the late batch was stored`)
    return { fault: 'delayed Produce from a fenced epoch', runs: 1, ...check(ledger, records), recoveryMs: null, problems }
  } finally {
    wire.close()
    await broker.close()
    removeDir(dir)
  }
}
