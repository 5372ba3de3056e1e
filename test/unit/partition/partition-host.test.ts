import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PartitionHost } from '../../../src/partition/partition-host.js'
import {
  appendRequest, deleteRecordsRequest, fetchRequest, listOffsetRequest, readAnswer, requestFrameBytes, writeRequest,
  type AppendAnswer, type DeleteRecordsAnswer, type FetchAnswer, type ListOffsetAnswer, type PartitionAnswer, type RequestFrame
} from '../../../src/partition/frame-codec.js'
import { LIST_OFFSET_EARLIEST, LIST_OFFSET_LATEST } from '../../../src/partition/frames.js'
import { createRing, RingReader, RingWriter } from '../../../src/ring/ring.js'
import { LogStatus } from '../../../src/log/errors.js'
import { silentLogger } from '../../../src/logger.js'
import { BatchBuilder } from '../../../src/protocol/record-batch.js'
import { baseOffsetOf, kPartitionLeaderEpoch } from '../../../src/protocol/batch-header.js'

const PARTITION_ID = 7
const LEADER_EPOCH = 3

/** A PartitionHost on this thread, driven through the frame codec over two in-process rings. */
class HostOnRings {
  readonly host: PartitionHost
  readonly #requests: RingWriter
  readonly #responses: RingReader
  readonly #out: DataView
  readonly #in: DataView
  #nextId = 1

  constructor (overrides: Record<string, string> = {}) {
    const requestRing = createRing(1 << 20)
    const responseRing = createRing(1 << 20)
    this.host = new PartitionHost({ dataDir: null, requestRing, responseRing, topicDefaults: {}, retentionCheckIntervalMs: 3_600_000 }, silentLogger)
    this.#requests = new RingWriter(requestRing)
    this.#responses = new RingReader(responseRing)
    const out = this.#requests.bytes
    const inBytes = this.#responses.bytes
    this.#out = new DataView(out.buffer, out.byteOffset, out.byteLength)
    this.#in = new DataView(inBytes.buffer, inBytes.byteOffset, inBytes.byteLength)
    this.host.openPartition({ id: PARTITION_ID, topic: 'host-test', topicId: '0'.repeat(32), partition: 0, overrides, leaderEpoch: LEADER_EPOCH }, true)
  }

