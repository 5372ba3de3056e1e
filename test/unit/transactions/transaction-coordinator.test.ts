/**
 * The transaction coordinator on one thread with a fake marker writer and a controllable
 * monotonic clock: every transition, fencing, timeouts, persistence and rebuild (Prepare*
 * completed at restart), transactional offsets and require_stable.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { TransactionCoordinator, type TransactionCoordinatorOptions } from '../../../src/transactions/transaction-coordinator.js'
import { TXN_LOG_DIR } from '../../../src/transactions/txn-log-names.js'
import { TxnState } from '../../../src/transactions/txn-records.js'
import type { TxnMarkerRequest, TxnMarkerResult, TxnMarkerWriter } from '../../../src/transactions/txn-markers.js'
import { CoordinatorLog } from '../../../src/coordinator/coordinator-log.js'
import { GroupCoordinator } from '../../../src/coordinator/group-coordinator.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import { LogStatus } from '../../../src/log/errors.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

/** Records every marker request; `answer` decides each partition's error code, `hold` parks calls. */
class FakeWriter implements TxnMarkerWriter {
  readonly requests: TxnMarkerRequest[] = []
  answer: (topic: string, partition: number, call: number) => number = () => KafkaCode.NONE
  hold: Promise<void> | null = null

  async writeTxnMarkers (request: TxnMarkerRequest): Promise<TxnMarkerResult[]> {
    this.requests.push(request)
    const call = this.requests.length
    if (this.hold !== null) await this.hold
    return request.partitions.map((p) => ({ ...p, errorCode: this.answer(p.topic, p.partition, call) }))
  }
}

interface Harness {
  txn: TransactionCoordinator
  groups: GroupCoordinator
  writer: FakeWriter
  clock: { mono: number, wall: number }
  logger: CaptureLogger
}

let nextId = 1000
function open (dataDir: string | null = null, extra: Partial<TransactionCoordinatorOptions> = {}, writer = new FakeWriter(), clock = { mono: 0, wall: 1_700_000_000_000 }): Harness {
  const logger = new CaptureLogger()
  const groups = GroupCoordinator.load({ log: CoordinatorLog.open(dataDir), initialRebalanceDelayMs: 0, minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, offsetsRetentionMs: 600_000, offsetMetadataMaxBytes: 4096 })
  void groups.setTopics({ t: 4, u: 1 })
  const txn = TransactionCoordinator.load({
    log: extra.log ?? CoordinatorLog.open(dataDir, {}, logger.logger, TXN_LOG_DIR),
    producerIds: { nextId: () => nextId++ },
    groups,
    maxTimeoutMs: 60_000,
    markerRetryBackoffMs: 1,
    timeoutCheckIntervalMs: 3_600_000,
    now: () => clock.wall,
    monotonicNow: () => clock.mono,
    logger: logger.logger,
    ...extra
  })
  void txn.setTopics({ t: 4, u: 1 })
  groups.setPendingTxnOffsets(txn)
  txn.setMarkerWriter(writer)
  return { txn, groups, writer, clock, logger }
}

function close (h: Harness): void {
  h.txn.close()
  h.groups.close()
}

async function init (h: Harness, id: string, version = 4, timeoutMs = 10_000): Promise<{ errorCode: number, producerId: number, producerEpoch: number }> {
  return await h.txn.initProducerId({ transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 }, version)
}

async function add (h: Harness, id: string, producerId: number, producerEpoch: number, topics: Array<[string, number[]]> = [['t', [0, 1]]], version = 3): Promise<number[]> {
  const res = await h.txn.addPartitionsToTxn({
    v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: topics.map(([name, partitions]) => ({ name, partitions }))
  }, version)
  return res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode))
}

async function end (h: Harness, id: string, producerId: number, producerEpoch: number, committed: boolean, version = 3): Promise<number> {
  return (await h.txn.endTxn({ transactionalId: id, producerId, producerEpoch, committed }, version)).errorCode
}

