/**
 * broker.close() with clients connected: a parked Fetch is answered (empty) before the
 * connection closes, and the listener no longer accepts connections.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { WireClient } from './kafka-wire.js'

test('close() answers a parked Fetch, then closes connections and the listener', async () => {
  const broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  const port = broker.port!
  await broker.createTopic({ topic: 'quiet' })
  const client = await WireClient.connect(port)
  const parked = client.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 600_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'quiet', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: ''
  })
  // Let the Fetch reach the broker and park before closing (requests not yet read when close()
  // starts are not served).
  const quiet = broker.dispatcher.partition('quiet', 0)!
  while (broker.dispatcher.parkedPolls(quiet) === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const closing = broker.close()
  const res = await parked
  assert.is(res.responses[0].partitions[0].errorCode, 0)
  assert.is((res.responses[0].partitions[0].records as Buffer).length, 0)
  await closing
  await client.closed
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(true))
  })
  assert.ok(refused)
})

test.run()