  /** Sends one request, lets the host serve it, and reads its answer. */
  call (frame: RequestFrame): PartitionAnswer {
    const bytes = requestFrameBytes(frame)
    const at = this.#requests.reserve(bytes)
    assert.ok(at >= 0, 'the request ring has room')
    writeRequest(this.#out, this.#requests.bytes, at, this.#nextId++, frame)
    this.#requests.commit(bytes)
    assert.is(this.host.serve(), 1)
    const answerAt = this.#responses.next()
    assert.ok(answerAt >= 0, 'the host answered')
    const answer = readAnswer(this.#in, this.#responses.bytes, answerAt, this.#responses.frameLength)
    this.#responses.release()
    return answer
  }

  append (batches: Buffer, returnStored = false): AppendAnswer {
    return this.call(appendRequest(PARTITION_ID, LEADER_EPOCH, batches, returnStored)) as AppendAnswer
  }

  fetch (offset: number, isolation = 0): FetchAnswer {
    return this.call(fetchRequest(PARTITION_ID, offset, 1 << 20, isolation)) as FetchAnswer
  }

  close (): void { this.host.close() }
}

function batch (values: string[], options: ConstructorParameters<typeof BatchBuilder>[0] = {}): Buffer {
  const builder = new BatchBuilder(options)
  for (const v of values) builder.append(1_700_000_000_000, null, Buffer.from(v))
  return builder.build()
}

const host = suite('PartitionHost over in-process rings')

host('an append answers its base offset and the partition offsets; a fetch returns the batches as stored', () => {
  const h = new HostOnRings()
  try {
    const first = h.append(batch(['a', 'b']))
    assert.is(first.status, LogStatus.Ok)
    assert.is(first.baseOffset, 0)
    assert.is(first.logAppendTime, -1)
    assert.is(first.fault, null)
    assert.is(first.storedBytes, null, 'not asked for')
    assert.equal([first.logStartOffset, first.highWatermark, first.logEndOffset, first.lastStableOffset], [0, 2, 2, 2])
    const second = h.append(batch(['c']))
    assert.is(second.baseOffset, 2)
    assert.is(second.logEndOffset, 3)

    const read = h.fetch(1)
    assert.is(read.status, LogStatus.Ok)
    assert.is(read.abortedTransactions, null)
    assert.is(read.highWatermark, 3)
    // Whole batches: the one holding offset 1 starts at 0.
    assert.is(baseOffsetOf(read.bytes!, 0), 0)
    assert.is(read.bytes!.readInt32BE(kPartitionLeaderEpoch), LEADER_EPOCH)
    const past = h.fetch(3)
    assert.is(past.status, LogStatus.Ok)
    assert.is(past.bytes!.length, 0)
    assert.is(h.fetch(9).status, LogStatus.OffsetOutOfRange)
  } finally { h.close() }
})

host('an append that asks for them answers with its batches byte for byte as the log stored them', () => {
  const h = new HostOnRings()
  try {
    h.append(batch(['x']))
    const sent = batch(['y', 'z'])
    const answer = h.append(sent, true)
    assert.is(answer.status, LogStatus.Ok)
    assert.ok(answer.storedBytes !== null)
    assert.is(baseOffsetOf(answer.storedBytes, 0), 1, 'its offset is patched in')
    assert.ok(answer.storedBytes.equals(h.fetch(1).bytes!), 'the same bytes a fetch returns')
  } finally { h.close() }
})

host('stored bytes carry the LogAppendTime stamp and CRC the log wrote', () => {
  const h = new HostOnRings({ 'message.timestamp.type': 'LogAppendTime' })
  try {
    const sent = batch(['stamped'])
    const answer = h.append(Buffer.from(sent), true)
    assert.ok(answer.logAppendTime > 0)
    assert.ok(answer.storedBytes !== null)
    assert.not.ok(answer.storedBytes.equals(sent), 'the log rewrote the batch')
    assert.ok(answer.storedBytes.equals(h.fetch(0).bytes!))
  } finally { h.close() }
})

host('an idempotent duplicate carries no stored bytes: nothing was stored', () => {
  const h = new HostOnRings()
  try {
    const idempotent = (): Buffer => batch(['once'], { producerId: 42, producerEpoch: 0, baseSequence: 0 })
    assert.ok(h.append(idempotent(), true).storedBytes !== null)
    const duplicate = h.append(idempotent(), true)
    assert.is(duplicate.status, LogStatus.Ok)
    assert.is(duplicate.baseOffset, 0)
    assert.is(duplicate.storedBytes, null)
    assert.is(duplicate.logEndOffset, 1)
  } finally { h.close() }
})

host('a refused append answers its fault and appends nothing', () => {
  const h = new HostOnRings()
  try {
    const damaged = batch(['bad'])
    damaged[damaged.length - 1] ^= 0xff
    const answer = h.append(damaged, true)
    assert.is(answer.status, LogStatus.CorruptMessage)
    assert.ok(answer.fault !== null)
    assert.match(answer.fault.message, 'CRC')
    assert.equal(answer.fault.recordIndexes, [])
    assert.is(answer.storedBytes, null)
    assert.is(answer.logEndOffset, 0)
  } finally { h.close() }
})

host('list offset answers earliest, latest and an offset by timestamp; delete records moves the log start', () => {
  const h = new HostOnRings()
  try {
    h.append(batch(['a', 'b', 'c']))
    const latest = h.call(listOffsetRequest(PARTITION_ID, LIST_OFFSET_LATEST, 0)) as ListOffsetAnswer
    assert.equal([latest.status, latest.offset], [LogStatus.Ok, 3])
    const byTime = h.call(listOffsetRequest(PARTITION_ID, 1_700_000_000_000, 0)) as ListOffsetAnswer
    assert.equal([byTime.offset, byTime.timestamp], [0, 1_700_000_000_000])
    const deleted = h.call(deleteRecordsRequest(PARTITION_ID, 2)) as DeleteRecordsAnswer
    assert.equal([deleted.status, deleted.logStartOffset], [LogStatus.Ok, 2])
    const earliest = h.call(listOffsetRequest(PARTITION_ID, LIST_OFFSET_EARLIEST, 0)) as ListOffsetAnswer
    assert.is(earliest.offset, 2)
  } finally { h.close() }
})

host('a request for a partition the host does not hold answers UnknownPartition with unknown offsets', () => {
  const h = new HostOnRings()
  try {
    const answer = h.call(fetchRequest(PARTITION_ID + 1, 0, 1024, 0)) as FetchAnswer
    assert.is(answer.status, LogStatus.UnknownPartition)
    assert.is(answer.highWatermark, -1)
  } finally { h.close() }
})

host.run()
