/**
 * broker.faults against real brokers: a worker hung past replica.lag.time.max.ms is fenced and
 * restarted (its late work refused, nothing lost), a failed data dir takes its replicas offline
 * with KAFKA_STORAGE_ERROR while the others carry on, a killed worker recovers.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { request } from 'node:http'
import { Kafka, logLevel } from 'kafkajs'
import { Broker, MillraceError } from '../../src/index.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { LogStatus } from '../../src/log/errors.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { kafkaCodeOf } from '../../src/server/status.js'
import { collect } from '../helpers/collect.js'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { until } from '../helpers/until.js'

let unique = 0
function name (what: string): string { return `${what}-${process.pid}-${++unique}` }

function batch (value: string): Buffer {
  const b = new BatchBuilder()
  b.append(Date.now(), null, Buffer.from(value))
  return b.build()
}

/** Every value in partition `partition` of `topic`, from offset 0 to the high watermark. */
async function readAll (broker: Broker, topic: string, partition: number): Promise<string[]> {
  const hw = Number((await broker.describeTopic(topic)).partitions[partition].highWatermark)
  const consumer = broker.consumer({ maxWaitMs: 20 })
  try {
    consumer.assign([{ topic, partition, offset: 0n }])
    return (await collect(consumer, hw)).map((m) => m.value!.toString())
  } finally {
    await consumer.close()
  }
}

function get (address: string, path: string): Promise<{ status: number, body: string }> {
  const [host, port] = address.split(':')
  return new Promise((resolve, reject) => {
    request({ host, port: Number(port), path }, (res) => {
      let body = ''
      res.on('data', (chunk) => { body += String(chunk) })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    }).on('error', reject).end()
  })
}

const hung = suite('a hung partition worker')

hung('hung past the lag time during a kafkajs idempotent acks=all loop: fenced, restarted, every acknowledged value once', async () => {
  const dir = tmpDir()
  const log = new CaptureLogger()
  const lagMs = 1000
  const broker = await Broker.start({ dataDir: dir, workers: 2, port: 0, replicaLagTimeMaxMs: lagMs, logger: log.logger })
  const topic = name('hang-loop')
  const kafka = new Kafka({ clientId: 'hang-test', brokers: [`127.0.0.1:${broker.port!}`], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 } })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  try {
    await broker.createTopic({ topic, partitions: 1 })
    await producer.connect()
    const acked: string[] = []
    let stop = false
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `v${i}` }] })
        acked.push(`v${i}`)
      }
    })()
    await until('some records acknowledged', () => acked.length >= 20)
    const worker = broker.dispatcher.partition(topic, 0)!.worker
    const oldLink = broker.dispatcher.workers.link(worker)
    const hungAt = performance.now()
    await broker.faults.hangWorker(worker, 3000)
    await until('the hang detected', () => log.find('partition worker hung', 'error').length > 0, 10_000)
    const detectedAfter = performance.now() - hungAt
    assert.ok(detectedAfter >= lagMs && detectedAfter <= lagMs + 1000, `detected ${Math.round(detectedAfter)} ms after the hang began (lag time ${lagMs} ms)`)
    assert.ok(oldLink.fenced, 'the hung worker was fenced')
    const line = log.find('partition worker hung', 'error')[0]
    assert.is(line.fields.worker, worker)
    assert.ok((line.fields.silentMs as number) >= lagMs)
    assert.equal(line.fields.partitions, [`${topic}-0`])
    await until('the worker restarted', () => log.find('partition worker restarted', 'info').length > 0, 10_000)
    assert.match(String((log.find('partition worker died', 'error')[0].fields.err as Error).message), /hung: no heartbeat/)
    // Produce goes on after the restart.
    const before = acked.length
    await until('produce resumed', () => acked.length >= before + 20, 10_000)
    stop = true
    await loop
    const values = await readAll(broker, topic, 0)
    for (const v of acked) assert.is(values.filter((x) => x === v).length, 1, `${v} read back exactly once`)
    assert.is(broker.dispatcher.workers.link(worker).fenced, false, 'the replacement is not fenced')
  } finally {
    await producer.disconnect().catch(() => {})
    await broker.close()
    removeDir(dir)
  }
})

