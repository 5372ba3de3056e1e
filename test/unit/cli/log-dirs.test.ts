import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiKey } from '../../../src/protocol/api-keys.js'
import type { DescribeLogDirsResponse } from '../../../src/protocol/apis/describe-log-dirs.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import type { KafkaClient } from '../../../src/cli/kafka-client.js'
import { replicaLagging, replicaLine, topicPlacement } from '../../../src/cli/log-dirs.js'

/** A client whose bootstrap connection answers DescribeLogDirs with `response` (or does not serve it). */
function client (response: DescribeLogDirsResponse | null): { client: KafkaClient, asked: unknown[] } {
  const asked: unknown[] = []
  const bootstrap = {
    supports: (key: number) => key === ApiKey.DescribeLogDirs && response !== null,
    request: async (key: number, body: unknown) => {
      assert.is(key, ApiKey.DescribeLogDirs)
      asked.push(body)
      return { response, version: 4 }
    }
  }
  return { client: { bootstrap } as unknown as KafkaClient, asked }
}

const partition = (partitionIndex: number, partitionSize: number, offsetLag: number, isFutureKey = false) => ({ partitionIndex, partitionSize, offsetLag, isFutureKey })

const placement = suite('topics describe: replica placement from DescribeLogDirs')

placement('groups the topic\'s replicas per partition across dirs, other topics and future replicas left out', async () => {
  const { client: c, asked } = client({
    throttleTimeMs: 0,
    errorCode: KafkaCode.NONE,
    results: [
      { errorCode: KafkaCode.NONE, logDir: '/a', totalBytes: -1, usableBytes: -1, topics: [{ name: 't', partitions: [partition(0, 100, 0), partition(1, 50, 0)] }, { name: 'other', partitions: [partition(0, 1, 0)] }] },
      { errorCode: KafkaCode.NONE, logDir: '/b', totalBytes: -1, usableBytes: -1, topics: [{ name: 't', partitions: [partition(0, 90, 4), partition(0, 5, 0, true)] }] },
      { errorCode: KafkaCode.KAFKA_STORAGE_ERROR, logDir: '/c', totalBytes: -1, usableBytes: -1, topics: [{ name: 't', partitions: [partition(1, -1, 2)] }] }
    ]
  })
  const got = await topicPlacement(c, 't')
  assert.equal(asked, [{ topics: null }])
  assert.ok(got.available)
  if (!got.available) return
  assert.equal([...got.partitions.keys()].sort(), [0, 1])
  assert.equal(got.partitions.get(0), [
    { logDir: '/a', sizeBytes: 100, offsetLag: 0, errorCode: KafkaCode.NONE },
    { logDir: '/b', sizeBytes: 90, offsetLag: 4, errorCode: KafkaCode.NONE }
  ])
  assert.equal(got.partitions.get(1)!.map((r) => r.logDir), ['/a', '/c'])
})

placement('a broker without the API, or one that refuses it, says why instead of printing nothing', async () => {
  const old = await topicPlacement(client(null).client, 't')
  assert.equal(old, { available: false, reason: 'the broker does not serve DescribeLogDirs' })
  const denied = await topicPlacement(client({ throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, results: [] }).client, 't')
  assert.equal(denied, { available: false, reason: 'DescribeLogDirs failed: CLUSTER_AUTHORIZATION_FAILED' })
})

placement.run()

const lines = suite('topics describe: replica lines and the UNDER-REPLICATED test')

lines('healthy, behind, failed dir, unreachable worker', () => {
  const healthy = { logDir: '/a', sizeBytes: 100, offsetLag: 0, errorCode: KafkaCode.NONE }
  const behind = { ...healthy, offsetLag: 3 }
  const failedDir = { ...healthy, sizeBytes: -1, errorCode: KafkaCode.KAFKA_STORAGE_ERROR }
  const unreachable = { ...healthy, sizeBytes: -1 }
  assert.equal([healthy, behind, failedDir, unreachable].map(replicaLagging), [false, true, true, true])
  assert.is(replicaLine(healthy), '\t\tLogDir: /a\tSize: 100\tLag: 0')
  assert.is(replicaLine(behind), '\t\tLogDir: /a\tSize: 100\tLag: 3')
  assert.is(replicaLine(failedDir), '\t\tLogDir: /a\tSize: ?\tLag: 0\tOffline: KAFKA_STORAGE_ERROR')
  assert.is(replicaLine(unreachable), '\t\tLogDir: /a\tSize: ?\tLag: 0\tOffline: not answering')
})

lines.run()
