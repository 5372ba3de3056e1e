import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import {
  decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription
} from '../../../src/protocol/consumer-protocol.js'

const require = createRequire(import.meta.url)
interface KafkajsProtocol {
  MemberMetadata: {
    encode: (m: { version: number, topics: string[], userData?: Buffer }) => Buffer
    decode: (b: Buffer) => { version: number, topics: string[], userData: Buffer | null }
  }
  MemberAssignment: {
    encode: (a: { version: number, assignment: Record<string, number[]>, userData?: Buffer }) => Buffer
    decode: (b: Buffer) => { version: number, assignment: Record<string, number[]>, userData: Buffer | null } | null
  }
}
const kafkajs = require('kafkajs/src/consumer/assignerProtocol.js') as KafkajsProtocol

const subscription = suite('ConsumerProtocolSubscription')

subscription('v0 bytes equal what kafkajs encodes', () => {
  const ours = encodeSubscription({ version: 0, topics: ['orders', 'payments'], userData: Buffer.alloc(0) })
  const theirs = kafkajs.MemberMetadata.encode({ version: 0, topics: ['orders', 'payments'] })
  assert.equal(ours.toString('hex'), theirs.toString('hex'))
})

subscription('decodes kafkajs metadata of v0 and v1 (v1 without ownedPartitions)', () => {
  for (const version of [0, 1]) {
    const bytes = kafkajs.MemberMetadata.encode({ version, topics: ['a', 'b'], userData: Buffer.from('ud') })
    const s = decodeSubscription(bytes)
    assert.is(s.version, version)
    assert.equal(s.topics, ['a', 'b'])
    assert.equal(s.userData, Buffer.from('ud'))
    assert.equal(s.ownedPartitions, [])
    assert.is(s.generationId, -1)
    assert.is(s.rackId, null)
  }
})

subscription('kafkajs reads our v3 subscription (topics and null userData)', () => {
  const bytes = encodeSubscription({ topics: ['t1', 't2'], ownedPartitions: [{ topic: 't1', partitions: [0, 2] }], generationId: 7, rackId: 'r1' })
  const theirs = kafkajs.MemberMetadata.decode(bytes)
  assert.is(theirs.version, 3)
  assert.equal(theirs.topics, ['t1', 't2'])
  assert.is(theirs.userData, null)
})

subscription('round trip of every version keeps the fields that version carries', () => {
  const full = { topics: ['x'], userData: Buffer.from([1, 2]), ownedPartitions: [{ topic: 'x', partitions: [3, 1] }], generationId: 12, rackId: 'rack-a' }
  const v0 = decodeSubscription(encodeSubscription({ ...full, version: 0 }))
  assert.equal(v0, { version: 0, topics: ['x'], userData: Buffer.from([1, 2]), ownedPartitions: [], generationId: -1, rackId: null })
  const v1 = decodeSubscription(encodeSubscription({ ...full, version: 1 }))
  assert.equal(v1.ownedPartitions, [{ topic: 'x', partitions: [3, 1] }])
  assert.is(v1.generationId, -1)
  const v2 = decodeSubscription(encodeSubscription({ ...full, version: 2 }))
  assert.is(v2.generationId, 12)
  assert.is(v2.rackId, null)
  assert.equal(decodeSubscription(encodeSubscription({ ...full, version: 3 })), { version: 3, ...full })
})

subscription('golden v3 bytes (Kafka layout, written out by hand)', () => {
  const bytes = encodeSubscription({ version: 3, topics: ['t'], userData: null, ownedPartitions: [{ topic: 't', partitions: [1] }], generationId: 2, rackId: null })
  assert.is(bytes.toString('hex'), [
    '0003', // version
    '00000001', '0001', '74', // topics ['t']
    'ffffffff', // userData null
    '00000001', '0001', '74', '00000001', '00000001', // ownedPartitions t: [1]
    '00000002', // generationId
    'ffff' // rackId null
  ].join(''))
})

subscription('a newer version is read as the newest we know', () => {
  const bytes = encodeSubscription({ version: 3, topics: ['t'], generationId: 5 })
  bytes.writeInt16BE(9, 0)
  const s = decodeSubscription(bytes)
  assert.is(s.version, 9)
  assert.is(s.generationId, 5)
})

subscription('bad input: truncated bytes, out-of-range encode version', () => {
  assert.throws(() => decodeSubscription(Buffer.from('000000000005', 'hex')))
  assert.throws(() => encodeSubscription({ version: 4, topics: [] }), /version 4/)
})

subscription.run()

// ---

const assignment = suite('ConsumerProtocolAssignment')

assignment('v0 bytes equal what kafkajs encodes', () => {
  const ours = encodeAssignment({ version: 0, assignedPartitions: [{ topic: 'a', partitions: [0, 2, 4] }, { topic: 'b', partitions: [1] }], userData: Buffer.alloc(0) })
  const theirs = kafkajs.MemberAssignment.encode({ version: 0, assignment: { a: [0, 2, 4], b: [1] } })
  assert.equal(ours.toString('hex'), theirs.toString('hex'))
})

assignment('decodes a kafkajs assignment, and kafkajs decodes ours', () => {
  const theirs = kafkajs.MemberAssignment.encode({ version: 0, assignment: { t: [5, 6] }, userData: Buffer.from('x') })
  assert.equal(decodeAssignment(theirs), { version: 0, assignedPartitions: [{ topic: 't', partitions: [5, 6] }], userData: Buffer.from('x') })
  for (const version of [0, 1, 2, 3]) {
    const ours = encodeAssignment({ version, assignedPartitions: [{ topic: 't', partitions: [1, 3] }] })
    assert.equal(kafkajs.MemberAssignment.decode(ours), { version, assignment: { t: [1, 3] }, userData: null })
    assert.equal(decodeAssignment(ours), { version, assignedPartitions: [{ topic: 't', partitions: [1, 3] }], userData: null })
  }
})

assignment('an empty buffer (a member the leader gave nothing) is an empty assignment', () => {
  assert.equal(decodeAssignment(Buffer.alloc(0)), { version: 0, assignedPartitions: [], userData: null })
})

assignment('an assignment without userData (older encoders) decodes with null', () => {
  const bytes = Buffer.from('0000' + '00000001' + '0001' + '74' + '00000001' + '00000000', 'hex')
  assert.equal(decodeAssignment(bytes).assignedPartitions, [{ topic: 't', partitions: [0] }])
  assert.is(decodeAssignment(bytes).userData, null)
})

assignment.run()
