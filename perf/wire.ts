/**
 * `npm run bench:wire`: Kafka clients against a `millrace start` child process over TCP on
 * 127.0.0.1. Each run starts a fresh broker on its own temp data dir (flush left to the OS),
 * then, one after another:
 *
 *   kcat produce     1,000,000 lines of 99 chars from a file, acks=1, linger 5 ms, 10k per batch
 *   kcat consume     from the beginning to the end of the partition (-e), one line per record
 *   kafkajs produce  sends of 5,000 messages, 8 sends in flight, acks=1
 *   Node Fetch loop  Fetch v11 over the project's own wire codec, counting records from batch
 *                    headers (kafkajs' consumer needs consumer groups, which the broker does
 *                    not serve yet, so there is no kafkajs consume figure)
 *
 * Every figure is the median of 3 runs with min and max, wall time from the client's start
 * to its end. For each, the broker's CPU time (all threads, and its main thread alone, from
 * /proc/<pid>/stat) and the client's CPU time show which side was busy. Record counts are
 * checked against the consumer's count and the partitions' high watermarks. Prints figures;
 * asserts nothing about time.
 *
 * Environment: BENCH_RECORDS (default 1,000,000), BENCH_PARTITIONS (default 1),
 * BENCH_RUNS (default 3).
 */
