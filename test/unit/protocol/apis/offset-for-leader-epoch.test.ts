/**
 * OffsetForLeaderEpoch bytes written out by hand from Kafka's message layout: each version adds
 * its field in the right place (v1 the response epoch, v2 the current epoch and throttle time,
 * v3 the replica id, v4 compact strings and tagged fields).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as ofle from '../../../../src/protocol/apis/offset-for-leader-epoch.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const TOPIC = '0001' + '74' // string "t"
const TOPIC_COMPACT = '02' + '74'

const request: ofle.OffsetForLeaderEpochRequest = { replicaId: -1, topics: [{ topic: 't', partitions: [{ partition: 1, currentLeaderEpoch: 4, leaderEpoch: 3 }] }] }
const response: ofle.OffsetForLeaderEpochResponse = { throttleTimeMs: 0, topics: [{ topic: 't', partitions: [{ errorCode: 74, partition: 1, leaderEpoch: 3, endOffset: 42 }] }] }

const REQUESTS: Array<[number, string]> = [
  [0, `00000001 ${TOPIC} 00000001 00000001 00000003`],
  [2, `00000001 ${TOPIC} 00000001 00000001 00000004 00000003`],
  [3, `ffffffff 00000001 ${TOPIC} 00000001 00000001 00000004 00000003`],
  [4, `ffffffff 02 ${TOPIC_COMPACT} 02 00000001 00000004 00000003 00 00 00`]
]

const RESPONSES: Array<[number, string]> = [
  [0, `00000001 ${TOPIC} 00000001 004a 00000001 000000000000002a`],
  [1, `00000001 ${TOPIC} 00000001 004a 00000001 00000003 000000000000002a`],
  [2, `00000000 00000001 ${TOPIC} 00000001 004a 00000001 00000003 000000000000002a`],
  [4, `00000000 02 ${TOPIC_COMPACT} 02 004a 00000001 00000003 000000000000002a 00 00 00`]
]

const bytes = suite('OffsetForLeaderEpoch wire layout per version')

bytes('requests', () => {
  for (const [version, expected] of REQUESTS) {
    const w = new Writer()
    ofle.encodeRequest(w, version, request)
    assert.equal(w.toBuffer(), hex(expected), `v${version}`)
    const back = ofle.decodeRequest(new Reader(hex(expected)), version)
    assert.is(back.topics[0].partitions[0].leaderEpoch, 3)
    assert.is(back.topics[0].partitions[0].currentLeaderEpoch, version >= 2 ? 4 : -1, `v${version}: no current epoch means no check`)
  }
})

bytes('responses', () => {
  for (const [version, expected] of RESPONSES) {
    const w = new Writer()
    ofle.encodeResponse(w, version, response)
    assert.equal(w.toBuffer(), hex(expected), `v${version}`)
  }
})

bytes.run()
