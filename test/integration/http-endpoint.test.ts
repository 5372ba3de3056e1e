/**
 * The HTTP endpoint of a real broker: /health, /ready (and why it is not ready), /metrics as
 * Prometheus reads it after kafkajs produces and a kafkajs group consumes and commits part of
 * what it read; `millrace start` naming its HTTP address, and refusing a port in use.
 */
import { createServer, type Server } from 'node:net'
import { once } from 'node:events'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Kafka, logLevel } from 'kafkajs'
import { Broker } from '../../src/broker.js'
import { MillraceError } from '../../src/errors.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { startCli } from '../helpers/cli.js'
import { parseExposition, samplesOf, valueOf, type Exposition } from '../helpers/prometheus-text.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'

async function get (address: string, path: string): Promise<{ status: number, type: string, body: string }> {
  const res = await fetch(`http://${address}${path}`)
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

async function scrape (broker: Broker): Promise<Exposition> {
  const res = await get(broker.httpAddress!, '/metrics')
  assert.is(res.status, 200)
  assert.match(res.type, 'text/plain')
  return parseExposition(res.body)
}

/** A TCP port held by another listener for the test's length. */
async function occupiedPort (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as { port: number }).port }
}

// ---

const endpoint = suite('HTTP endpoint of a broker in library mode')

endpoint('off by default; with httpPort 0, /health and /ready answer 200 and close() stops it', async () => {
  const plain = await Broker.start({ dataDir: null, workers: 1 })
  assert.is(plain.httpAddress, undefined)
  await plain.close()

  const broker = await Broker.start({ dataDir: null, workers: 1, port: 0, httpPort: 0 })
  const address = broker.httpAddress!
  assert.match(address, /^127\.0\.0\.1:\d+$/)
  try {
    const health = await get(address, '/health')
    assert.is(health.status, 200)
    assert.equal(JSON.parse(health.body), { status: 'ok' })
    const ready = await get(address, '/ready')
    assert.is(ready.status, 200)
    assert.equal(JSON.parse(ready.body), { ready: true, reasons: [], offlineTopics: [], recoveringPartitions: [], offlineDataDirs: [] })
  } finally {
    await broker.close()
  }
  let refused = false
  await fetch(`http://${address}/health`).catch(() => { refused = true })
  assert.ok(refused, 'nothing listens after close()')
})

endpoint('the web console is served on the same endpoint: its page at / and its API under /api/', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, port: 0, httpPort: 0 })
  try {
    const topic = uniqueTopic('http-console')
    await broker.createTopic({ topic, partitions: 2 })
    const page = await get(broker.httpAddress!, '/')
    assert.is(page.status, 200)
    assert.match(page.type, 'text/html')
    const overview = await get(broker.httpAddress!, '/api/overview')
    assert.is(overview.status, 200)
    assert.ok(overview.body.includes(topic), 'the overview lists the topic')
    assert.is((await get(broker.httpAddress!, '/api/topics/no-such-topic')).status, 404)
    assert.is((await get(broker.httpAddress!, '/metrics')).status, 200, 'the console leaves /metrics alone')
  } finally {
    await broker.close()
  }
})