hung('a zombie: the fenced worker\'s requests are answered NOT_LEADER_OR_FOLLOWER, its late append refused, none of it stored', async () => {
  const dir = tmpDir()
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDir: dir, workers: 1, replicaLagTimeMaxMs: 500, logger: log.logger })
  const topic = name('zombie')
  try {
    await broker.createTopic({ topic, partitions: 1 })
    const p = broker.dispatcher.partition(topic, 0)!
    assert.is((await broker.dispatcher.router.append(p, batch('kept'))).status, LogStatus.Ok)
    const zombie = broker.dispatcher.workers.link(p.worker)
    await broker.faults.hangWorker(p.worker, 2000)
    // Sent while it is stuck: in its ring, never answered by it.
    const caught = broker.dispatcher.router.append(p, batch('caught'))
    await until('the hang detected', () => zombie.fenced, 10_000)
    const caughtAnswer = await caught
    assert.is(kafkaCodeOf(caughtAnswer.status), KafkaCode.NOT_LEADER_OR_FOLLOWER, 'the request in flight gets a retriable error, not an acknowledgement')
    const late = await zombie.append(p.id, p.leaderEpoch, batch('late'))
    assert.is(kafkaCodeOf(late.status), KafkaCode.NOT_LEADER_OR_FOLLOWER, 'a late append through the fenced worker is refused')
    await broker.dispatcher.whenOnline()
    assert.is((await broker.dispatcher.router.append(p, batch('after'))).status, LogStatus.Ok)
    assert.equal(await readAll(broker, topic, 0), ['kept', 'after'])
  } finally {
    await broker.close()
    removeDir(dir)
  }
})

hung('a hang shorter than the lag time is not a fault', async () => {
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDir: null, workers: 1, replicaLagTimeMaxMs: 1500, logger: log.logger })
  const topic = name('short-hang')
  try {
    await broker.createTopic({ topic, partitions: 1 })
    const p = broker.dispatcher.partition(topic, 0)!
    await broker.faults.hangWorker(0, 300)
    // Waits on the worker itself: it answers once the hang is over.
    assert.is((await broker.dispatcher.router.append(p, batch('x'))).status, LogStatus.Ok)
    await broker.faults.hangWorker(0, 300)
    assert.is((await broker.dispatcher.router.append(p, batch('y'))).status, LogStatus.Ok)
    assert.is(log.find('partition worker hung').length, 0)
    assert.is(broker.dispatcher.workers.restarts, 0)
  } finally {
    await broker.close()
  }
})

hung.run()

const disk = suite('a failed data dir')

disk('failDataDir: its partitions offline with KAFKA_STORAGE_ERROR, logged once, in describe, /ready and the metric; the other dir carries on', async () => {
  const root = tmpDir()
  const dirs = [join(root, 'a'), join(root, 'b')]
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDirs: dirs, workers: 2, httpPort: 0, logger: log.logger })
  const topic = name('jbod')
  try {
    await broker.createTopic({ topic, partitions: 2 })
    const [p0, p1] = [broker.dispatcher.partition(topic, 0)!, broker.dispatcher.partition(topic, 1)!]
    assert.equal([p0.dataDir, p1.dataDir], dirs)
    await broker.faults.failDataDir(dirs[1])
    // Offline once the promise resolves: no wait needed.
    const described = await broker.describeTopic(topic)
    assert.equal(described.partitions.map((p) => p.online), [true, false])
    const refused = await broker.dispatcher.router.append(p1, batch('lost?'))
    assert.is(kafkaCodeOf(refused.status), KafkaCode.KAFKA_STORAGE_ERROR)
    assert.is(kafkaCodeOf((await broker.dispatcher.router.fetch(p1, 0, 1024)).status), KafkaCode.KAFKA_STORAGE_ERROR)
    assert.is((await broker.dispatcher.router.append(p0, batch('fine'))).status, LogStatus.Ok)
    await broker.faults.failDataDir(dirs[1])
    const lines = log.find('data dir offline', 'error')
    assert.is(lines.length, 1, 'logged once per dir')
    assert.is(lines[0].fields.dataDir, dirs[1])
    assert.equal(lines[0].fields.replicas, [`${topic}-1`])
    const ready = await get(broker.httpAddress!, '/ready')
    assert.is(ready.status, 503)
    const body = JSON.parse(ready.body)
    assert.equal(body.offlineDataDirs, [dirs[1]])
    assert.equal(body.recoveringPartitions, [])
    assert.match(body.reasons.join('\n'), `data dir ${dirs[1]} is offline`)
    const metrics = await get(broker.httpAddress!, '/metrics')
    assert.match(metrics.body, /^millrace_offline_partitions 1$/m)
    // A restart of its worker does not bring it back (offline until the broker restarts).
    await broker.faults.killWorker(p1.worker)
    await until('the worker restarted', () => log.find('partition worker restarted', 'info').length > 0)
    assert.is(p1.online, false)
    assert.is(kafkaCodeOf((await broker.dispatcher.router.append(p1, batch('still'))).status), KafkaCode.KAFKA_STORAGE_ERROR)
    // New partitions go to the dir still working.
    const other = name('after-failure')
    await broker.createTopic({ topic: other, partitions: 2 })
    assert.equal(broker.dispatcher.topic(other)!.partitions.map((p) => p.dataDir), [dirs[0], dirs[0]])
  } finally {
    await broker.close()
    removeDir(root)
  }
})

