#!/usr/bin/env node
/**
 * Records the raw request frames that real clients send, for the codec golden tests.
 *
 *   npx tsc -p tsconfig.json && node scripts/capture-golden.mjs
 *
 * Starts a throwaway TCP server on 127.0.0.1, port 0, that answers just enough (ApiVersions,
 * Metadata, CreateTopics, Produce, ListOffsets, Fetch) with this project's own codecs, then
 * drives kafkajs and (when installed) kcat against it. The first request frame of each
 * (client, API, version) is written as hex, without the size prefix, to
 * test/fixtures/golden/<client>-<api>-v<N>.hex. Runs by hand; tests only read the hex files.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = p => join(root, 'dist/src/protocol', p)
const { Reader } = await import(dist('reader.js'))
const { Writer } = await import(dist('writer.js'))
const { FrameSplitter, encodeResponseFrame } = await import(dist('frame.js'))
const { decodeRequestHeader, responseHeaderVersion } = await import(dist('header.js'))
const { API_LIST, ApiKey } = await import(dist('api-keys.js'))
const { codecs } = await import(dist('apis/index.js'))

const outDir = join(root, 'test/fixtures/golden')
mkdirSync(outDir, { recursive: true })

const kebab = name => name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()
let client = 'none'
const saved = new Set()

function respond (port, h, req) {
  const v = h.apiVersion
  switch (h.apiKey) {
    case ApiKey.ApiVersions:
      return { errorCode: 0, apiKeys: API_LIST.map(a => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })), throttleTimeMs: 0 }
    case ApiKey.Metadata: {
      const names = req.topics === null || req.topics.length === 0 ? ['golden'] : req.topics.map(t => t.name)
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }],
        clusterId: 'golden-cluster',
        controllerId: 0,
        topics: names.map((name, i) => ({
          errorCode: 0, name, topicId: Buffer.alloc(16, i + 1), isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }],
          topicAuthorizedOperations: -2147483648
        })),
        clusterAuthorizedOperations: -2147483648
      }
    }
    case ApiKey.CreateTopics:
      return { throttleTimeMs: 0, topics: req.topics.map(t => ({ name: t.name, errorCode: 0, errorMessage: null, numPartitions: 1, replicationFactor: 1, configs: [] })) }
    case ApiKey.Produce:
      if (req.acks === 0) return null
      return {
        responses: req.topicData.map(t => ({ name: t.name, partitionResponses: t.partitionData.map(p => ({ index: p.index, errorCode: 0, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0 })) })),
        throttleTimeMs: 0
      }
    case ApiKey.ListOffsets:
      return { throttleTimeMs: 0, topics: req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: 0, leaderEpoch: 0 })) })) }
    case ApiKey.Fetch:
      return {
        throttleTimeMs: 0, errorCode: 0, sessionId: 0,
        responses: req.topics.map(t => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map(p => ({ partitionIndex: p.partition, errorCode: 0, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: Buffer.alloc(0) })) }))
      }
    default:
      return undefined
  }
}

const server = net.createServer(socket => {
  const splitter = new FrameSplitter()
  const w = new Writer()
  socket.on('error', () => {})
  socket.on('data', chunk => {
    for (const frame of splitter.push(chunk)) {
      const r = new Reader(frame)
      const h = decodeRequestHeader(r)
      const codec = codecs.get(h.apiKey)
      const name = codec === undefined ? `key${h.apiKey}` : kebab(codec.api.name)
      const file = `${client}-${name}-v${h.apiVersion}.hex`
      if (!saved.has(file)) {
        saved.add(file)
        writeFileSync(join(outDir, file), frame.toString('hex') + '\n')
        console.log(`  saved ${file} (${frame.length} bytes)`)
      }
      const req = codec?.decodeRequest(r, h.apiVersion)
      const res = codec === undefined ? undefined : respond(server.address().port, h, req)
      if (res === null) continue
      if (res === undefined) { socket.destroy(); return }
      w.reset()
      socket.write(Buffer.from(encodeResponseFrame(w, h.correlationId, responseHeaderVersion(h.apiKey, h.apiVersion), w => codec.encodeResponse(w, h.apiVersion, res))))
    }
  })
})
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
const port = server.address().port
const broker = `127.0.0.1:${port}`
console.log(`listening on ${broker}`)

// --- kafkajs ---
client = 'kafkajs'
console.log('kafkajs')
{
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 1 } })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'golden' }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'golden', messages: [{ key: 'k1', value: 'hello' }, { value: 'world' }] })
  await producer.disconnect()
}

// --- kcat (librdkafka) ---
function run (cmd, args, input) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'] })
    const timer = setTimeout(() => child.kill(), 10000)
    child.on('exit', code => { clearTimeout(timer); resolve(code) })
    child.stdin.end(input ?? '')
  })
}
if (existsSync('/usr/bin/kcat')) {
  client = 'kcat'
  console.log('kcat')
  await run('kcat', ['-b', broker, '-L'])
  await run('kcat', ['-b', broker, '-P', '-t', 'golden', '-k', 'k1'], 'hello\n')
  await run('kcat', ['-b', broker, '-C', '-t', 'golden', '-o', 'beginning', '-e'])
} else {
  console.log('kcat not installed: skipped')
}

server.close()
process.exit(0)