async function stateOf (h: Harness, id: string): Promise<string> {
  return (await h.txn.describeTransactions({ transactionalIds: [id] })).transactionStates[0].transactionState
}

// ---

const init_ = suite('InitProducerId with a transactional id')

init_('a new id gets a producer id at epoch 0; the next InitProducerId bumps the epoch', async () => {
  const h = open()
  const first = await init(h, 'a')
  assert.is(first.errorCode, KafkaCode.NONE)
  assert.is(first.producerEpoch, 0)
  const second = await init(h, 'a')
  assert.is(second.errorCode, KafkaCode.NONE)
  assert.is(second.producerId, first.producerId)
  assert.is(second.producerEpoch, 1)
  assert.is(await stateOf(h, 'a'), TxnState.Empty)
  close(h)
})

init_('timeouts above the maximum, zero or negative are INVALID_TRANSACTION_TIMEOUT; an empty id INVALID_REQUEST', async () => {
  const h = open()
  assert.is((await init(h, 'a', 4, 60_001)).errorCode, KafkaCode.INVALID_TRANSACTION_TIMEOUT)
  assert.is((await init(h, 'a', 4, 0)).errorCode, KafkaCode.INVALID_TRANSACTION_TIMEOUT)
  assert.is((await init(h, 'a', 4, 60_000)).errorCode, KafkaCode.NONE)
  assert.is((await init(h, '', 4)).errorCode, KafkaCode.INVALID_REQUEST)
  assert.is(h.logger.find('transaction timeout out of range').length, 2)
  close(h)
})

init_('a second producer fences the first: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before', async () => {
  const h = open()
  const old = await init(h, 'a')
  await init(h, 'a')
  assert.equal(await add(h, 'a', old.producerId, old.producerEpoch, [['t', [0]]], 2), [KafkaCode.PRODUCER_FENCED])
  assert.equal(await add(h, 'a', old.producerId, old.producerEpoch, [['t', [0]]], 1), [KafkaCode.INVALID_PRODUCER_EPOCH])
  assert.is(await end(h, 'a', old.producerId, old.producerEpoch, true, 2), KafkaCode.PRODUCER_FENCED)
  assert.is(await end(h, 'a', old.producerId, old.producerEpoch, true, 1), KafkaCode.INVALID_PRODUCER_EPOCH)
  assert.is(await end(h, 'a', old.producerId + 1, old.producerEpoch, true), KafkaCode.INVALID_PRODUCER_ID_MAPPING)
  assert.is(await end(h, 'nobody', old.producerId, old.producerEpoch, true), KafkaCode.INVALID_PRODUCER_ID_MAPPING)
  close(h)
})

init_('KIP-360: naming a stale id and epoch is PRODUCER_FENCED (v4) / INVALID_PRODUCER_EPOCH (v3)', async () => {
  const h = open()
  const old = await init(h, 'a')
  await init(h, 'a')
  const ask = (version: number) => h.txn.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 1000, producerId: old.producerId, producerEpoch: old.producerEpoch }, version)
  assert.is((await ask(4)).errorCode, KafkaCode.PRODUCER_FENCED)
  assert.is((await ask(3)).errorCode, KafkaCode.INVALID_PRODUCER_EPOCH)
  close(h)
})

