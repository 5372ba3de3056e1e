import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import { SegmentWriter, encodeResponseSegments, encodeResponseFrame, MIN_EXTERNAL_SEGMENT_BYTES } from '../../../../src/protocol/frame.js'
import { decodeResponseHeader } from '../../../../src/protocol/header.js'
import * as fetch from '../../../../src/protocol/apis/fetch.js'
import { decodeGolden, reencode } from './golden.js'

const golden = suite('Fetch golden requests')

golden('kcat v11: sessionless, read_committed, one partition from offset 0', () => {
  const g = decodeGolden<fetch.FetchRequest>('kcat-fetch-v11')
  assert.is(g.header.apiVersion, 11)
  assert.is(g.body.replicaId, -1)
  assert.is(g.body.maxWaitMs, 500)
  assert.is(g.body.minBytes, 1)
  assert.is(g.body.isolationLevel, 1)
  assert.is(g.body.sessionId, 0)
  assert.is(g.body.sessionEpoch, -1)
  assert.is(g.body.topics[0].topic, 'golden')
  assert.equal(g.body.topics[0].partitions, [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1048576 }])
  assert.equal(g.body.forgottenTopicsData, [])
  assert.is(g.body.rackId, '')
  assert.equal(reencode(g), g.frame)
})

for (const [name, version, maxBytes, maxWaitMs] of [['sarama-fetch-v0', 0, 2147483647, 250], ['kcat09-fetch-v1', 1, 2147483647, 500], ['sarama-fetch-v3', 3, 104857600, 250]] as const) {
  golden(`${name}: an old client's Fetch v${version} (no isolation level; response maxBytes from v3)`, () => {
    const g = decodeGolden<fetch.FetchRequest>(name)
    assert.is(g.header.apiVersion, version)
    assert.is(g.body.maxWaitMs, maxWaitMs)
    assert.is(g.body.maxBytes, maxBytes)
    assert.is(g.body.isolationLevel, 0)
    assert.is(g.body.topics[0].topic, 'golden')
    assert.is(g.body.topics[0].partitions[0].partitionMaxBytes, 1048576)
    assert.equal(reencode(g), g.frame)
  })
}

golden.run()

// ---

const versions = suite('Fetch versions')

versions('topics are named up to v12 and identified by id from v13', () => {
  const id = Buffer.alloc(16, 5)
  const req: fetch.FetchRequest = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 100, isolationLevel: 0, topics: [{ topic: 'orders', topicId: id, partitions: [] }] }
  const at = (v: number): fetch.FetchTopic => { const w = new Writer(); fetch.encodeRequest(w, v, req); return fetch.decodeRequest(new Reader(w.toBuffer()), v).topics[0] }
  assert.is(at(12).topic, 'orders')
  assert.equal(at(12).topicId, Buffer.alloc(16))
  assert.is(at(13).topic, '')
  assert.equal(at(13).topicId, id)
})

versions('v12+ partition tags: current leader survives, unknown tags are skipped', () => {
  const res: fetch.FetchResponse = { throttleTimeMs: 0, responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 6, highWatermark: 0, lastStableOffset: 0, abortedTransactions: null, currentLeader: { leaderId: 1, leaderEpoch: 9 }, records: null }] }] }
  const w = new Writer()
  fetch.encodeResponse(w, 12, res)
  const bytes = w.toBuffer()
  // The partition's tag section is the last bytes before the topic's and the body's empty ones:
  // 01 (count) 01 (tag) 09 (size) 00000001 00000009 00 | 00 | 00. Make it two tags, one unknown.
  const tail = bytes.subarray(bytes.length - 14)
  assert.is(tail.toString('hex'), '0101090000000100000009000000')
  const patched = Buffer.concat([bytes.subarray(0, bytes.length - 14), Buffer.from('02' + '0109' + '00000001' + '00000009' + '00' + '2a03abcdef' + '00' + '00', 'hex')])
  const back = fetch.decodeResponse(new Reader(patched), 12)
  assert.equal(back.responses[0].partitions[0].currentLeader, { leaderId: 1, leaderEpoch: 9 })
})

versions('aborted transactions: null for read_uncommitted, a list otherwise', () => {
  const part = (abortedTransactions: fetch.AbortedTransaction[] | null): fetch.PartitionData => ({ partitionIndex: 0, errorCode: 0, highWatermark: 1, lastStableOffset: 1, abortedTransactions, records: Buffer.alloc(0) })
  const w = new Writer()
  fetch.encodeResponse(w, 11, { throttleTimeMs: 0, responses: [{ topic: 't', partitions: [part(null), part([{ producerId: 3, firstOffset: 0 }])] }] })
  const back = fetch.decodeResponse(new Reader(w.toBuffer()), 11).responses[0].partitions
  assert.is(back[0].abortedTransactions, null)
  assert.equal(back[1].abortedTransactions, [{ producerId: 3, firstOffset: 0 }])
  assert.equal(back[0].records, Buffer.alloc(0), 'empty records stay empty, not null')
})

versions.run()

// ---

const segments = suite('Fetch response as segments')

function bigBatch (n: number, fill: number): Buffer { return Buffer.alloc(n, fill) }

segments('record chunks are referenced, not copied, and the segments form the same frame', () => {
  const a = bigBatch(MIN_EXTERNAL_SEGMENT_BYTES * 2, 1)
  const b = bigBatch(MIN_EXTERNAL_SEGMENT_BYTES + 5, 2)
  const small = Buffer.from('tiny')
  for (const version of [11, 12, 13]) {
    const res: fetch.FetchResponse = {
      throttleTimeMs: 0, errorCode: 0, sessionId: 0,
      responses: [{ topic: 't', topicId: Buffer.alloc(16, 1), partitions: [
        { partitionIndex: 0, errorCode: 0, highWatermark: 10, lastStableOffset: 10, logStartOffset: 0, abortedTransactions: null, records: [a, b] },
        { partitionIndex: 1, errorCode: 0, highWatermark: 1, lastStableOffset: 1, logStartOffset: 0, abortedTransactions: [], records: small }
      ] }]
    }
    const hv = version >= 12 ? 1 : 0
    const segs = encodeResponseSegments(new SegmentWriter(), 42, hv, w => fetch.encodeResponse(w, version, res))
    assert.ok(segs.includes(a) && segs.includes(b), 'large chunks are segments of their own')
    assert.not.ok(segs.includes(small), 'small chunks are copied inline')
    const joined = Buffer.concat(segs)
    const plain = encodeResponseFrame(new Writer(), 42, hv, w => fetch.encodeResponse(w, version, res))
    assert.equal(joined, plain, `v${version}: same bytes as the copying encoder`)
    const r = new Reader(joined)
    assert.is(r.int32(), joined.length - 4)
    assert.is(decodeResponseHeader(r, hv).correlationId, 42)
    const back = fetch.decodeResponse(r, version)
    assert.equal(back.responses[0].partitions[0].records, Buffer.concat([a, b]))
    assert.equal(back.responses[0].partitions[1].records, small)
  }
})

segments('a SegmentWriter is reusable after reset', () => {
  const w = new SegmentWriter()
  const chunk = bigBatch(4096, 7)
  const res: fetch.FetchResponse = { throttleTimeMs: 0, responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1, lastStableOffset: 1, abortedTransactions: null, records: chunk }] }] }
  const first = Buffer.concat(encodeResponseSegments(w, 1, 0, x => fetch.encodeResponse(x, 11, res)))
  const second = Buffer.concat(encodeResponseSegments(w, 1, 0, x => fetch.encodeResponse(x, 11, res)))
  assert.equal(second, first)
})

segments.run()
