import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFaultBytes, readAppendFault, writeAppendFault } from '../../../src/partition/frames.js'

const fault = suite('append fault payload')

fault('round trips record indexes and a UTF-8 message at an offset in shared memory', () => {
  const bytes = new Uint8Array(new SharedArrayBuffer(256))
  const written = { recordIndexes: [1, 3, 70000], message: 'record 1 has offsetDelta 0 — refusé' }
  const size = appendFaultBytes(written)
  assert.is(size, 4 + 12 + Buffer.byteLength(written.message))
  writeAppendFault(bytes, 40, written)
  assert.equal(readAppendFault(bytes, 40, size), written)
})

fault('a batch-level fault carries no indexes', () => {
  const bytes = new Uint8Array(64)
  const written = { recordIndexes: [], message: 'codec 7' }
  writeAppendFault(bytes, 0, written)
  assert.equal(readAppendFault(bytes, 0, appendFaultBytes(written)), written)
})

fault.run()
