/**
 * Replicas visible to Kafka tools: RF 3 over 3 workers and 3 data dirs. DescribeLogDirs (API 35)
 * as kafka-python sends it shows each replica in its own dir; `millrace topics describe` prints
 * the three copies and marks a partition UNDER-REPLICATED once a dir fails.
 * Needs /usr/bin/python3 with Debian's python3-kafka (2.0.2 has no describe_log_dirs helper, so the
 * request is declared with its protocol classes and sent through its admin client's connection).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { millrace } from '../helpers/cli.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'

interface Ctx { root: string, dataDirs: string[], capture: CaptureLogger, broker: Broker }

const DESCRIBE_LOG_DIRS_PY = `
import json, sys
from kafka.admin import KafkaAdminClient
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Boolean, Int16, Int32, Int64, Schema, String

class DescribeLogDirsResponse_v1(Response):
    API_KEY = 35
    API_VERSION = 1
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('log_dirs', Array(
            ('error_code', Int16),
            ('log_dir', String('utf-8')),
            ('topics', Array(
                ('name', String('utf-8')),
                ('partitions', Array(
                    ('partition_index', Int32),
                    ('partition_size', Int64),
                    ('offset_lag', Int64),
                    ('is_future_key', Boolean))))))))

class DescribeLogDirsRequest_v1(Request):
    API_KEY = 35
    API_VERSION = 1
    RESPONSE_TYPE = DescribeLogDirsResponse_v1
    SCHEMA = Schema(('topics', Array(('topic', String('utf-8')), ('partitions', Array(Int32)))))

admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id='millrace-log-dirs-test', api_version=(2, 4, 0))
node = admin._client.least_loaded_node()
future = admin._send_request_to_node(node, DescribeLogDirsRequest_v1(topics=[(sys.argv[2], [0, 1])]))
admin._wait_for_futures([future])
out = []
for error_code, log_dir, topics in future.value.log_dirs:
    out.append({'errorCode': error_code, 'logDir': log_dir,
                'replicas': [[name, p[0], p[1], p[2], p[3]] for name, partitions in topics for p in partitions]})
admin.close()
print(json.dumps(out))
`

function python (code: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', code, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`python3 failed: ${stderr}`))
      else resolve(stdout)
    })
  })
}

interface DirAnswer { errorCode: number, logDir: string, replicas: Array<[string, number, number, number, boolean]> }

const dirs = suite<Ctx>('replicas visible over DescribeLogDirs and in `topics describe`')

dirs.before.each(async (ctx) => {
  ctx.root = tmpDir()
  ctx.dataDirs = [1, 2, 3].map((i) => join(ctx.root, `disk${i}`))
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDirs: ctx.dataDirs, port: 0, workers: 3, logger: ctx.capture.logger })
})
dirs.after.each(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.root)
})

/** A topic of 2 partitions, RF 3, with a few records in each, every replica caught up. */
async function replicatedTopic (broker: Broker, prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix)
  await broker.createTopic({ topic, partitions: 2, replicationFactor: 3 })
  const producer = broker.producer()
  await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }] })
  await producer.close()
  await until('every replica caught up', async () => (await broker.describeTopic(topic)).partitions.every((p) =>
    p.replicas.every((r) => r.online && r.inSync && r.logEndOffset === p.logEndOffset)))
  return topic
}

dirs('kafka-python: every data dir answers, each holding one replica of each partition, in sync', async ({ broker, dataDirs }) => {
  const topic = await replicatedTopic(broker, 'log-dirs-python')
  const answer: DirAnswer[] = JSON.parse(await python(DESCRIBE_LOG_DIRS_PY, [broker.address!, topic]))
  assert.equal(answer.map((d) => d.logDir).sort(), [...dataDirs].sort())
  const described = await broker.describeTopic(topic)
  for (const d of answer) {
    assert.is(d.errorCode, KafkaCode.NONE, d.logDir)
    assert.equal(d.replicas.map(([name, partition]) => [name, partition]).sort(), [[topic, 0], [topic, 1]], `${d.logDir} holds one replica of each partition`)
    for (const [, partition, size, lag, future] of d.replicas) {
      assert.ok(size > 0, `${d.logDir} partition ${partition}: size ${size}`)
      assert.is(lag, 0)
      assert.is(future, false)
      // The dir matches where describeTopic says that partition's replica lives.
      assert.ok(described.partitions[partition].replicas.some((r) => r.dataDir === d.logDir))
    }
  }
})

