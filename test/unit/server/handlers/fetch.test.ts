import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { handleFetch } from '../../../../src/server/handlers/fetch.js'
import type { FetchRequest } from '../../../../src/protocol/apis/fetch.js'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import { LogStatus } from '../../../../src/log/errors.js'
import { resolveBrokerConfig } from '../../../../src/config/broker-config.js'
import { OPEN_ACCESS } from '../../../../src/server/access.js'
import type { RequestContext } from '../../../../src/server/context.js'
import type { Dispatcher } from '../../../../src/dispatcher/dispatcher.js'
import type { PartitionRouter } from '../../../../src/dispatcher/partition-router.js'
import { TopicTable, type PartitionState } from '../../../../src/dispatcher/topic-table.js'
import type { AppendAnswer, DeleteRecordsAnswer, FetchAnswer, ListOffsetAnswer } from '../../../../src/partition/frame-codec.js'

/** Partition I/O without workers: fetches answer from a script, and every call is noted. */
class ScriptedRouter implements PartitionRouter {
  readonly maxAppendBytes = 1 << 20
  readonly fetches: Array<{ offset: number, maxBytes: number, isolation: number }> = []
  readonly waits: Array<{ ids: number[], maxWaitMs: number, seen: readonly number[] | undefined }> = []
  readonly #answers: Array<FetchAnswer | Error>

  constructor (answers: Array<FetchAnswer | Error>) { this.#answers = answers }

  async fetch (_p: PartitionState, offset: number, maxBytes: number, isolation = 0): Promise<FetchAnswer> {
    this.fetches.push({ offset, maxBytes, isolation })
    const next = this.#answers.shift()
    if (next === undefined) throw new Error('no scripted answer left')
    if (next instanceof Error) throw next
    return next
  }

  appendCounts (partitions: readonly PartitionState[]): number[] { return partitions.map((p) => p.appends) }

  async waitForData (partitions: readonly PartitionState[], maxWaitMs: number, seen?: readonly number[]): Promise<void> {
    this.waits.push({ ids: partitions.map((p) => p.id), maxWaitMs, seen })
  }

  async append (): Promise<AppendAnswer> { throw new Error('not used by Fetch') }
  async listOffset (): Promise<ListOffsetAnswer> { throw new Error('not used by Fetch') }
  async deleteRecords (): Promise<DeleteRecordsAnswer> { throw new Error('not used by Fetch') }
}

function answer (status: LogStatus, bytes: Buffer, highWatermark: number): FetchAnswer {
  return { status, bytes, abortedTransactions: null, highWatermark, logStartOffset: 0, logEndOffset: highWatermark, lastStableOffset: highWatermark }
}

function setup (answers: Array<FetchAnswer | Error>): { ctx: RequestContext, router: ScriptedRouter, p: PartitionState } {
  const topics = new TopicTable()
  const topic = topics.addTopic('handler-fetch', TopicTable.newTopicId(), {})
  const p = topics.addPartition(topic, 0, 0)
  p.online = true
  const router = new ScriptedRouter(answers)
  // The parts of the dispatcher the Fetch handler reads: the topic table and the router.
  const dispatcher = { topics, topic: (name: string) => topics.get(name), router } as unknown as Dispatcher
  const ctx: RequestContext = {
    dispatcher,
    config: resolveBrokerConfig({}),
    apiVersion: 11,
    clientId: 'handler-test',
    localHost: '127.0.0.1',
    localPort: 9092,
    remoteHost: '127.0.0.1',
    principal: 'User:ANONYMOUS',
    access: OPEN_ACCESS,
    stopWaiting: new AbortController().signal
  }
  return { ctx, router, p }
}

function request (maxWaitMs: number, minBytes: number, isolationLevel = 0): FetchRequest {
  return {
    replicaId: -1, maxWaitMs, minBytes, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'handler-fetch', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 5, logStartOffset: -1, partitionMaxBytes: 4096 }] }],
    forgottenTopicsData: [], rackId: ''
  }
}

const fetch = suite('Fetch handler against a PartitionRouter')

fetch('passes offset, size and isolation to the router and answers its bytes and offsets', async () => {
  const bytes = Buffer.from('not parsed by the handler')
  const { ctx, router } = setup([answer(LogStatus.Ok, bytes, 9)])
  const res = await handleFetch(ctx, request(0, 1, 1))
  assert.equal(router.fetches, [{ offset: 5, maxBytes: 4096, isolation: 1 }])
  const pd = res.responses[0].partitions[0]
  assert.is(pd.errorCode, KafkaCode.NONE)
  assert.is(pd.highWatermark, 9)
  assert.is(pd.lastStableOffset, 9)
  assert.equal(pd.abortedTransactions, [], 'read_committed lists aborted transactions, here none')
  assert.is(pd.records, bytes)
})

fetch('a refused read answers its Kafka code', async () => {
  const { ctx } = setup([answer(LogStatus.OffsetOutOfRange, Buffer.alloc(0), 3)])
  const res = await handleFetch(ctx, request(0, 1))
  assert.is(res.responses[0].partitions[0].errorCode, KafkaCode.OFFSET_OUT_OF_RANGE)
})

fetch('a router that throws answers NOT_LEADER_OR_FOLLOWER (retriable)', async () => {
  const { ctx } = setup([new Error('worker gone')])
  const res = await handleFetch(ctx, request(0, 1))
  assert.is(res.responses[0].partitions[0].errorCode, KafkaCode.NOT_LEADER_OR_FOLLOWER)
})

fetch('too few bytes parks the poll on the router, then reads again', async () => {
  const bytes = Buffer.from('arrived while parked')
  const { ctx, router, p } = setup([answer(LogStatus.Ok, Buffer.alloc(0), 5), answer(LogStatus.Ok, bytes, 6)])
  const res = await handleFetch(ctx, request(30_000, 1))
  assert.is(router.waits.length, 1)
  assert.equal(router.waits[0].ids, [p.id])
  assert.equal(router.waits[0].seen, [0], 'the append count seen before the first read')
  assert.ok(router.waits[0].maxWaitMs > 0 && router.waits[0].maxWaitMs <= 30_000)
  assert.is(router.fetches.length, 2)
  assert.is(res.responses[0].partitions[0].records, bytes)
})

fetch.run()