import { spawn, execSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { ApiKey } from '../src/protocol/api-keys.js'
import type { FetchResponse } from '../src/protocol/apis/fetch.js'
import { WireClient } from '../test/integration/kafka-wire.js'
import { removeDir, tmpDir } from '../test/helpers/tmp-dir.js'
import { startBrokerProcess, stopBrokerProcess, type BrokerProcess } from './lib/broker-process.js'
import { formatFigure, median } from './lib/stats.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 1)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const VALUE_BYTES = 99
/** 5,000 × 99 B fills one ~560 KB batch: 10,000 would pass the default max.message.bytes (1 MiB). */
const KAFKAJS_SEND = 5_000
const KAFKAJS_IN_FLIGHT = 8
const CLIENT_TIMEOUT_MS = 300_000
/** The project root (this file runs from dist/perf/). */
const ROOT = new URL('../../', import.meta.url).pathname
const TICKS_PER_SECOND = Number(safeExec('getconf CLK_TCK') || 100)
const TIME_BIN = '/usr/bin/time'

function safeExec (cmd: string): string {
  try { return execSync(cmd, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() } catch { return '' }
}

/** utime + stime in seconds of a /proc stat file (fields after the command name in parentheses). */
function cpuSeconds (statPath: string): number {
  try {
    const text = readFileSync(statPath, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

interface BrokerCpu { total: number, main: number }

function brokerCpu (pid: number): BrokerCpu {
  return { total: cpuSeconds(`/proc/${pid}/stat`), main: cpuSeconds(`/proc/${pid}/task/${pid}/stat`) }
}

// ---------- measurements ----------

interface Sample { seconds: number, brokerCpu: number, brokerMainCpu: number, clientCpu: number }

async function measure (broker: BrokerProcess, fn: () => Promise<number>): Promise<Sample> {
  const before = brokerCpu(broker.pid)
  const t0 = performance.now()
  const clientCpu = await fn()
  const seconds = (performance.now() - t0) / 1000
  const after = brokerCpu(broker.pid)
  return { seconds, brokerCpu: after.total - before.total, brokerMainCpu: after.main - before.main, clientCpu }
}

/** Runs a client command, with /usr/bin/time around it when present; resolves with the client's CPU seconds (NaN if unknown). */
function runClient (cmd: string[], stdinFd: number | 'ignore', onStdout?: (chunk: Buffer) => void): Promise<number> {
  const timed = existsSync(TIME_BIN)
  const argv = timed ? [TIME_BIN, '-f', 'CPU %U %S', ...cmd] : cmd
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: [stdinFd, onStdout === undefined ? 'ignore' : 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
    if (onStdout !== undefined) child.stdout!.on('data', onStdout)
    const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) { reject(new Error(`${cmd.join(' ')} exited with ${String(code)}: ${stderr.trim()}`)); return }
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(stderr)
      resolve(m === null ? NaN : Number(m[1]) + Number(m[2]))
    })
  })
}

function kcatProduceArgs (port: number, topic: string): string[] {
  return ['kcat', '-P', '-b', `127.0.0.1:${port}`, '-t', topic, '-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000']
}

/**
 * librdkafka reports the end of a partition only after a Fetch at the high watermark comes back
 * empty, which the broker (like Kafka) holds for fetch.wait.max.ms: 5 ms instead of the default
 * 500 keeps that wait out of the figure. Fetches that find data answer at once either way.
 */
function kcatConsumeArgs (port: number, topic: string): string[] {
  return ['kcat', '-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-X', 'fetch.wait.max.ms=5', '-e', '-o', 'beginning', '-q', '-f', '\\n']
}

function kafkaFor (port: number): Kafka {
  return new Kafka({ clientId: 'bench-wire', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING })
}

async function createTopics (port: number, topics: string[]): Promise<void> {
  const admin = kafkaFor(port).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** The sum of the topic's high watermarks, by ListOffsets (kafkajs admin). */
async function highWatermark (port: number, topic: string): Promise<number> {
  const admin = kafkaFor(port).admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.reduce((sum, p) => sum + Number(p.high), 0)
  } finally {
    await admin.disconnect()
  }
}

function check (what: string, got: number): void {
  if (got !== RECORDS) throw new Error(`${what}: expected ${RECORDS} records, got ${got}`)
}

async function kcatProduce (broker: BrokerProcess, topic: string, linesFile: string): Promise<Sample> {
  const fd = openSync(linesFile, 'r')
  try {
    return await measure(broker, () => runClient(kcatProduceArgs(broker.port, topic), fd))
  } finally {
    closeSync(fd)
  }
}

async function kcatConsume (broker: BrokerProcess, topic: string): Promise<Sample> {
  let count = 0
  const sample = await measure(broker, () => runClient(kcatConsumeArgs(broker.port, topic), 'ignore', (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++
  }))
  check('kcat consume count', count)
  return sample
}

async function kafkajsProduce (broker: BrokerProcess, topic: string): Promise<Sample> {
  const producer = kafkaFor(broker.port).producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  const value = Buffer.alloc(VALUE_BYTES, 'x')
  const messages = Array.from({ length: KAFKAJS_SEND }, () => ({ value }))
  try {
    return await measure(broker, async () => {
      const cpu0 = process.cpuUsage()
      const inFlight: Array<Promise<unknown>> = []
      let failure: unknown = null
      for (let sent = 0; sent < RECORDS && failure === null; sent += KAFKAJS_SEND) {
        const send = producer.send({ topic, acks: 1, messages: sent + KAFKAJS_SEND <= RECORDS ? messages : messages.slice(0, RECORDS - sent) })
        inFlight.push(send.catch((err: unknown) => { failure ??= err }))
        if (inFlight.length >= KAFKAJS_IN_FLIGHT) await inFlight.shift()
      }
      await Promise.all(inFlight)
      if (failure !== null) throw failure
      const cpu = process.cpuUsage(cpu0)
      return (cpu.user + cpu.system) / 1e6
    })
  } finally {
    await producer.disconnect()
  }
}

/** A kafkajs group consumer (one member, a fresh group) reading the topic from the beginning; eachBatch counts records. */
async function kafkajsConsume (broker: BrokerProcess, topic: string): Promise<Sample> {
  let count = 0
  const sample = await measure(broker, async () => {
    const cpu0 = process.cpuUsage()
    const consumer = kafkaFor(broker.port).consumer({ groupId: `bench-wire-${Date.now()}`, maxWaitTimeInMs: 100 })
    let finished!: () => void
    const all = new Promise<void>((resolve) => { finished = resolve })
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachBatch: async ({ batch }) => {
          count += batch.messages.length
          if (count >= RECORDS) finished()
        }
      })
      let timer: NodeJS.Timeout | undefined
      await Promise.race([all, new Promise((resolve) => { timer = setTimeout(resolve, CLIENT_TIMEOUT_MS) })])
      clearTimeout(timer)
    } finally {
      await consumer.disconnect()
    }
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / 1e6
  })
  check('kafkajs consume count', count)
  return sample
}