init_('an Ongoing transaction is aborted with a bumped epoch; CONCURRENT_TRANSACTIONS until it is done', async () => {
  const h = open()
  const p = await init(h, 'a')
  assert.equal(await add(h, 'a', p.producerId, p.producerEpoch), [0, 0])
  let release!: () => void
  h.writer.hold = new Promise((resolve) => { release = resolve })
  assert.is((await init(h, 'a')).errorCode, KafkaCode.CONCURRENT_TRANSACTIONS)
  assert.is(await stateOf(h, 'a'), TxnState.PrepareEpochFence)
  assert.is((await init(h, 'a')).errorCode, KafkaCode.CONCURRENT_TRANSACTIONS)
  assert.is(h.writer.requests.length, 1)
  assert.is(h.writer.requests[0].result, 'abort')
  assert.is(h.writer.requests[0].producerEpoch, p.producerEpoch + 1)
  release()
  h.writer.hold = null
  await h.txn.whenIdle()
  assert.is(await stateOf(h, 'a'), TxnState.CompleteAbort)
  const next = await init(h, 'a')
  assert.is(next.errorCode, KafkaCode.NONE)
  assert.is(next.producerEpoch, p.producerEpoch + 2)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.PRODUCER_FENCED)
  assert.ok(h.logger.find('transaction aborted: a new producer initialised').length === 1)
  close(h)
})

init_.run()

// ---

const flow = suite('AddPartitionsToTxn, EndTxn and the markers')

flow('commit: Ongoing → PrepareCommit (answered) → markers → CompleteCommit; a retried commit is NONE, an abort INVALID_TXN_STATE', async () => {
  const h = open()
  const p = await init(h, 'a')
  assert.equal(await add(h, 'a', p.producerId, p.producerEpoch, [['t', [0, 1]], ['u', [0]]]), [0, 0, 0])
  assert.is(await stateOf(h, 'a'), TxnState.Ongoing)
  let release!: () => void
  h.writer.hold = new Promise((resolve) => { release = resolve })
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.NONE)
  assert.is(await stateOf(h, 'a'), TxnState.PrepareCommit)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.CONCURRENT_TRANSACTIONS)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, false), KafkaCode.INVALID_TXN_STATE)
  assert.equal(await add(h, 'a', p.producerId, p.producerEpoch, [['t', [2]]]), [KafkaCode.CONCURRENT_TRANSACTIONS])
  release()
  await h.txn.whenIdle()
  assert.is(await stateOf(h, 'a'), TxnState.CompleteCommit)
  const req = h.writer.requests[0]
  assert.is(req.result, 'commit')
  assert.is(req.producerId, p.producerId)
  assert.equal(req.partitions.map((x) => `${x.topic}-${x.partition}`).sort(), ['t-0', 't-1', 'u-0'])
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.NONE)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, false), KafkaCode.INVALID_TXN_STATE)
  close(h)
})

flow('abort: PrepareAbort → CompleteAbort with abort markers; the next transaction starts from Complete*', async () => {
  const h = open()
  const p = await init(h, 'a')
  await add(h, 'a', p.producerId, p.producerEpoch)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, false), KafkaCode.NONE)
  await h.txn.whenIdle()
  assert.is(await stateOf(h, 'a'), TxnState.CompleteAbort)
  assert.is(h.writer.requests[0].result, 'abort')
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.INVALID_TXN_STATE)
  assert.equal(await add(h, 'a', p.producerId, p.producerEpoch, [['t', [3]]]), [0])
  const described = (await h.txn.describeTransactions({ transactionalIds: ['a'] })).transactionStates[0]
  assert.is(described.transactionState, TxnState.Ongoing)
  assert.equal(described.topicPartitions, [{ name: 't', partitionIndexes: [3] }])
  close(h)
})

flow('EndTxn with nothing open is INVALID_TXN_STATE', async () => {
  const h = open()
  const p = await init(h, 'a')
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.INVALID_TXN_STATE)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, false), KafkaCode.INVALID_TXN_STATE)
  close(h)
})

flow('unknown partitions fail alone (UNKNOWN_TOPIC_OR_PARTITION), the others are OPERATION_NOT_ATTEMPTED', async () => {
  const h = open()
  const p = await init(h, 'a')
  assert.equal(await add(h, 'a', p.producerId, p.producerEpoch, [['t', [0, 9]], ['nope', [0]]]),
    [KafkaCode.OPERATION_NOT_ATTEMPTED, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION])
  assert.is(await stateOf(h, 'a'), TxnState.Empty)
  close(h)
})

