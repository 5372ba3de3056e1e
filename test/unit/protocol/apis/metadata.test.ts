import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as metadata from '../../../../src/protocol/apis/metadata.js'
import { decodeGolden, reencode } from './golden.js'

const golden = suite('Metadata golden requests')

golden('kafkajs admin v6: null topic list (all topics), no auto-creation', () => {
  const g = decodeGolden<metadata.MetadataRequest>('kafkajs-metadata-v6')
  assert.is(g.header.apiVersion, 6)
  assert.is(g.header.clientId, 'golden-kafkajs')
  assert.is(g.body.topics, null)
  assert.is(g.body.allowAutoTopicCreation, false)
  assert.equal(reencode(g), g.frame)
})

golden('kcat v4 at start-up: empty topic list (brokers only), no auto-creation', () => {
  const g = decodeGolden<metadata.MetadataRequest>('kcat-metadata-v4')
  assert.is(g.header.clientId, 'rdkafka')
  assert.equal(g.body.topics, [])
  assert.is(g.body.allowAutoTopicCreation, false)
  assert.equal(reencode(g), g.frame)
})

golden.run()

// ---

const versions = suite('Metadata versions')

function requestBytes (version: number, req: metadata.MetadataRequest): Buffer {
  const w = new Writer()
  metadata.encodeRequest(w, version, req)
  return w.toBuffer()
}

versions('v0 has no null list: null is written as the empty list (both mean all topics there)', () => {
  assert.is(requestBytes(0, { topics: null }).toString('hex'), '00000000')
  assert.is(requestBytes(1, { topics: null }).toString('hex'), 'ffffffff')
})

versions('v9+ is compact: null list is a single 0, tags close the body', () => {
  // topics, allow auto-creation, include cluster ops (v8-10), include topic ops, tags
  assert.is(requestBytes(9, { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }).toString('hex'), '00' + '01' + '00' + '00' + '00')
  assert.is(requestBytes(11, { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }).toString('hex'), '00' + '01' + '00' + '00')
})

versions('v10+ request topics carry an id before the (nullable) name', () => {
  const id = Buffer.alloc(16, 0xab)
  const bytes = requestBytes(12, { topics: [{ topicId: id, name: null }] })
  const back = metadata.decodeRequest(new Reader(bytes), 12)
  assert.equal(back.topics, [{ topicId: id, name: null }])
})

versions('response fields appear by version: rack v1, cluster id v2, throttle v3, leader epoch v7', () => {
  const res: metadata.MetadataResponse = {
    throttleTimeMs: 9, brokers: [{ nodeId: 0, host: 'h', port: 9092, rack: 'r' }], clusterId: 'c', controllerId: 0,
    topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 5, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }] }]
  }
  const at = (v: number): metadata.MetadataResponse => { const w = new Writer(); metadata.encodeResponse(w, v, res); return metadata.decodeResponse(new Reader(w.toBuffer()), v) }
  assert.is(at(0).brokers[0].rack, null)
  assert.is(at(1).brokers[0].rack, 'r')
  assert.is(at(1).clusterId, null)
  assert.is(at(2).clusterId, 'c')
  assert.is(at(2).throttleTimeMs, 0)
  assert.is(at(3).throttleTimeMs, 9)
  assert.is(at(6).topics[0].partitions[0].leaderEpoch, -1)
  assert.is(at(7).topics[0].partitions[0].leaderEpoch, 5)
})

versions.run()
