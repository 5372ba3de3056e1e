/**
 * librdkafka compresses only when ApiVersions lists Produce from v0 (KAFKA-18659): otherwise it
 * logs "Broker does not support compression type gzip: not compressing batch" and sends the
 * batch uncompressed. Each codec is produced with kcat and the stored batch's attributes are
 * read back over a raw Fetch (the bytes on disk are the bytes on the wire).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { ApiVersionsResponse } from '../../src/protocol/apis/api-versions.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { ATTR_COMPRESSION_MASK } from '../../src/protocol/batch-header.js'
import { Compression, decodeBatches } from '../../src/protocol/record-batch.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat, WireClient } from './kafka-wire.js'

interface Ctx { dir: string, broker: Broker }
const compression = suite<Ctx>('kcat compression reaches the log')

compression.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 1 })
})
compression.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

/** Sends one request on a connection of its own, so a connection the broker closes fails only that test. */
async function requestOnce<T> (broker: Broker, apiKey: number, version: number, body: unknown): Promise<T> {
  const wire = await WireClient.connect(broker.port!)
  try {
    return await Promise.race([wire.request<T>(apiKey, version, body), wire.closed.then(() => { throw new Error('the broker closed the connection') })])
  } finally {
    wire.close()
  }
}

/** Every stored batch of partition 0, as fetched (Fetch v11 returns the stored bytes unchanged). */
async function storedBatches (broker: Broker, topic: string): Promise<Buffer> {
  const res = await requestOnce<FetchResponse>(broker, ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  const pd = res.responses[0].partitions[0]
  assert.is(pd.errorCode, 0)
  return pd.records as Buffer
}

compression('ApiVersions lists Produce from v0', async ({ broker }) => {
  const res = await requestOnce<ApiVersionsResponse>(broker, ApiKey.ApiVersions, 3, { clientSoftwareName: 'wire-test', clientSoftwareVersion: '1' })
  const produce = res.apiKeys.find((k) => k.apiKey === ApiKey.Produce)
  assert.is(produce?.minVersion, 0)
})

const CODECS = [['gzip', Compression.Gzip], ['snappy', Compression.Snappy], ['lz4', Compression.Lz4], ['zstd', Compression.Zstd]] as const

for (const [name, codec] of CODECS) {
  compression(`kcat -z ${name}: the stored batches are ${name}-compressed`, async ({ broker }) => {
    const topic = uniqueTopic(`kcat-z-${name}`)
    await broker.createTopic({ topic, partitions: 1 })
    const lines = Array.from({ length: 200 }, (_, i) => `k${i}:${name} value ${i} ${'x'.repeat(40)}`)
    await kcat(['-b', broker.address!, '-P', '-t', topic, '-p', '0', '-K', ':', '-z', name], lines.join('\n') + '\n')
    const bytes = await storedBatches(broker, topic)
    const batches = decodeBatches(bytes)
    assert.ok(batches.length > 0, 'something was stored')
    for (const b of batches) assert.is(b.attributes & ATTR_COMPRESSION_MASK, codec, `batch at offset ${b.baseOffset} has codec ${b.attributes & ATTR_COMPRESSION_MASK}`)
    assert.equal(batches.flatMap((b) => b.records.map((r) => `${r.key!.toString()}:${r.value!.toString()}`)), lines)
  })
}

compression.run()
