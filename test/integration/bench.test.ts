import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import { parseBenchArgs } from '../../src/bench/options.js'
import { runBenchmark } from '../../src/bench/run.js'
import { connectKafka, runKafkaConsumer } from '../../src/bench/kafka-load.js'
import { summaryTable, type BenchResult } from '../../src/bench/result.js'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'

const MAIN_JS = new URL('../../src/cli/main.js', import.meta.url).pathname

const bench = suite('millrace bench runs')
let dir = ''
bench.before(() => { dir = tmpDir('millrace-bench-test-') })
bench.after(() => removeDir(dir))

/** The stream a run writes its progress notes to; a test only keeps them. */
function sink (): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY: false, write (chunk: string) { s.text += chunk; return true } }
  return s as unknown as NodeJS.WriteStream & { text: string }
}

function readResult (path: string): BenchResult {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchResult
}

function checkHtml (path: string, result: BenchResult): void {
  const html = readFileSync(path, 'utf8')
  assert.match(html, /^<!doctype html>/)
  assert.match(html, /<canvas id="throughput">/)
  assert.match(html, /<canvas id="latency">/)
  // The chart library is inlined (the report opens offline) and nothing is fetched.
  assert.ok(html.includes('Chart'), 'Chart.js bundle missing')
  assert.not.match(html, /<script[^>]+src=/)
  const data = /<script id="bench-data" type="application\/json">(.*?)<\/script>/s.exec(html)
  assert.ok(data !== null, 'embedded data missing')
  assert.equal(JSON.parse(data[1]).workload, result.workload)
  for (const t of result.targets) assert.ok(html.includes(t.label), `${t.label} missing from the report`)
}

bench('a tiny produce run against an embedded broker writes a JSON result and an HTML report', async () => {
  const options = parseBenchArgs(['produce', '--target', 'embedded', '--memory', '--records', '5000', '--runs', '2', '--partitions', '2',
    '--batch-size', '16384', '--json', join(dir, 'produce.json'), '--no-progress'])
  const out = sink()
  const { files } = await runBenchmark(options, out)
  assert.is(files.jsonPath, join(dir, 'produce.json'))
  assert.is(files.htmlPath, join(dir, 'produce.html'))
  const result = readResult(files.jsonPath)
  assert.is(result.tool, 'millrace bench')
  assert.is(result.workload, 'produce')
  assert.is(result.node, process.version)
  assert.type(result.commit, 'string')
  assert.ok(result.machine.cpus >= 1)
  assert.is(result.settings.records, 5000)
  assert.is(result.settings.partitions, 2)
  assert.is(result.targets.length, 1)
  const t = result.targets[0]
  assert.is(t.label, 'millrace (embedded)')
  assert.is(t.runs.length, 2)
  for (const r of t.runs) {
    assert.is(r.produced, 5000)
    assert.ok(r.produceRate! > 0)
    assert.ok(r.loadCpuSec > 0)
  }
  const s = t.summary.produceRate
  assert.ok(s.min <= s.median && s.median <= s.max)
  assert.match(out.text, /millrace \(embedded\) run 2\/2: [\d,]+ records\/s/)
  checkHtml(files.htmlPath, result)
})

bench('a tiny latency run records every record in the histogram', async () => {
  const options = parseBenchArgs(['latency', '--target', 'embedded', '--memory', '--records', '600', '--rate', '2000', '--runs', '1',
    '--out', dir, '--no-progress'])
  const { files } = await runBenchmark(options, sink())
  assert.match(files.jsonPath, /bench-latency-.*\.json$/)
  assert.ok(existsSync(files.htmlPath))
  const result = readResult(files.jsonPath)
  const run = result.targets[0].runs[0]
  assert.is(run.produced, 600)
  assert.is(run.consumed, 600)
  assert.is(run.latency!.count, 600)
  assert.ok(run.latency!.p50 > 0 && run.latency!.p50 <= run.latency!.p99 && run.latency!.p99 <= run.latency!.max)
  assert.is(run.latency!.distribution.at(-1)!.percentile, 100)
  for (const key of ['p50', 'p99', 'p999', 'max']) assert.ok(key in result.targets[0].summary, `${key} missing from the summary`)
})

