/** Byte layouts of the coordinator APIs where versions change shape, checked by hand. */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as findCoordinator from '../../../../src/protocol/apis/find-coordinator.js'
import * as heartbeat from '../../../../src/protocol/apis/heartbeat.js'
import * as joinGroup from '../../../../src/protocol/apis/join-group.js'
import * as leaveGroup from '../../../../src/protocol/apis/leave-group.js'
import * as offsetFetch from '../../../../src/protocol/apis/offset-fetch.js'
import * as offsetDelete from '../../../../src/protocol/apis/offset-delete.js'

const hex = (fn: (w: Writer) => void): string => { const w = new Writer(); fn(w); return w.view().toString('hex') }

const layouts = suite('coordinator API layouts')

layouts('FindCoordinator: a key (v0), a key type (v1+), a batch of keys (v4)', () => {
  assert.is(hex(w => findCoordinator.encodeRequest(w, 0, { key: 'g' })), '000167')
  assert.is(hex(w => findCoordinator.encodeRequest(w, 1, { key: 'g', keyType: 1 })), '00016701')
  assert.is(hex(w => findCoordinator.encodeRequest(w, 4, { keyType: 0, coordinatorKeys: ['g'] })), '00' + '02' + '0267' + '00')
  const res = hex(w => findCoordinator.encodeResponse(w, 0, { errorCode: 15, nodeId: 0, host: 'h', port: 9092 }))
  assert.is(res, '000f' + '00000000' + '000168' + '00002384')
})

layouts('Heartbeat v0 and v4 (flexible, with group instance id)', () => {
  assert.is(hex(w => heartbeat.encodeRequest(w, 0, { groupId: 'g', generationId: 1, memberId: 'm' })), '000167' + '00000001' + '00016d')
  assert.is(hex(w => heartbeat.encodeRequest(w, 4, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null })), '0267' + '00000001' + '026d' + '00' + '00')
  const back = heartbeat.decodeResponse(new Reader(Buffer.from('00000000001b00', 'hex')), 4)
  assert.equal(back, { throttleTimeMs: 0, errorCode: 27 })
})

layouts('JoinGroup v0 uses the session timeout only; v1 adds the rebalance timeout', () => {
  const req: joinGroup.JoinGroupRequest = { groupId: 'g', sessionTimeoutMs: 10, rebalanceTimeoutMs: 20, memberId: '', protocolType: 'consumer', protocols: [] }
  const v0 = joinGroup.decodeRequest(new Reader(Buffer.from(hex(w => joinGroup.encodeRequest(w, 0, req)), 'hex')), 0)
  assert.is(v0.rebalanceTimeoutMs, -1)
  const v1 = joinGroup.decodeRequest(new Reader(Buffer.from(hex(w => joinGroup.encodeRequest(w, 1, req)), 'hex')), 1)
  assert.is(v1.rebalanceTimeoutMs, 20)
})

layouts('LeaveGroup: one member id up to v2, a members list from v3', () => {
  assert.is(hex(w => leaveGroup.encodeRequest(w, 2, { groupId: 'g', memberId: 'm' })), '000167' + '00016d')
  assert.is(hex(w => leaveGroup.encodeRequest(w, 3, { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null }] })), '000167' + '00000001' + '00016d' + 'ffff')
})

layouts('OffsetFetch: topics at top level up to v7 (null = all from v2), groups from v8', () => {
  assert.is(hex(w => offsetFetch.encodeRequest(w, 2, { groupId: 'g', topics: null })), '000167' + 'ffffffff')
  assert.is(hex(w => offsetFetch.encodeRequest(w, 1, { groupId: 'g', topics: null })), '000167' + '00000000', 'v1 cannot say null')
  const v8 = offsetFetch.decodeRequest(new Reader(Buffer.from(hex(w => offsetFetch.encodeRequest(w, 8, { groups: [{ groupId: 'g', topics: null }], requireStable: true })), 'hex')), 8)
  assert.equal(v8.groups, [{ groupId: 'g', topics: null }])
  assert.is(v8.requireStable, true)
})

layouts('OffsetDelete v0: group, topics of partitions; the response leads with the group error, then throttle', () => {
  assert.is(hex(w => offsetDelete.encodeRequest(w, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 2 }] }] })),
    '000167' + '00000001' + '000174' + '00000001' + '00000002')
  const back = offsetDelete.decodeResponse(new Reader(Buffer.from('0045' + '00000000' + '00000000', 'hex')), 0)
  assert.equal(back, { errorCode: 69, throttleTimeMs: 0, topics: [] })
})

layouts.run()