flow('a retriable marker failure is retried for that partition only; a fatal one is logged and skipped', async () => {
  const h = open()
  h.writer.answer = (topic, partition, call) => {
    if (topic === 't' && partition === 1 && call === 1) return KafkaCode.NOT_LEADER_OR_FOLLOWER
    if (topic === 'u') return KafkaCode.UNKNOWN_SERVER_ERROR
    return KafkaCode.NONE
  }
  const p = await init(h, 'a')
  await add(h, 'a', p.producerId, p.producerEpoch, [['t', [0, 1]], ['u', [0]]])
  await end(h, 'a', p.producerId, p.producerEpoch, true)
  await h.txn.whenIdle()
  assert.is(h.writer.requests.length, 2)
  assert.equal(h.writer.requests[1].partitions, [{ topic: 't', partition: 1 }])
  assert.is(await stateOf(h, 'a'), TxnState.CompleteCommit)
  assert.is(h.logger.find('marker refused for good', 'error').length, 1)
  close(h)
})

flow('a writer that throws is retried until it answers, and logged', async () => {
  const h = open()
  let failures = 2
  const original = h.writer.writeTxnMarkers.bind(h.writer)
  h.writer.writeTxnMarkers = async (req) => {
    if (failures-- > 0) throw new Error('dispatcher not ready')
    return await original(req)
  }
  const p = await init(h, 'a')
  await add(h, 'a', p.producerId, p.producerEpoch)
  await end(h, 'a', p.producerId, p.producerEpoch, true)
  await h.txn.whenIdle()
  assert.is(await stateOf(h, 'a'), TxnState.CompleteCommit)
  // Rate-limited: the first failure is logged, the second is counted in the next line.
  assert.is(h.logger.find('markers could not be sent; retrying', 'warn').length, 1)
  close(h)
})

flow('verifyPartition: NONE inside the ongoing transaction, INVALID_TXN_STATE outside, INVALID_PRODUCER_EPOCH for another epoch', async () => {
  const h = open()
  const p = await init(h, 'a')
  assert.is(await h.txn.verifyPartition(p.producerId, p.producerEpoch, 't', 0), KafkaCode.INVALID_TXN_STATE)
  await add(h, 'a', p.producerId, p.producerEpoch, [['t', [0]]])
  assert.is(await h.txn.verifyPartition(p.producerId, p.producerEpoch, 't', 0), KafkaCode.NONE)
  assert.is(await h.txn.verifyPartition(p.producerId, p.producerEpoch, 't', 1), KafkaCode.INVALID_TXN_STATE)
  assert.is(await h.txn.verifyPartition(p.producerId, p.producerEpoch - 1, 't', 0), KafkaCode.INVALID_PRODUCER_EPOCH)
  assert.is(await h.txn.verifyPartition(p.producerId + 77, 0, 't', 0), KafkaCode.INVALID_PRODUCER_ID_MAPPING)
  close(h)
})

flow('a log that refuses the write answers COORDINATOR_NOT_AVAILABLE, logs it, and changes nothing', async () => {
  const base = open()
  const p = await init(base, 'a')
  const realLog = CoordinatorLog.open(null)
  let refuse = false
  const log = new Proxy(realLog, {
    get (target, prop) {
      if (prop === 'write') return (...args: Parameters<CoordinatorLog['write']>) => refuse ? LogStatus.StorageError : target.write(...args)
      const v = Reflect.get(target, prop) as unknown
      return typeof v === 'function' ? (v as Function).bind(target) : v
    }
  })
  close(base)
  const h = open(null, { log })
  const q = await init(h, 'b')
  assert.is(q.errorCode, KafkaCode.NONE)
  refuse = true
  assert.equal(await add(h, 'b', q.producerId, q.producerEpoch), [KafkaCode.COORDINATOR_NOT_AVAILABLE, KafkaCode.COORDINATOR_NOT_AVAILABLE])
  assert.is(await stateOf(h, 'b'), TxnState.Empty)
  assert.is(h.logger.find('transaction state not written', 'error').length, 1)
  assert.ok(p.producerId >= 0)
  close(h)
})