bench('consume and mixed runs read back every record produced', async () => {
  for (const workload of ['consume', 'mixed']) {
    const options = parseBenchArgs([workload, '--target', 'embedded', '--memory', '--records', '3000', '--runs', '1', '--partitions', '2',
      '--consumers', '2', '--out', dir, '--no-progress'])
    const { files } = await runBenchmark(options, sink())
    const run = readResult(files.jsonPath).targets[0].runs[0]
    assert.is(run.produced, 3000, workload)
    assert.is(run.consumed, 3000, workload)
    assert.ok(run.consumeRate! > 0)
  }
})

bench('over TCP (--brokers): timed produce, mixed with producer threads, latency and consume', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0 })
  try {
    const brokers = broker.address!
    const timed = parseBenchArgs(['produce', '--brokers', brokers, '--duration', '0.3', '--batch-size', '8192', '--runs', '1', '--out', dir, '--no-progress'])
    const produced = readResult((await runBenchmark(timed, sink())).files.jsonPath).targets[0]
    assert.is(produced.label, `kafka at ${brokers}`)
    assert.ok(produced.runs[0].produced > 0)
    assert.ok(produced.runs[0].seconds >= 0.3)
    assert.ok(produced.runs[0].producerBusySec! > 0)

    const mixed = parseBenchArgs(['mixed', '--brokers', brokers, '--records', '4001', '--partitions', '3', '--producers', '2', '--consumers', '2',
      '--batch-size', '4096', '--runs', '1', '--out', dir, '--no-progress'])
    const m = readResult((await runBenchmark(mixed, sink())).files.jsonPath).targets[0].runs[0]
    assert.is(m.produced, 4001)
    assert.is(m.consumed, 4001)

    const latency = parseBenchArgs(['latency', '--brokers', brokers, '--records', '300', '--rate', '3000', '--runs', '1', '--out', dir, '--no-progress'])
    const l = readResult((await runBenchmark(latency, sink())).files.jsonPath).targets[0].runs[0]
    assert.is(l.latency!.count, 300)
    assert.ok(l.latency!.p50 > 0)

    const consume = parseBenchArgs(['consume', '--brokers', brokers, '--records', '2500', '--compression', 'lz4', '--runs', '1', '--out', dir, '--no-progress'])
    const c = readResult((await runBenchmark(consume, sink())).files.jsonPath).targets[0].runs[0]
    assert.is(c.consumed, 2500)
    // The topics a run creates are deleted after it.
    assert.equal(broker.listTopics().filter((t) => t.startsWith('bench-')), [])
  } finally {
    await broker.close()
  }
})

bench('consumers over TCP stop when together they read the expected count, however the partitions split it', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0 })
  const clients: Array<Awaited<ReturnType<typeof connectKafka>>> = []
  try {
    await broker.createTopic({ topic: 'split', partitions: 2 })
    const producer = broker.producer()
    await producer.send({ topic: 'split', messages: Array.from({ length: 10 }, (_, i) => ({ value: `a${i}`, partition: 0 })) })
    await producer.send({ topic: 'split', messages: Array.from({ length: 5 }, (_, i) => ({ value: `b${i}`, partition: 1 })) })
    const [host, port] = broker.address!.split(':')
    for (let i = 0; i < 2; i++) clients.push(await connectKafka({ host, port: Number(port) }))
    const readByAll = { count: 0 }
    const never = new AbortController().signal
    const reading = Promise.all([0, 1].map(async (partition) => await runKafkaConsumer(clients[partition], {
      topic: 'split', partitions: [partition], expected: { count: 15 }, readByAll, signal: never, histogram: undefined
    }, () => {})))
    let timer: NodeJS.Timeout | undefined
    const stuck = new Promise<'stuck'>((resolve) => { timer = setTimeout(() => resolve('stuck'), 10_000) })
    const counts = await Promise.race([reading, stuck])
    clearTimeout(timer)
    assert.equal(counts, [10, 5], 'each consumer returns its own count once the total is reached')
    assert.is(readByAll.count, 15)
  } finally {
    for (const c of clients) c.close()
    await broker.close()
  }
})

