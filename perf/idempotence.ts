/**
 * `node dist/perf/idempotence.js`: what idempotence costs on produce. The same workload runs
 * with and without it, alternating, BENCH_RUNS times (default 3); the median, min and max of
 * each are printed with the difference of the medians.
 *
 *   kcat     a `millrace start` child on 127.0.0.1 (fresh temp data dir); kcat -P writes
 *            BENCH_RECORDS lines of 99 chars (default 1,000,000) from a file to a new topic,
 *            acks=all, linger 5 ms, 10k per batch; with or without -X enable.idempotence=true,
 *            and a third variant without it but with the in-flight window idempotence imposes
 *            on librdkafka (max.in.flight.requests.per.connection=5), which tells the client's
 *            share of the difference from the broker's
 *   library  an in-process broker (fresh temp data dir) and its library producer: sends of
 *            5,000 records of 99 bytes, 8 sends in flight, acks -1; with or without
 *            `idempotent: true`
 *   log      the broker's own share, without clients or threads: PartitionLog.append in memory
 *            of batches of 100 records (each batch copied into a fresh buffer first, as the
 *            ring hands it over), with and without a producer id and sequences
 *
 * Wall time from the client's start to its last acknowledgement; record counts are checked
 * against the partitions' high watermarks. Asserts nothing about time.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { Broker } from '../src/broker.js'
import { logConfigFromTopicConfig } from '../src/log/config.js'
import { LogStatus } from '../src/log/errors.js'
import { PartitionLog } from '../src/log/partition-log.js'
import { BatchBuilder } from '../src/protocol/record-batch.js'
import { ApiKey } from '../src/protocol/api-keys.js'
import type { ListOffsetsResponse } from '../src/protocol/apis/list-offsets.js'
import { WireClient } from '../test/integration/kafka-wire.js'
import { removeDir, tmpDir } from '../test/helpers/tmp-dir.js'
import { startBrokerProcess, stopBrokerProcess, type BrokerProcess } from './lib/broker-process.js'
import { formatFigure, median } from './lib/stats.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const VALUE_BYTES = 99
const LIB_SEND = 5_000
const LIB_IN_FLIGHT = 8

function kcat (args: string[], stdinPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(stdinPath, 'r')
    const child = spawn('kcat', args, { stdio: [fd, 'ignore', 'pipe'] })
    closeSync(fd)
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
    child.once('error', reject)
    child.once('close', (code) => code === 0 ? resolve() : reject(new Error(`kcat exited with ${String(code)}: ${stderr.trim()}`)))
  })
}

async function highWatermark (port: number, topic: string): Promise<number> {
  const wire = await WireClient.connect(port)
  try {
    const res = await wire.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
      replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }]
    })
    return res.topics[0].partitions[0].offset ?? -1
  } finally {
    wire.close()
  }
}

type KcatMode = 'off' | 'on' | 'window'

async function kcatRun (broker: BrokerProcess, input: string, mode: KcatMode, run: number): Promise<number> {
  const topic = `idem-${mode}-${run}`
  const args = ['-P', '-b', `127.0.0.1:${broker.port}`, '-t', topic, '-p', '0', '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000']
  if (mode === 'on') args.push('-X', 'enable.idempotence=true')
  if (mode === 'window') args.push('-X', 'max.in.flight.requests.per.connection=5')
  const t0 = performance.now()
  await kcat(args, input)
  const seconds = (performance.now() - t0) / 1000
  const hw = await highWatermark(broker.port, topic)
  if (hw !== RECORDS) throw new Error(`kcat run wrote ${hw} records, expected ${RECORDS}`)
  return RECORDS / seconds
}

async function libraryRun (idempotent: boolean): Promise<number> {
  const dataDir = tmpDir('millrace-bench-idem-lib-')
  const broker = await Broker.start({ dataDir })
  try {
    await broker.createTopic({ topic: 'lib', partitions: 1 })
    const producer = broker.producer({ idempotent, acks: -1, batchSize: 512 * 1024 })
    const value = Buffer.alloc(VALUE_BYTES, 0x61)
    const messages = Array.from({ length: LIB_SEND }, () => ({ value, partition: 0 }))
    const t0 = performance.now()
    const inFlight = new Set<Promise<unknown>>()
    for (let sent = 0; sent < RECORDS; sent += LIB_SEND) {
      const p = producer.send({ topic: 'lib', messages })
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      if (inFlight.size >= LIB_IN_FLIGHT) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    const seconds = (performance.now() - t0) / 1000
    await producer.close()
    const hw = broker.dispatcher.partition('lib', 0)!.highWatermark
    const expected = Math.ceil(RECORDS / LIB_SEND) * LIB_SEND
    if (hw !== expected) throw new Error(`library run wrote ${hw} records, expected ${expected}`)
    return expected / seconds
  } finally {
    await broker.close()
    removeDir(dataDir)
  }
}

const LOG_BATCH_RECORDS = 100

function logRun (idempotent: boolean): number {
  const log = PartitionLog.open({ dir: null, config: logConfigFromTopicConfig({}) })
  const value = Buffer.alloc(VALUE_BYTES, 0x61)
  const batches = RECORDS / LOG_BATCH_RECORDS
  // One template per sequence slot would be a batch per record count; patching the sequence
  // would need a new CRC. Prebuild every batch instead, outside the timed loop.
  const built: Buffer[] = []
  for (let b = 0; b < batches; b++) {
    const builder = new BatchBuilder(idempotent ? { producerId: 7, producerEpoch: 0, baseSequence: b * LOG_BATCH_RECORDS } : {})
    for (let i = 0; i < LOG_BATCH_RECORDS; i++) builder.append(1_700_000_000_000, null, value)
    built.push(builder.build())
  }
  const t0 = performance.now()
  for (let b = 0; b < batches; b++) {
    const r = log.append(Buffer.from(built[b]), 0)
    if (r.status !== LogStatus.Ok) throw new Error(`append failed with status ${r.status}`)
  }
  const seconds = (performance.now() - t0) / 1000
  if (log.logEndOffset !== RECORDS) throw new Error(`log holds ${log.logEndOffset} records, expected ${RECORDS}`)
  log.close()
  return RECORDS / seconds
}

function report (name: string, off: number[], on: number[], offLabel = 'not idempotent'): void {
  const mOff = median(off)
  const mOn = median(on)
  console.log(formatFigure({ name: `${name}, ${offLabel}`, value: mOff, unit: 'records/s', min: Math.min(...off), max: Math.max(...off) }))
  console.log(formatFigure({ name: `${name}, idempotent`, value: mOn, unit: 'records/s', min: Math.min(...on), max: Math.max(...on) }))
  console.log(`${`${name}: idempotent vs ${offLabel}`.padEnd(52)} ${((mOn / mOff - 1) * 100).toFixed(1).padStart(14)} %`)
}

async function main (): Promise<void> {
  console.log(`idempotence cost: ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} B, ${RUNS} runs alternating; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`)
  const inputDir = tmpDir('millrace-bench-idem-input-')
  const input = join(inputDir, 'lines.txt')
  const fd = openSync(input, 'w')
  const line = 'x'.repeat(VALUE_BYTES - 8)
  let chunk = ''
  for (let i = 0; i < RECORDS; i++) {
    chunk += `${String(i).padStart(8, '0')}${line}\n`
    if (chunk.length > 1 << 20) { writeSync(fd, chunk); chunk = '' }
  }
  writeSync(fd, chunk)
  closeSync(fd)
  try {
    const logOff: number[] = []
    const logOn: number[] = []
    for (let run = 0; run < RUNS; run++) {
      if (run % 2 === 0) { logOff.push(logRun(false)); logOn.push(logRun(true)) } else { logOn.push(logRun(true)); logOff.push(logRun(false)) }
    }
    report('log append in memory', logOff, logOn)
    const broker = await startBrokerProcess('millrace-bench-idem-')
    const figures: Record<KcatMode, number[]> = { off: [], on: [], window: [] }
    const order: KcatMode[] = ['off', 'on', 'window']
    try {
      for (let run = 0; run < RUNS; run++) {
        // Rotate which goes first, so none always meets a warmer broker.
        for (let i = 0; i < order.length; i++) {
          const mode = order[(run + i) % order.length]
          figures[mode].push(await kcatRun(broker, input, mode, run))
        }
      }
    } finally {
      await stopBrokerProcess(broker)
    }
    report('kcat produce, acks=all', figures.off, figures.on)
    report('kcat produce, acks=all', figures.window, figures.on, 'in-flight 5')
    const libOff: number[] = []
    const libOn: number[] = []
    for (let run = 0; run < RUNS; run++) {
      if (run % 2 === 0) { libOff.push(await libraryRun(false)); libOn.push(await libraryRun(true)) } else { libOn.push(await libraryRun(true)); libOff.push(await libraryRun(false)) }
    }
    report('library producer, acks -1', libOff, libOn)
  } finally {
    removeDir(inputDir)
  }
}

await main()