flow.run()

// ---

const restart = suite('persistence and rebuild')

restart('every state survives a restart; a PrepareCommit found at start is completed with its markers', async () => {
  const dir = tmpDir()
  try {
    const clock = { mono: 0, wall: 1_700_000_000_000 }
    const h = open(dir, {}, new FakeWriter(), clock)
    const a = await init(h, 'a')
    await add(h, 'a', a.producerId, a.producerEpoch, [['t', [2]]])
    const b = await init(h, 'b')
    await add(h, 'b', b.producerId, b.producerEpoch, [['t', [0]], ['u', [0]]])
    // The markers never land before the "crash".
    h.writer.hold = new Promise(() => {})
    assert.is(await end(h, 'b', b.producerId, b.producerEpoch, true), KafkaCode.NONE)
    close(h)

    const writer = new FakeWriter()
    const again = open(dir, {}, writer, clock)
    await again.txn.whenIdle()
    assert.is(await stateOf(again, 'a'), TxnState.Ongoing)
    assert.is(await stateOf(again, 'b'), TxnState.CompleteCommit)
    assert.is(writer.requests.length, 1)
    assert.is(writer.requests[0].result, 'commit')
    assert.is(writer.requests[0].producerId, b.producerId)
    assert.equal(writer.requests[0].partitions.map((x) => `${x.topic}-${x.partition}`).sort(), ['t-0', 'u-0'])
    // The producer of 'a' carries on where it was.
    assert.is(await end(again, 'a', a.producerId, a.producerEpoch, false), KafkaCode.NONE)
    await again.txn.whenIdle()
    assert.is(await stateOf(again, 'a'), TxnState.CompleteAbort)
    close(again)
  } finally {
    removeDir(dir)
  }
})

restart.run()

// ---

const timeouts = suite('transaction timeouts')

timeouts('an Ongoing transaction past its timeout is aborted with a bumped epoch; the zombie is fenced', async () => {
  const h = open()
  const p = await init(h, 'a', 4, 5_000)
  await add(h, 'a', p.producerId, p.producerEpoch)
  h.clock.mono += 4_999
  h.txn.abortTimedOut()
  assert.is(await stateOf(h, 'a'), TxnState.Ongoing)
  h.clock.mono += 1
  h.txn.abortTimedOut()
  await h.txn.whenIdle()
  assert.is(await stateOf(h, 'a'), TxnState.CompleteAbort)
  assert.is(h.writer.requests[0].result, 'abort')
  assert.is(h.writer.requests[0].producerEpoch, p.producerEpoch + 1)
  assert.is(await end(h, 'a', p.producerId, p.producerEpoch, true), KafkaCode.PRODUCER_FENCED)
  assert.equal(await add(h, 'a', p.producerId, p.producerEpoch), [KafkaCode.PRODUCER_FENCED, KafkaCode.PRODUCER_FENCED])
  assert.is(h.logger.find('timed out after 5000 ms', 'warn').length, 1)
  close(h)
})

timeouts('the timeout is re-armed after a restart with the time it had left', async () => {
  const dir = tmpDir()
  try {
    const clock = { mono: 0, wall: 1_700_000_000_000 }
    const h = open(dir, {}, new FakeWriter(), clock)
    const p = await init(h, 'a', 4, 10_000)
    await add(h, 'a', p.producerId, p.producerEpoch)
    close(h)
    // 4 s pass on the wall clock while the broker is down; the new process's monotonic clock starts elsewhere.
    const later = { mono: 50_000, wall: clock.wall + 4_000 }
    const again = open(dir, {}, new FakeWriter(), later)
    later.mono += 5_999
    again.txn.abortTimedOut()
    assert.is(await stateOf(again, 'a'), TxnState.Ongoing)
    later.mono += 1
    again.txn.abortTimedOut()
    await again.txn.whenIdle()
    assert.is(await stateOf(again, 'a'), TxnState.CompleteAbort)
    close(again)
  } finally {
    removeDir(dir)
  }
})