/** Fetch v11 from offset 0 to the high watermark of every partition, one request in flight, 1 MiB per partition. */
async function nodeFetchLoop (broker: BrokerProcess, topic: string): Promise<Sample> {
  let count = 0
  const sample = await measure(broker, async () => {
    const cpu0 = process.cpuUsage()
    const client = await WireClient.connect(broker.port)
    try {
      const next = new Map<number, number>(Array.from({ length: PARTITIONS }, (_, p) => [p, 0]))
      const done = new Set<number>()
      while (done.size < PARTITIONS) {
        const partitions = [...next].filter(([p]) => !done.has(p)).map(([partition, fetchOffset]) => ({
          partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1, partitionMaxBytes: 1024 * 1024
        }))
        const res = await client.request<FetchResponse>(ApiKey.Fetch, 11, {
          replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 50 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, partitions }], forgottenTopicsData: [], rackId: ''
        })
        for (const pd of res.responses[0].partitions) {
          if (pd.errorCode !== 0) throw new Error(`Fetch error ${pd.errorCode} on partition ${pd.partitionIndex}`)
          let offset = next.get(pd.partitionIndex)!
          const records = pd.records as Buffer | null
          // Whole batches only: baseOffset @0, batchLength @8, lastOffsetDelta @23, recordCount @57.
          for (let at = 0; records !== null && at + 61 <= records.length;) {
            const end = at + 12 + records.readInt32BE(at + 8)
            if (end > records.length) break
            const base = Number(records.readBigInt64BE(at))
            if (base + records.readInt32BE(at + 23) >= offset) count += records.readInt32BE(at + 57)
            offset = base + records.readInt32BE(at + 23) + 1
            at = end
          }
          next.set(pd.partitionIndex, offset)
          if (offset >= pd.highWatermark) done.add(pd.partitionIndex)
        }
      }
    } finally {
      client.close()
    }
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / 1e6
  })
  check('Node Fetch loop count', count)
  return sample
}

// ---------- report ----------

function writeLinesFile (dir: string): string {
  const path = join(dir, 'lines.txt')
  const fd = openSync(path, 'w')
  const chunkLines = 10_000
  const chunk = Buffer.from(('x'.repeat(VALUE_BYTES) + '\n').repeat(chunkLines))
  for (let left = RECORDS; left > 0; left -= chunkLines) writeSync(fd, chunk, 0, Math.min(left, chunkLines) * (VALUE_BYTES + 1))
  closeSync(fd)
  return path
}

function print (line = ''): void { process.stdout.write(line + '\n') }

function report (name: string, samples: Sample[]): void {
  const rates = samples.map((s) => RECORDS / s.seconds)
  print(formatFigure({ name, value: median(rates), min: Math.min(...rates), max: Math.max(...rates), unit: 'records/s' }))
  const sec = (v: number): string => Number.isNaN(v) ? '?' : v.toFixed(2)
  const mid = [...samples].sort((a, b) => a.seconds - b.seconds)[samples.length >> 1]
  print(`    median run: ${sec(mid.seconds)} s wall; broker CPU ${sec(mid.brokerCpu)} s (main thread ${sec(mid.brokerMainCpu)} s); client CPU ${sec(mid.clientCpu)} s`)
  print(`    broker CPU per run: ${samples.map((s) => `${sec(s.brokerCpu)} s`).join(', ')}`)
}

