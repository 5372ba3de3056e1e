import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as listOffsets from '../../../../src/protocol/apis/list-offsets.js'
import { decodeGolden, reencode } from './golden.js'

const golden = suite('ListOffsets golden requests')

golden('kcat v2: earliest (-2) for one partition, read_committed', () => {
  const g = decodeGolden<listOffsets.ListOffsetsRequest>('kcat-list-offsets-v2')
  assert.is(g.header.apiVersion, 2)
  assert.is(g.body.replicaId, -1)
  assert.is(g.body.isolationLevel, 1)
  assert.equal(g.body.topics, [{ name: 'golden', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }])
  assert.equal(reencode(g), g.frame)
})

golden('sarama V0_8_2_0 and librdkafka as a 0.9 client: v0 asks for at most maxNumOffsets offsets', () => {
  for (const [name, timestamp] of [['sarama-list-offsets-v0', -1], ['kcat09-list-offsets-v0', -2]] as const) {
    const g = decodeGolden<listOffsets.ListOffsetsRequest>(name)
    assert.is(g.header.apiVersion, 0)
    assert.equal(g.body.topics, [{ name: 'golden', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }])
    assert.equal(reencode(g), g.frame)
  }
})

golden('v0 response: error code then the offset list, no timestamp or offset fields', () => {
  const w = new Writer()
  listOffsets.encodeResponse(w, 0, { topics: [{ name: 't', partitions: [{ partitionIndex: 2, errorCode: 0, oldStyleOffsets: [42], timestamp: 7, offset: 42 }] }] })
  const expected = Buffer.from('00000001' + '0001' + '74' + '00000001' + '00000002' + '0000' + '00000001' + '000000000000002a', 'hex')
  assert.equal(w.toBuffer(), expected)
})

golden.run()

// ---

const versions = suite('ListOffsets versions')

versions('isolation level from v2, leader epochs from v4', () => {
  const req: listOffsets.ListOffsetsRequest = { replicaId: -1, isolationLevel: 1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 3, timestamp: -1 }] }] }
  const at = (v: number): listOffsets.ListOffsetsRequest => { const w = new Writer(); listOffsets.encodeRequest(w, v, req); return listOffsets.decodeRequest(new Reader(w.toBuffer()), v) }
  assert.is(at(1).isolationLevel, 0)
  assert.is(at(2).isolationLevel, 1)
  assert.is(at(3).topics[0].partitions[0].currentLeaderEpoch, -1)
  assert.is(at(4).topics[0].partitions[0].currentLeaderEpoch, 3)
})

versions('response timestamps and offsets are int64', () => {
  const w = new Writer()
  listOffsets.encodeResponse(w, 1, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 2 ** 45 }] }] })
  assert.is(w.view().toString('hex'), '00000001' + '000174' + '00000001' + '00000000' + '0000' + 'ffffffffffffffff' + '0000200000000000')
})

versions.run()