disk('a worker answering StorageError takes the whole dir offline, on every worker', async () => {
  const root = tmpDir()
  const dirs = [join(root, 'a'), join(root, 'b')]
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDirs: dirs, workers: 3, logger: log.logger })
  const topic = name('jbod-seen')
  try {
    await broker.createTopic({ topic, partitions: 4 })
    const ps = [0, 1, 2, 3].map((i) => broker.dispatcher.partition(topic, i)!)
    const inB = ps.filter((p) => p.dataDir === dirs[1])
    assert.ok(new Set(inB.map((p) => p.worker)).size >= 2, 'dir b has partitions on two workers')
    const [first, second] = inB
    // The disk fails under one worker only: it answers StorageError, the rest of the broker has not noticed yet.
    await broker.dispatcher.workers.link(first.worker).failDataDir(dirs[1])
    assert.is(kafkaCodeOf((await broker.dispatcher.router.append(first, batch('x'))).status), KafkaCode.KAFKA_STORAGE_ERROR)
    await until('the dir offline', () => log.find('data dir offline', 'error').length > 0)
    assert.match(String(log.find('data dir offline', 'error')[0].fields.cause), `storage error on ${topic}-${first.partition}`)
    assert.is(second.online, false)
    assert.is(kafkaCodeOf((await broker.dispatcher.router.append(second, batch('y'))).status), KafkaCode.KAFKA_STORAGE_ERROR)
    for (const p of ps.filter((p) => p.dataDir === dirs[0])) assert.is((await broker.dispatcher.router.append(p, batch('z'))).status, LogStatus.Ok)
    assert.is(log.find('data dir offline', 'error').length, 1)
  } finally {
    await broker.close()
    removeDir(root)
  }
})

disk.run()

const faults = suite('broker.faults')

faults('killWorker on an RF 1 topic: the worker restarts and the partition recovers its records', async () => {
  const dir = tmpDir()
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDir: dir, workers: 2, logger: log.logger })
  const topic = name('kill')
  try {
    await broker.createTopic({ topic, partitions: 1 })
    const producer = broker.producer({ acks: -1, retries: 20, retryBackoffMs: 20 })
    for (let i = 0; i < 10; i++) await producer.send({ topic, messages: [{ partition: 0, value: `k${i}` }] })
    const worker = broker.dispatcher.partition(topic, 0)!.worker
    const before = broker.dispatcher.workers.link(worker)
    await broker.faults.killWorker(worker)
    assert.is(before.alive, false, 'dead when the promise resolves')
    await producer.send({ topic, messages: [{ partition: 0, value: 'after' }] })
    assert.equal(await readAll(broker, topic, 0), [...Array.from({ length: 10 }, (_, i) => `k${i}`), 'after'])
    assert.is(log.find('partition worker died', 'error').length, 1)
  } finally {
    await broker.close()
    removeDir(dir)
  }
})

faults('bad arguments are typed MillraceErrors', async () => {
  const root = tmpDir()
  const broker = await Broker.start({ dataDirs: [join(root, 'a')], workers: 2 })
  const memory = await Broker.start({ dataDir: null, workers: 1 })
  try {
    for (const call of [
      () => broker.faults.killWorker(2),
      () => broker.faults.killWorker(-1),
      () => broker.faults.hangWorker(1.5, 100),
      () => broker.faults.hangWorker(0, 0),
      () => broker.faults.failDataDir(join(root, 'elsewhere')),
      () => memory.faults.failDataDir(root)
    ]) {
      try {
        await call()
        assert.unreachable('accepted')
      } catch (err) {
        assert.instance(err, MillraceError)
        assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
      }
    }
    assert.is(broker.dispatcher.workers.restarts, 0)
  } finally {
    await broker.close()
    await memory.close()
    removeDir(root)
  }
})

faults.run()