function machine (): string {
  const v = safeExec('kcat -V 2>&1')
  const kcatVersion = `kcat ${/Version ([\w.]+)/.exec(v)?.[1] ?? '?'} (librdkafka ${/librdkafka ([\w.]+)/.exec(v)?.[1] ?? '?'})`
  const dirty = safeExec('git status --porcelain --untracked-files=no') !== '' ? ' (uncommitted changes in the tree)' : ''
  return [
    `commit ${safeExec('git rev-parse --short HEAD') || 'unknown'}${dirty}`,
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform} ${safeExec('uname -r')}`,
    `Node ${process.version}, ${kcatVersion}, kafkajs ${kafkajsVersion()}`
  ].join('\n')
}

function kafkajsVersion (): string {
  try {
    const pkg = new URL('../../node_modules/kafkajs/package.json', import.meta.url)
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
  } catch { return '?' }
}

async function main (): Promise<void> {
  const work = tmpDir('millrace-bench-wire-input-')
  const linesFile = writeLinesFile(work)
  print(`millrace bench:wire — ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} B values, ${PARTITIONS} partition(s), acks=1, medians of ${RUNS} runs`)
  print(machine())
  print(`broker: node dist/src/cli/main.js start --port 0 --http-port 0 --data <fresh temp dir> (flush left to the OS), a new one per run`)
  print(`kcat produce: ${kcatProduceArgs(0, 'T').join(' ').replace('127.0.0.1:0', '127.0.0.1:PORT')} < <file of ${RECORDS} lines of ${VALUE_BYTES} chars>`)
  print(`kcat consume: ${kcatConsumeArgs(0, 'T').join(' ').replace('127.0.0.1:0', '127.0.0.1:PORT').replace('\\n', "'\\n'")}  (counts lines)`)
  print(`kafkajs produce: producer.send() of ${KAFKAJS_SEND} messages, ${KAFKAJS_IN_FLIGHT} in flight, acks=1, no compression`)
  print('kafkajs consume: a group consumer (one member, fresh group) from the beginning, eachBatch counting; and a Node raw Fetch loop')
  print('goals (native client): produce ≥ 1,000,000 records/s, consume ≥ 2,000,000 records/s')
  print()

  const samples = { kcatProduce: [] as Sample[], kcatConsume: [] as Sample[], kafkajsProduce: [] as Sample[], kafkajsConsume: [] as Sample[], nodeFetch: [] as Sample[] }
  try {
    for (let run = 0; run < RUNS; run++) {
      const broker = await startBrokerProcess('millrace-bench-wire-')
      try {
        await createTopics(broker.port, ['kcat', 'kafkajs'])
        samples.kcatProduce.push(await kcatProduce(broker, 'kcat', linesFile))
        check('kcat produce high watermark', await highWatermark(broker.port, 'kcat'))
        samples.kcatConsume.push(await kcatConsume(broker, 'kcat'))
        samples.kafkajsProduce.push(await kafkajsProduce(broker, 'kafkajs'))
        check('kafkajs produce high watermark', await highWatermark(broker.port, 'kafkajs'))
        samples.kafkajsConsume.push(await kafkajsConsume(broker, 'kafkajs'))
        samples.nodeFetch.push(await nodeFetchLoop(broker, 'kafkajs'))
      } finally {
        await stopBrokerProcess(broker)
      }
      process.stderr.write(`run ${run + 1}/${RUNS} done\n`)
    }
  } finally {
    removeDir(work)
  }
  report('kcat produce (acks=1)', samples.kcatProduce)
  report('kcat consume (-e, from the beginning)', samples.kcatConsume)
  report('kafkajs produce (acks=1)', samples.kafkajsProduce)
  report('kafkajs consume (group, eachBatch)', samples.kafkajsConsume)
  report('Node raw Fetch loop (project codec, 1 in flight)', samples.nodeFetch)
  print()
  print('Record counts checked: consumer counts and high watermarks (ListOffsets) equal the records sent.')
  print('Broker CPU is all threads of the broker process; its main thread is the dispatcher (sockets, framing).')
}

await main()
