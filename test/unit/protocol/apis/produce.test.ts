import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as produce from '../../../../src/protocol/apis/produce.js'
import { decodeGolden, reencode } from './golden.js'

const golden = suite('Produce golden requests')

function onlyBatch (body: produce.ProduceRequest): Buffer {
  assert.is(body.topicData.length, 1)
  assert.is(body.topicData[0].partitionData.length, 1)
  const records = body.topicData[0].partitionData[0].records
  assert.ok(records !== null)
  return records
}

golden('kafkajs v7: acks -1, one batch of two records, kept as a view of the request bytes', () => {
  const g = decodeGolden<produce.ProduceRequest>('kafkajs-produce-v7')
  assert.is(g.header.apiVersion, 7)
  assert.is(g.header.clientId, 'golden-kafkajs')
  assert.is(g.body.transactionalId, null)
  assert.is(g.body.acks, -1)
  assert.is(g.body.timeoutMs, 30000)
  assert.is(g.body.topicData[0].name, 'golden')
  assert.is(g.body.topicData[0].partitionData[0].index, 0)
  const batch = onlyBatch(g.body)
  assert.is(batch.length, 87)
  assert.is(batch.buffer, g.frame.buffer, 'same memory as the frame: no copy')
  assert.is(batch.byteOffset, g.frame.byteOffset + g.frame.length - 87)
  assert.is(batch.readInt32BE(8), 87 - 12, 'batchLength')
  assert.is(batch[16], 2, 'magic')
  assert.is(batch.readInt32BE(57), 2, 'record count')
  assert.equal(reencode(g), g.frame)
})

golden('kcat v7: acks -1, one batch of one record', () => {
  const g = decodeGolden<produce.ProduceRequest>('kcat-produce-v7')
  assert.is(g.header.clientId, 'rdkafka')
  assert.is(g.body.acks, -1)
  const batch = onlyBatch(g.body)
  assert.is(batch.length, 75)
  assert.is(batch[16], 2)
  assert.is(batch.readInt32BE(57), 1)
  assert.equal(reencode(g), g.frame)
})

golden.run()

// ---

const versions = suite('Produce versions')

versions('v9 is flexible: compact records length, tag sections after each struct', () => {
  const records = Buffer.from('0102030405', 'hex')
  const w = new Writer()
  produce.encodeRequest(w, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] })
  assert.is(w.view().toString('hex'), '00' + '0001' + '000003e8' + '02' + '0274' + '02' + '00000000' + '06' + '0102030405' + '00' + '00' + '00')
  const back = produce.decodeRequest(new Reader(w.toBuffer()), 9)
  assert.equal(back.topicData[0].partitionData[0].records, records)
})

versions('response: throttle time comes after the responses; log start offset v5+, record errors v8+', () => {
  const res: produce.ProduceResponse = {
    responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 87, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: 3, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: null }], errorMessage: 'bad' }] }],
    throttleTimeMs: 0x01020304
  }
  const at = (v: number): Buffer => { const w = new Writer(); produce.encodeResponse(w, v, res); return w.toBuffer() }
  assert.is(at(3).subarray(-4).toString('hex'), '01020304')
  const v4 = produce.decodeResponse(new Reader(at(4)), 4).responses[0].partitionResponses[0]
  assert.is(v4.logStartOffset, -1)
  assert.equal(v4.recordErrors, [])
  const v8 = produce.decodeResponse(new Reader(at(8)), 8).responses[0].partitionResponses[0]
  assert.is(v8.logStartOffset, 3)
  assert.equal(v8.recordErrors, [{ batchIndex: 0, batchIndexErrorMessage: null }])
  assert.is(v8.errorMessage, 'bad')
})

versions.run()