endpoint('/metrics after kafkajs produces and a group commits part of what it consumed', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, port: 0, httpPort: 0 })
  const topic = uniqueTopic('http-metrics')
  const groupId = uniqueTopic('http-metrics-group')
  const kafka = new Kafka({ clientId: 'http-endpoint-test', brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } })
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 100, maxWaitTimeInMs: 50 })
  try {
    await broker.createTopic({ topic, partitions: 2 })
    const producer = kafka.producer()
    await producer.connect()
    // 6 records on partition 0, 4 on partition 1, in three requests.
    await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: 0, value: `a${i}` })) })
    await producer.send({ topic, messages: [3, 4, 5].map((i) => ({ partition: 0, value: `a${i}` })) })
    await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ partition: 1, value: `b${i}` })) })
    await producer.disconnect()

    let consumed = 0
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ autoCommit: false, eachMessage: async () => { consumed++ } })
    await until('the group consumed all 10 records', () => consumed === 10)
    // Committed: 4 of partition 0's 6 records, 1 of partition 1's 4.
    await consumer.commitOffsets([{ topic, partition: 0, offset: '4' }, { topic, partition: 1, offset: '1' }])

    const m = await scrape(broker)
    assert.is(m.types.get('millrace_topic_records_in_total'), 'counter')
    assert.is(valueOf(m, 'millrace_topic_records_in_total', { topic }), 10)
    assert.ok(valueOf(m, 'millrace_topic_bytes_in_total', { topic })! > 10 * 2, 'bytes in counts the batches')
    assert.ok(valueOf(m, 'millrace_topic_records_out_total', { topic })! >= 10, 'the group read every record')
    assert.ok(valueOf(m, 'millrace_topic_bytes_out_total', { topic })! > 0)

    assert.is(valueOf(m, 'millrace_requests_total', { api: 'Produce' }), 3)
    assert.ok(valueOf(m, 'millrace_requests_total', { api: 'Fetch' })! >= 1)
    assert.ok(valueOf(m, 'millrace_requests_total', { api: 'OffsetCommit' })! >= 1)
    assert.is(m.types.get('millrace_request_duration_seconds'), 'histogram')
    assert.is(valueOf(m, 'millrace_request_duration_seconds_count', { api: 'Produce' }), 3, 'one observation per request')
    assert.is(valueOf(m, 'millrace_request_duration_seconds_bucket', { api: 'Produce', le: '+Inf' }), 3)

    for (const [partition, end] of [['0', 6], ['1', 4]] as const) {
      assert.is(valueOf(m, 'millrace_partition_log_end_offset', { topic, partition }), end)
      assert.is(valueOf(m, 'millrace_partition_high_watermark', { topic, partition }), end)
      assert.is(valueOf(m, 'millrace_partition_log_start_offset', { topic, partition }), 0)
      assert.ok(valueOf(m, 'millrace_partition_log_size_bytes', { topic, partition })! > 0)
    }
    assert.is(valueOf(m, 'millrace_group_lag', { group: groupId, topic, partition: '0' }), 2)
    assert.is(valueOf(m, 'millrace_group_lag', { group: groupId, topic, partition: '1' }), 3)

    assert.is(valueOf(m, 'millrace_offline_partitions'), 0)
    assert.is(valueOf(m, 'millrace_under_replicated_partitions'), 0)
    assert.is(valueOf(m, 'millrace_worker_restarts_total'), 0)
    assert.is(valueOf(m, 'millrace_ring_capacity_bytes'), broker.config.ringBytes)
    assert.is(samplesOf(m, 'millrace_ring_used_bytes', { worker: '0' }).length, 2, 'request and response ring of the one worker')
    assert.ok(valueOf(m, 'millrace_open_connections')! >= 1, 'the consumer is connected')
    assert.ok(valueOf(m, 'millrace_dispatcher_event_loop_delay_max_seconds')! >= 0)
    assert.ok(valueOf(m, 'process_resident_memory_bytes')! > 0, 'process metrics are on the same registry')
  } finally {
    await consumer.disconnect().catch(() => {})
    await broker.close()
  }
})

endpoint('library-mode producers and consumers count too; two brokers in one process keep their own metrics', async () => {
  const a = await Broker.start({ dataDir: null, workers: 1, httpPort: 0 })
  const b = await Broker.start({ dataDir: null, workers: 1, httpPort: 0 })
  const topic = uniqueTopic('http-library')
  try {
    await a.createTopic({ topic, partitions: 1 })
    const producer = a.producer()
    await producer.send({ topic, messages: [{ value: 'x' }, { value: 'y' }, { value: 'z' }] })
    await producer.close()
    const consumer = a.consumer({ groupId: uniqueTopic('http-library-group'), autoOffsetReset: 'earliest', maxWaitMs: 50 })
    consumer.subscribe({ topics: [topic] })
    let seen = 0
    await until('the library consumer read 3 records', async () => { seen += (await consumer.poll()).length; return seen === 3 })
    await consumer.close()

    const ma = await scrape(a)
    assert.is(valueOf(ma, 'millrace_topic_records_in_total', { topic }), 3)
    assert.is(valueOf(ma, 'millrace_topic_records_out_total', { topic }), 3)
    assert.is(valueOf(ma, 'millrace_open_connections'), 0, 'no Kafka listener, no connections')
    const mb = await scrape(b)
    assert.is(samplesOf(mb, 'millrace_topic_records_in_total', { topic }).length, 0, "the other broker's registry does not see it")
  } finally {
    await a.close()
    await b.close()
  }
})

endpoint('a worker that dies counts as a restart; once its partitions recovered /ready is 200 again', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, httpPort: 0 })
  const topic = uniqueTopic('http-restart')
  try {
    await broker.createTopic({ topic, partitions: 1 })
    await broker.dispatcher.crashWorkerOf(broker.dispatcher.partition(topic, 0)!)
    await broker.dispatcher.whenOnline()
    const m = await scrape(broker)
    assert.is(valueOf(m, 'millrace_worker_restarts_total'), 1)
    assert.is(valueOf(m, 'millrace_offline_partitions'), 0)
    assert.is((await get(broker.httpAddress!, '/ready')).status, 200)
  } finally {
    await broker.close()
  }
})

endpoint('a port in use: start fails with the address in the message and leaves the data dir free', async () => {
  const { server, port } = await occupiedPort()
  const dir = tmpDir()
  const dataDir = join(dir, 'data')
  try {
    let error: unknown
    await Broker.start({ dataDir, workers: 1, port: 0, httpPort: port }).catch((err) => { error = err })
    assert.ok(error instanceof MillraceError, String(error))
    assert.is(error.code, 'MR_ERR_INVALID_OPTION')
    assert.match(error.message, `cannot serve HTTP on 127.0.0.1:${port}`)
    assert.match(error.message, 'EADDRINUSE')
    const again = await Broker.start({ dataDir, workers: 1 })
    await again.close()
  } finally {
    server.close()
    removeDir(dir)
  }
})