bench('--brokers against a broker that is not there fails with a clear message', async () => {
  const options = parseBenchArgs(['produce', '--brokers', '127.0.0.1:1', '--records', '10', '--runs', '1', '--out', dir, '--no-progress'])
  try {
    await runBenchmark(options, sink())
    assert.unreachable('ran without a broker')
  } catch (err) {
    assert.match((err as Error).message, /cannot connect to 127\.0\.0\.1:1: ECONNREFUSED/)
  }
})

bench('a transactional produce run beside the idempotent one: commit latency, every record read back read_committed, the ratio', async () => {
  const options = parseBenchArgs(['produce', '--transactional', '--txn-records', '300', '--compare-idempotent', '--memory', '--records', '3000',
    '--partitions', '2', '--runs', '1', '--json', join(dir, 'txn.json'), '--no-progress'])
  const out = sink()
  const { result: returned, files } = await runBenchmark(options, out)
  const result = readResult(files.jsonPath)
  assert.is(result.settings.producer, 'transactional')
  assert.is(result.settings.txnRecords, 300)
  assert.equal(result.targets.map((t) => t.label), ['millrace (embedded, transactional)', 'millrace (embedded, idempotent)'])
  const [txn, idem] = result.targets
  const run = txn.runs[0]
  assert.is(run.produced, 3000)
  assert.is(run.commits, 10)
  // The read-back is read_committed: it only ends once every transaction's marker is written.
  assert.is(run.consumed, 3000)
  assert.ok(run.commitP50Ms! > 0 && run.commitP50Ms! <= run.commitP99Ms!)
  assert.ok(run.committedConsumeRate! > 0)
  for (const key of ['produceRate', 'commitP50Ms', 'commitP99Ms', 'committedConsumeRate']) assert.ok(key in txn.summary, `${key} missing from the summary`)
  assert.is(idem.runs[0].produced, 3000)
  assert.is(idem.runs[0].commits, undefined)
  assert.not.ok('commitP50Ms' in idem.summary)
  assert.match(out.text, /millrace \(embedded, transactional\) run 1\/1: [\d,]+ records\/s, 10 commits \(p50 [\d.]+ ms, p99 [\d.]+ ms\), read_committed [\d,]+ records\/s/)
  const table = summaryTable(returned)
  assert.match(table, /commit latency p50 +[\d.]+ ms/)
  assert.match(table, /read_committed consume +[\d,]+ records\/s/)
  assert.match(table, /millrace vs millrace \(embedded, idempotent\) \(above 1 = millrace ahead\): produce [\d.]+×/)
})

bench('--compare-replication: replication factor 3 over 3 workers and 3 data dirs beside replication factor 1, acks=all, the ratio', async () => {
  const options = parseBenchArgs(['produce', '--replication-factor', '3', '--compare-replication', '--records', '3000', '--partitions', '2',
    '--runs', '1', '--json', join(dir, 'replication.json'), '--no-progress'])
  const { result: returned, files } = await runBenchmark(options, sink())
  const result = readResult(files.jsonPath)
  assert.is(result.settings.replicationFactor, 3)
  assert.is(result.settings.acks, 'all')
  assert.equal(result.targets.map((t) => t.label), ['millrace (server, replication factor 3)', 'millrace (server, replication factor 1)'])
  for (const t of result.targets) assert.is(t.runs[0]!.produced, 3000)
  assert.is(result.targets[0]!.details.replicationFactor, 3)
  assert.is(result.targets[1]!.details.replicationFactor, 1)
  assert.match(summaryTable(returned), /millrace vs millrace \(server, replication factor 1\) \(above 1 = millrace ahead\): produce [\d.]+×/)
})

bench('the CLI prints a usage error with exit code 2 for bad flags', async () => {
  const child = spawn(process.execPath, [MAIN_JS, 'bench', 'produce', '--vs', 'kafka'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  assert.is(code, 2)
  assert.match(stderr, /millrace: unknown peer 'kafka' in --vs: use nats, redis/)
})

bench.run()
