import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildMarkerBatch, ControlType, MARKER_BATCH_BYTES, markerTypeAt, NOT_A_MARKER } from '../../../src/protocol/control-batch.js'
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BatchCheck, checkBatch } from '../../../src/protocol/batch-header.js'
import { decodeBatch } from '../../../src/protocol/record-batch.js'

const marker = suite('transaction marker batches')

marker('a marker is a valid control batch with Kafka\'s EndTransactionMarker record', () => {
  for (const type of [ControlType.Abort, ControlType.Commit]) {
    const batch = buildMarkerBatch(type, 4242, 7, 13, 1_700_000_000_000)
    assert.is(batch.length, MARKER_BATCH_BYTES)
    assert.is(checkBatch(batch, 0), BatchCheck.Ok)
    const decoded = decodeBatch(batch)
    assert.ok(decoded.isControl)
    assert.is(decoded.attributes & (ATTR_CONTROL | ATTR_TRANSACTIONAL), ATTR_CONTROL | ATTR_TRANSACTIONAL)
    assert.is(decoded.producerId, 4242)
    assert.is(decoded.producerEpoch, 7)
    assert.is(decoded.baseSequence, -1)
    assert.is(decoded.records.length, 1)
    const [record] = decoded.records
    // key: version 0, type; value: version 0, coordinator epoch
    assert.equal([...record.key!], [0, 0, 0, type])
    assert.equal([...record.value!], [0, 0, 0, 0, 0, 13])
    assert.is(markerTypeAt(batch, 0), type)
  }
})

marker('markerTypeAt answers NOT_A_MARKER for another control type, a compressed batch and a short read', () => {
  const unknownType = buildMarkerBatch(ControlType.Commit, 1, 0, 0, 0)
  unknownType.writeInt16BE(5, 61 + 7)
  assert.is(markerTypeAt(unknownType, 0), NOT_A_MARKER)
  const compressed = buildMarkerBatch(ControlType.Abort, 1, 0, 0, 0)
  compressed.writeInt16BE(ATTR_CONTROL | ATTR_TRANSACTIONAL | 1, 21)
  assert.is(markerTypeAt(compressed, 0), NOT_A_MARKER)
  assert.is(markerTypeAt(buildMarkerBatch(ControlType.Commit, 1, 0, 0, 0).subarray(0, 65), 0), NOT_A_MARKER)
})

marker.run()