endpoint.run()

// ---

const offline = suite('/ready and /metrics while a topic is offline')

offline('503 naming the offline topic and why; the offline partition is counted', async () => {
  const dir = tmpDir()
  const dataDir = join(dir, 'data')
  const topic = uniqueTopic('http-offline')
  const healthy = uniqueTopic('http-healthy')
  try {
    const seed = await Broker.start({ dataDir, workers: 1 })
    await seed.createTopic({ topic, partitions: 1 })
    await seed.createTopic({ topic: healthy, partitions: 1 })
    await seed.close()
    writeFileSync(join(dataDir, `${topic}-0`, 'partition.metadata'), 'version: 0\ntopic_id: garbage\n')

    const broker = await Broker.start({ dataDir, workers: 1, port: 0, httpPort: 0, logger: new CaptureLogger().logger })
    try {
      const ready = await get(broker.httpAddress!, '/ready')
      assert.is(ready.status, 503)
      const body = JSON.parse(ready.body) as { ready: boolean, reasons: string[], offlineTopics: string[] }
      assert.is(body.ready, false)
      assert.equal(body.offlineTopics, [topic])
      assert.is(body.reasons.length, 1)
      assert.match(body.reasons[0], `topic '${topic}' is offline: `)
      assert.match(body.reasons[0], `${topic}-0`)
      assert.is((await get(broker.httpAddress!, '/health')).status, 200, 'alive, though not ready')
      const m = await scrape(broker)
      assert.is(valueOf(m, 'millrace_offline_partitions'), 1)
      assert.is(valueOf(m, 'millrace_partition_high_watermark', { topic: healthy, partition: '0' }), 0)
    } finally {
      await broker.close()
    }
  } finally {
    removeDir(dir)
  }
})

offline.run()

// ---

const cli = suite('millrace start and its HTTP endpoint')

cli('--http-port 0: the ready line names the HTTP address, which serves /health; --no-http serves none', async () => {
  const run = startCli(['--memory', '--port', '0', '--http-port', '0', '--workers', '1'])
  try {
    const line = await run.ready
    const m = /, http on (127\.0\.0\.1:\d+), /.exec(line)
    assert.ok(m !== null, line)
    assert.is((await get(m[1], '/health')).status, 200)
  } finally {
    run.child.kill('SIGTERM')
    assert.is((await run.exit).code, 0)
  }
  const off = startCli(['--memory', '--port', '0', '--no-http', '--workers', '1'])
  try {
    const line = await off.ready
    assert.not.match(line, 'http on')
  } finally {
    off.child.kill('SIGTERM')
    await off.exit
  }
})

cli('an HTTP port in use: exit 2 with a clear message on stderr and a fatal log line', async () => {
  const { server, port } = await occupiedPort()
  try {
    const run = startCli(['--memory', '--port', '0', '--http-port', String(port), '--workers', '1', '--log-format', 'json'])
    const { code } = await run.exit
    assert.is(code, 2)
    const { stdout, stderr } = run.output()
    assert.not.match(stdout, 'millrace ready')
    const message = `cannot serve HTTP on 127.0.0.1:${port}: listen EADDRINUSE`
    assert.match(stderr, `millrace: ${message}`)
    const fatal = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number, msg: string }).find((l) => l.level === 60)
    assert.ok(fatal !== undefined, stderr)
    assert.match(fatal.msg, message)
  } finally {
    server.close()
  }
})

cli('--config keys httpPort and httpHost; "httpPort": null turns the endpoint off', async () => {
  const dir = tmpDir()
  try {
    const on = join(dir, 'on.json')
    writeFileSync(on, JSON.stringify({ dataDir: null, port: 0, httpPort: 0, httpHost: '127.0.0.1' }))
    const run = startCli(['--config', on, '--workers', '1'])
    try {
      const m = /, http on (127\.0\.0\.1:\d+), /.exec(await run.ready)
      assert.ok(m !== null)
      assert.is((await get(m[1], '/ready')).status, 200)
    } finally {
      run.child.kill('SIGTERM')
      await run.exit
    }
    const off = join(dir, 'off.json')
    writeFileSync(off, JSON.stringify({ dataDir: null, port: 0, httpPort: null }))
    // startCli adds --http-port 0 unless told about HTTP: --config alone must decide here.
    const quiet = startCli(['--config', off, '--workers', '1', '--http-host', '127.0.0.1'])
    try {
      assert.not.match(await quiet.ready, 'http on')
    } finally {
      quiet.child.kill('SIGTERM')
      await quiet.exit
    }
  } finally {
    removeDir(dir)
  }
})

cli('--no-http with --http-port is refused', async () => {
  const run = startCli(['--memory', '--port', '0', '--no-http', '--http-port', '0'])
  assert.is((await run.exit).code, 2)
  assert.match(run.output().stderr, '--no-http cannot be used with --http-port or --http-host')
})

cli.run()