timeouts.run()

// ---

const offsets = suite('TxnOffsetCommit and require_stable')

async function txnCommit (h: Harness, id: string, p: { producerId: number, producerEpoch: number }, groupId: string, offset: number, version = 3): Promise<number> {
  const res = await h.txn.txnOffsetCommit({
    transactionalId: id, groupId, producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }]
  }, version)
  return res.topics[0].partitions[0].errorCode
}

async function fetchOffset (h: Harness, groupId: string, requireStable: boolean): Promise<{ offset: number, errorCode: number }> {
  const res = await h.groups.fetchOffsets({ groups: [{ groupId, topics: [{ name: 't', partitions: [0] }] }], requireStable })
  const p = res.groups[0].topics[0].partitions[0]
  return { offset: p.offset, errorCode: p.errorCode }
}

offsets('offsets stay pending (UNSTABLE_OFFSET_COMMIT with require_stable) until the commit applies them', async () => {
  const h = open()
  const p = await init(h, 'a')
  assert.is(await txnCommit(h, 'a', p, 'g1', 42), KafkaCode.INVALID_TXN_STATE)
  assert.is((await h.txn.addOffsetsToTxn({ transactionalId: 'a', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g1' }, 3)).errorCode, KafkaCode.NONE)
  assert.is(await txnCommit(h, 'a', p, 'g1', 42), KafkaCode.NONE)
  assert.equal(await fetchOffset(h, 'g1', true), { offset: -1, errorCode: KafkaCode.UNSTABLE_OFFSET_COMMIT })
  assert.equal(await fetchOffset(h, 'g1', false), { offset: -1, errorCode: KafkaCode.NONE })
  await end(h, 'a', p.producerId, p.producerEpoch, true)
  await h.txn.whenIdle()
  assert.equal(await fetchOffset(h, 'g1', true), { offset: 42, errorCode: KafkaCode.NONE })
  close(h)
})

offsets('v3+ commits naming a member are fenced as OffsetCommit is; v0-2 carry no member to check', async () => {
  const h = open()
  const p = await init(h, 'a')
  await h.txn.addOffsetsToTxn({ transactionalId: 'a', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'gm' }, 3)
  const commitAs = async (version: number): Promise<number> => (await h.txn.txnOffsetCommit({
    transactionalId: 'a', groupId: 'gm', producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: 4, memberId: 'ghost', groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }]
  }, version)).topics[0].partitions[0].errorCode
  assert.is(await commitAs(3), KafkaCode.ILLEGAL_GENERATION, 'a generation for a group that has none')
  assert.is(await commitAs(2), KafkaCode.NONE)
  close(h)
})

offsets('an abort drops the pending offsets', async () => {
  const h = open()
  const p = await init(h, 'a')
  await h.txn.addOffsetsToTxn({ transactionalId: 'a', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g2' }, 3)
  assert.is(await txnCommit(h, 'a', p, 'g2', 7), KafkaCode.NONE)
  await end(h, 'a', p.producerId, p.producerEpoch, false)
  await h.txn.whenIdle()
  assert.equal(await fetchOffset(h, 'g2', true), { offset: -1, errorCode: KafkaCode.NONE })
  close(h)
})

offsets('pending offsets survive a restart and are applied when the commit completes', async () => {
  const dir = tmpDir()
  try {
    const h = open(dir)
    const p = await init(h, 'a')
    await h.txn.addOffsetsToTxn({ transactionalId: 'a', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g3' }, 3)
    await txnCommit(h, 'a', p, 'g3', 9)
    close(h)
    const again = open(dir)
    assert.equal(await fetchOffset(again, 'g3', true), { offset: -1, errorCode: KafkaCode.UNSTABLE_OFFSET_COMMIT })
    assert.is(await end(again, 'a', p.producerId, p.producerEpoch, true), KafkaCode.NONE)
    await again.txn.whenIdle()
    close(again)
    const third = open(dir)
    assert.equal(await fetchOffset(third, 'g3', true), { offset: 9, errorCode: KafkaCode.NONE })
    close(third)
  } finally {
    removeDir(dir)
  }
})

offsets('a fenced producer cannot commit offsets', async () => {
  const h = open()
  const p = await init(h, 'a')
  await h.txn.addOffsetsToTxn({ transactionalId: 'a', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g4' }, 3)
  await init(h, 'a')
  await h.txn.whenIdle()
  assert.is(await txnCommit(h, 'a', p, 'g4', 1), KafkaCode.PRODUCER_FENCED)
  assert.is(await txnCommit(h, 'a', p, 'g4', 1, 1), KafkaCode.INVALID_PRODUCER_EPOCH)
  close(h)
})

offsets.run()

// ---

const admin = suite('DescribeTransactions and ListTransactions')

admin('list filters by state and producer id; describe answers TRANSACTIONAL_ID_NOT_FOUND for unknown ids', async () => {
  const h = open()
  const a = await init(h, 'a')
  const b = await init(h, 'b')
  await add(h, 'b', b.producerId, b.producerEpoch)
  const all = await h.txn.listTransactions({ stateFilters: [], producerIdFilters: [] })
  assert.equal(all.transactionStates.map((t) => t.transactionalId).sort(), ['a', 'b'])
  const ongoing = await h.txn.listTransactions({ stateFilters: ['Ongoing'], producerIdFilters: [] })
  assert.equal(ongoing.transactionStates, [{ transactionalId: 'b', producerId: b.producerId, transactionState: 'Ongoing' }])
  const byId = await h.txn.listTransactions({ stateFilters: [], producerIdFilters: [a.producerId] })
  assert.equal(byId.transactionStates.map((t) => t.transactionalId), ['a'])
  const described = await h.txn.describeTransactions({ transactionalIds: ['b', 'zzz'] })
  assert.is(described.transactionStates[0].transactionTimeoutMs, 10_000)
  assert.is(described.transactionStates[0].transactionStartTimeMs, h.clock.wall)
  assert.is(described.transactionStates[1].errorCode, 105)
  close(h)
})

admin.run()

// ---

const compaction = suite('transaction log compaction')

compaction('cleaning keeps one record per transactional id; the state replays the same', async () => {
  const dir = tmpDir()
  try {
    const overrides = { 'segment.bytes': '2000', 'min.cleanable.dirty.ratio': '0.1' }
    const h = open(dir, { log: CoordinatorLog.open(dir, overrides, undefined, TXN_LOG_DIR) })
    const p = await init(h, 'a')
    for (let i = 0; i < 30; i++) {
      await add(h, 'a', p.producerId, p.producerEpoch, [['t', [i % 4]]])
      assert.is(await end(h, 'a', p.producerId, p.producerEpoch, i % 2 === 0), KafkaCode.NONE)
      await h.txn.whenIdle()
    }
    const before = await h.txn.describeTransactions({ transactionalIds: ['a'] })
    const plan = await h.txn.planClean(Date.now())
    assert.ok(plan !== null, 'nothing to clean after 90 transitions of one id')
    assert.ok(await h.txn.commitClean(await h.txn.cleanInline(plan)))
    close(h)
    const again = open(dir, { log: CoordinatorLog.open(dir, overrides, undefined, TXN_LOG_DIR) })
    assert.equal(await again.txn.describeTransactions({ transactionalIds: ['a'] }), before)
    close(again)
  } finally {
    removeDir(dir)
  }
})

compaction.run()
