/**
 * Clients older than Kafka 0.11 (message formats v0/v1: Produce v0-2, Fetch v0-3, ListOffsets v0)
 * against a broker that stores batches v2 only. Debian's sarama with its default cfg.Version
 * (V0_8_2_0) and with V0_10_2_0, and librdkafka (kcat) told the broker is 0.9, produce,
 * consume and read offsets; the stored batches are v2 with the producer's codec.
 *
 * Needs `go` (golang-go) and sarama's sources (golang-github-shopify-sarama-dev) for the sarama
 * part; without them those tests fail and say so.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { ATTR_COMPRESSION_MASK } from '../../src/protocol/batch-header.js'
import { Compression, decodeBatches } from '../../src/protocol/record-batch.js'
import { crc32 } from '../../src/protocol/message-set.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat, WireClient } from './kafka-wire.js'

// dist/test/integration → the repository root is three levels up; the Go source is not compiled by tsc.
const SARAMA_SOURCE = fileURLToPath(new URL('../../../test/fixtures/sarama-legacy/main.go', import.meta.url))
const DEBIAN_GOPATH = '/usr/share/gocode'

interface Ctx { dir: string, broker: Broker, log: CaptureLogger, goDir: string, sarama: Promise<string> }
const legacy = suite<Ctx>('pre-0.11 clients')

function run (file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Builds the sarama client once, GOPATH mode against Debian's sources, no network, caches in the temp dir. */
async function buildSarama (goDir: string): Promise<string> {
  if (!existsSync(join(DEBIAN_GOPATH, 'src/github.com/Shopify/sarama'))) {
    throw new Error(`sarama's sources are missing from ${DEBIAN_GOPATH}: apt-get install golang-github-shopify-sarama-dev`)
  }
  const bin = join(goDir, 'sarama-legacy')
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${join(goDir, 'gopath')}:${DEBIAN_GOPATH}`, GOCACHE: join(goDir, 'cache'), GOFLAGS: '', GOPROXY: 'off' }
  try {
    await run('go', ['build', '-o', bin, SARAMA_SOURCE], env)
  } catch (err) {
    if ((err as Error).message.includes('ENOENT')) throw new Error('`go` is not installed: apt-get install golang-go golang-github-shopify-sarama-dev')
    throw err
  }
  return bin
}

legacy.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.goDir = tmpDir('millrace-go-')
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 1, logger: ctx.log.logger })
  ctx.sarama = buildSarama(ctx.goDir)
  ctx.sarama.catch(() => {}) // awaited (and reported) by the sarama tests
})
legacy.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
  removeDir(ctx.goDir)
})

/** Every stored batch of partition 0 (Fetch v11 returns the stored bytes unchanged). */
async function storedBatches (broker: Broker, topic: string): Promise<ReturnType<typeof decodeBatches>> {
  const wire = await WireClient.connect(broker.port!)
  try {
    const res = await wire.request<FetchResponse>(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }],
      forgottenTopicsData: [], rackId: ''
    })
    return decodeBatches(res.responses[0].partitions[0].records as Buffer)
  } finally {
    wire.close()
  }
}

interface SaramaResult { version: string, oldest: number, newest: number, offsets: number[], messages: string[], stamped: number }

async function sarama (ctx: Ctx, topic: string, version: string, codec: string, count: number): Promise<SaramaResult> {
  const bin = await ctx.sarama
  return JSON.parse(await run(bin, [ctx.broker.address!, topic, version, codec, String(count)])) as SaramaResult
}

const CODEC_OF: Record<string, Compression> = { none: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4 }

function servedLines (log: CaptureLogger, api: string): number[] {
  return log.find('pre-0.11 client').filter((l) => l.fields.api === api && l.fields.clientId === 'sarama-legacy').map((l) => l.fields.apiVersion as number)
}

legacy('sarama with its default cfg.Version (V0_8_2_0) produces, consumes and reads offsets', async (ctx) => {
  const topic = uniqueTopic('sarama-default')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const res = await sarama(ctx, topic, '', 'none', 50)
  assert.is(res.version, '0.8.2.0', 'the Debian sarama default is the 0.8.2 protocol')
  assert.is(res.oldest, 0)
  assert.is(res.newest, 50)
  assert.equal(res.offsets, Array.from({ length: 50 }, (_, i) => i))
  assert.equal(res.messages, Array.from({ length: 50 }, (_, i) => `k${i}=v${i} none`))
  assert.ok(servedLines(ctx.log, 'Produce').includes(0), 'Produce v0 was converted')
  assert.ok(servedLines(ctx.log, 'Fetch').includes(0), 'Fetch v0 was converted')
  const batches = await storedBatches(ctx.broker, topic)
  assert.equal(batches.flatMap((b) => b.records.map((r) => r.timestamp)), Array(50).fill(-1), 'magic 0 carries no timestamp')
})

for (const codec of ['gzip', 'snappy', 'lz4']) {
  legacy(`sarama V0_10_2_0 (magic 1) with ${codec}: stored as a ${codec} batch v2, timestamps kept, read back`, async (ctx) => {
    const topic = uniqueTopic(`sarama-${codec}`)
    await ctx.broker.createTopic({ topic, partitions: 1 })
    const res = await sarama(ctx, topic, '0.10.2.0', codec, 40)
    assert.is(res.newest, 40)
    assert.equal(res.messages, Array.from({ length: 40 }, (_, i) => `k${i}=v${i} ${codec}`))
    assert.is(res.stamped, 40, 'every message kept its create time')
    const batches = await storedBatches(ctx.broker, topic)
    for (const b of batches) assert.is(b.attributes & ATTR_COMPRESSION_MASK, CODEC_OF[codec])
    assert.equal(batches.flatMap((b) => b.records.map((r) => r.timestamp)), Array.from({ length: 40 }, (_, i) => (1_700_000_000 + i) * 1000))
  })
}

legacy('sarama gzip with the default V0_8_2_0 (magic 0 wrapper) round-trips', async (ctx) => {
  const topic = uniqueTopic('sarama-v0-gzip')
  await ctx.broker.createTopic({ topic, partitions: 1 })
  const res = await sarama(ctx, topic, '', 'gzip', 30)
  assert.equal(res.messages, Array.from({ length: 30 }, (_, i) => `k${i}=v${i} gzip`))
  for (const b of await storedBatches(ctx.broker, topic)) assert.is(b.attributes & ATTR_COMPRESSION_MASK, Compression.Gzip)
})

const KCAT_09 = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0']

function rdkafkaVersions (log: CaptureLogger, api: string): number[] {
  return log.find('pre-0.11 client').filter((l) => l.fields.api === api && l.fields.clientId === 'rdkafka').map((l) => l.fields.apiVersion as number)
}

legacy('kcat as a 0.9 client speaks Produce v1 and Fetch v1', async ({ broker, log }) => {
  const topic = uniqueTopic('kcat09-versions')
  await broker.createTopic({ topic, partitions: 1 })
  await kcat(['-b', broker.address!, ...KCAT_09, '-P', '-t', topic, '-p', '0'], 'hello\n')
  assert.is(await kcat(['-b', broker.address!, ...KCAT_09, '-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%s\n']), 'hello\n')
  assert.equal(rdkafkaVersions(log, 'Produce'), [1])
  assert.equal(rdkafkaVersions(log, 'Fetch'), [1])
})

// lz4: librdkafka as a 0.9 client writes magic 0 LZ4 frames with the old header checksum (KAFKA-3160).
for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
  legacy(`kcat as a 0.9 client (-z ${codec}) produces and consumes; a current kcat reads the same records`, async ({ broker }) => {
    const topic = uniqueTopic(`kcat09-${codec}`)
    await broker.createTopic({ topic, partitions: 1 })
    const lines = Array.from({ length: 100 }, (_, i) => `k${i}:old ${codec} ${i}`)
    await kcat(['-b', broker.address!, ...KCAT_09, '-P', '-t', topic, '-p', '0', '-K', ':', '-z', codec], lines.join('\n') + '\n')
    const expected = lines.map((l) => l.replace(':', ' '))
    const old = await kcat(['-b', broker.address!, ...KCAT_09, '-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%k %s\n'])
    assert.equal(old.trimEnd().split('\n'), expected)
    const current = await kcat(['-b', broker.address!, '-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%k %s\n'])
    assert.equal(current.trimEnd().split('\n'), expected)
    for (const b of await storedBatches(broker, topic)) assert.is(b.attributes & ATTR_COMPRESSION_MASK, CODEC_OF[codec])
  })
}

legacy('kcat as a 0.9 client reads records a current client wrote with zstd (sent decompressed)', async ({ broker }) => {
  const topic = uniqueTopic('kcat09-zstd')
  await broker.createTopic({ topic, partitions: 1 })
  await kcat(['-b', broker.address!, '-P', '-t', topic, '-p', '0', '-z', 'zstd'], 'one\ntwo\nthree\n')
  const old = await kcat(['-b', broker.address!, ...KCAT_09, '-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%s\n'])
  assert.is(old, 'one\ntwo\nthree\n')
})

/** One magic 0 message: offset, size, crc, magic, attributes, key, value. */
function messageV0 (value: string, crcDelta = 0): Buffer {
  const v = Buffer.from(value)
  const out = Buffer.alloc(12 + 14 + v.length)
  out.writeInt32BE(14 + v.length, 8)
  out.writeInt32BE(-1, 18) // null key
  out.writeInt32BE(v.length, 22)
  v.copy(out, 26)
  out.writeUInt32BE((crc32(out.subarray(16)) + crcDelta) >>> 0, 12)
  return out
}

legacy('Produce v0 with a damaged CRC gets CORRUPT_MESSAGE, a warning, and nothing is stored', async ({ broker, log }) => {
  const topic = uniqueTopic('bad-crc')
  await broker.createTopic({ topic, partitions: 2 })
  const wire = await WireClient.connect(broker.port!)
  try {
    const res = await wire.request<ProduceResponse>(ApiKey.Produce, 0, {
      acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: messageV0('damaged', 1) }, { index: 1, records: messageV0('fine') }] }]
    })
    const [bad, good] = res.responses[0].partitionResponses
    assert.is(bad.errorCode, KafkaCode.CORRUPT_MESSAGE)
    assert.is(good.errorCode, KafkaCode.NONE, 'the sibling partition is appended')
    assert.is(good.baseOffset, 0)
  } finally {
    wire.close()
  }
  assert.is((await storedBatches(broker, topic)).length, 0)
  const warned = log.find('Produce message set refused', 'warn')
  assert.ok(warned.some((l) => l.fields.reason === 'bad-crc' && l.fields.topic === topic))
})

legacy.run()