dirs('topics describe: three replicas per partition; UNDER-REPLICATED once a dir fails', async ({ broker, dataDirs, capture }) => {
  const topic = await replicatedTopic(broker, 'log-dirs-cli')
  const b = ['--bootstrap', `127.0.0.1:${broker.port!}`]
  const healthy = await millrace(['topics', 'describe', topic, ...b])
  assert.is(healthy.code, 0, healthy.stderr)
  assert.not.match(healthy.stdout, 'UNDER-REPLICATED')
  const lines = healthy.stdout.split('\n')
  assert.match(lines[0], /\tPartitionCount: 2\tReplicationFactor: 3\t/, 'the copies in the data dirs, not Metadata\'s one broker')
  assert.match(lines[1], /^\tPartition: 0\tLeader: \d+\tReplicas: \d+\tIsr: \d+\tEarliest: 0\tLatest: 2\tLeaderEpoch: \d+$/)
  const replicaLines = (out: string, partition: number): string[] => {
    const all = out.split('\n')
    const at = all.findIndex((l) => l.startsWith(`\tPartition: ${partition}\t`))
    const rest = all.slice(at + 1)
    const end = rest.findIndex((l) => !l.startsWith('\t\t'))
    return end < 0 ? rest : rest.slice(0, end)
  }
  for (const partition of [0, 1]) {
    const replicas = replicaLines(healthy.stdout, partition)
    assert.is(replicas.length, 3, healthy.stdout)
    assert.equal(replicas.map((l) => /LogDir: ([^\t]+)/.exec(l)![1]).sort(), [...dataDirs].sort())
    for (const l of replicas) assert.match(l, /\tSize: [1-9]\d*\tLag: 0$/)
  }

  await broker.faults.failDataDir(dataDirs[1])
  const degraded = await millrace(['topics', 'describe', topic, ...b])
  assert.is(degraded.code, 0, degraded.stderr)
  for (const partition of [0, 1]) {
    assert.match(degraded.stdout.split('\n').find((l) => l.startsWith(`\tPartition: ${partition}\t`))!, /\tUNDER-REPLICATED$/)
    const failed = replicaLines(degraded.stdout, partition).filter((l) => l.includes(dataDirs[1]))
    assert.equal(failed, [`\t\tLogDir: ${dataDirs[1]}\tSize: ?\tLag: 0\tOffline: KAFKA_STORAGE_ERROR`])
  }
  assert.is(capture.find('data dir offline', 'error').length, 1)
})

dirs('after a follower\'s worker is killed and restarted, its replicas are listed again with their size and no lag', async ({ broker, dataDirs }) => {
  const topic = await replicatedTopic(broker, 'log-dirs-kill')
  const follower = (await broker.describeTopic(topic)).partitions[0].replicas.find((r) => !r.leader)!
  await broker.faults.killWorker(follower.worker)
  await until('the follower is back in sync', async () => (await broker.describeTopic(topic)).partitions.every((p) => p.replicas.every((r) => r.online && r.inSync)))
  const run = await millrace(['topics', 'describe', topic, '--bootstrap', `127.0.0.1:${broker.port!}`])
  assert.is(run.code, 0, run.stderr)
  assert.not.match(run.stdout, 'UNDER-REPLICATED', run.stdout)
  const own = run.stdout.split('\n').filter((l) => l.startsWith(`\t\tLogDir: ${follower.dataDir!}\t`))
  assert.is(own.length, 2, run.stdout)
  for (const l of own) assert.match(l, /\tSize: [1-9]\d*\tLag: 0$/)
  assert.ok(dataDirs.includes(follower.dataDir!))
})

dirs.run()

const memory = suite('DescribeLogDirs on a broker in memory')

memory('answers no dirs; topics describe prints the partitions without replica lines', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  try {
    const topic = uniqueTopic('log-dirs-memory')
    await broker.createTopic({ topic, partitions: 1 })
    const answer: DirAnswer[] = JSON.parse(await python(DESCRIBE_LOG_DIRS_PY, [broker.address!, topic]))
    assert.equal(answer, [])
    const run = await millrace(['topics', 'describe', topic, '--bootstrap', `127.0.0.1:${broker.port!}`])
    assert.is(run.code, 0, run.stderr)
    assert.not.ok(run.stdout.includes('\t\t'), run.stdout)
  } finally {
    await broker.close()
  }
})

memory.run()
