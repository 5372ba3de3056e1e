/**
 * DescribeLogDirs bytes written out by hand from Kafka's message layout: v0-1 classic strings and
 * arrays, v2 compact ones with tagged fields, v3 the top-level error code, v4 each dir's total and
 * usable bytes.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as dld from '../../../../src/protocol/apis/describe-log-dirs.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const TOPIC = '0001' + '74' // string "t"
const TOPIC_COMPACT = '02' + '74'
const DIR = '0002' + '2f64' // string "/d"
const DIR_COMPACT = '03' + '2f64'

const request: dld.DescribeLogDirsRequest = { topics: [{ topic: 't', partitions: [1] }] }
const response: dld.DescribeLogDirsResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  results: [{ errorCode: 0, logDir: '/d', topics: [{ name: 't', partitions: [{ partitionIndex: 1, partitionSize: 256, offsetLag: 3, isFutureKey: false }] }], totalBytes: 4096, usableBytes: 1024 }]
}

// partition: index 1, size 256, lag 3, not future
const PARTITION = '00000001 0000000000000100 0000000000000003 00'

const REQUESTS: Array<[number, string]> = [
  [0, `00000001 ${TOPIC} 00000001 00000001`],
  [1, `00000001 ${TOPIC} 00000001 00000001`],
  [2, `02 ${TOPIC_COMPACT} 02 00000001 00 00`],
  [4, `02 ${TOPIC_COMPACT} 02 00000001 00 00`]
]

const RESPONSES: Array<[number, string]> = [
  [0, `00000000 00000001 0000 ${DIR} 00000001 ${TOPIC} 00000001 ${PARTITION}`],
  [2, `00000000 02 0000 ${DIR_COMPACT} 02 ${TOPIC_COMPACT} 02 ${PARTITION} 00 00 00 00`],
  [3, `00000000 0000 02 0000 ${DIR_COMPACT} 02 ${TOPIC_COMPACT} 02 ${PARTITION} 00 00 00 00`],
  [4, `00000000 0000 02 0000 ${DIR_COMPACT} 02 ${TOPIC_COMPACT} 02 ${PARTITION} 00 00 0000000000001000 0000000000000400 00 00`]
]

const bytes = suite('DescribeLogDirs wire layout per version')

bytes('requests', () => {
  for (const [version, expected] of REQUESTS) {
    const w = new Writer()
    dld.encodeRequest(w, version, request)
    assert.equal(w.toBuffer(), hex(expected), `v${version}`)
    assert.equal(dld.decodeRequest(new Reader(hex(expected)), version), request, `v${version}`)
  }
})

bytes('a null topic list asks for every topic (-1, or 0 as a compact length)', () => {
  assert.is(dld.decodeRequest(new Reader(hex('ffffffff')), 1).topics, null)
  assert.is(dld.decodeRequest(new Reader(hex('00 00')), 2).topics, null)
})

bytes('responses', () => {
  for (const [version, expected] of RESPONSES) {
    const w = new Writer()
    dld.encodeResponse(w, version, response)
    assert.equal(w.toBuffer(), hex(expected), `v${version}`)
    const back = dld.decodeResponse(new Reader(hex(expected)), version)
    assert.is(back.results[0].totalBytes, version >= 4 ? 4096 : -1, `v${version}: space unknown before v4`)
  }
})

bytes.run()
