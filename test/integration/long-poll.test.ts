/**
 * Fetch long-polls wake on appends, including an append that lands after the poll read and
 * before it started waiting (the window a fetch handler or consumer passes through every time).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { FetchResponse } from '../../src/protocol/apis/fetch.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { WireClient } from './kafka-wire.js'

const poll = suite('long-poll wake-ups')

const race = (wait: Promise<void>): Promise<'woken' | 'still waiting'> => {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<'still waiting'>((resolve) => { timer = setTimeout(() => resolve('still waiting'), 5_000) })
  return Promise.race([wait.then(() => 'woken' as const), guard]).finally(() => clearTimeout(timer))
}

/** Resolves once a long-poll waits on partition 0 of `topic`: the append that follows wakes it. */
async function parkedOn (broker: Broker, topic: string): Promise<void> {
  const p = broker.dispatcher.partition(topic, 0)!
  while (broker.dispatcher.parkedPolls(p) === 0) await new Promise((resolve) => setTimeout(resolve, 5))
}

poll('an append between the read and the wait ends the wait at once', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    await broker.createTopic({ topic: 'window', partitions: 2 })
    const d = broker.dispatcher
    const watched = [d.partition('window', 0)!, d.partition('window', 1)!]
    const seen = d.appendCounts(watched)
    // The read found nothing; now an append lands before the poll registers.
    await broker.producer().send({ topic: 'window', messages: [{ key: 'k', value: 'v', partition: 1 }] })
    assert.is(await race(d.waitForData(watched, 60_000, seen)), 'woken')
    // Nothing new since: a poll that saw the current counts waits (until an append wakes it).
    const current = d.appendCounts(watched)
    const waiting = d.waitForData(watched, 60_000, current)
    let woke = false
    void waiting.then(() => { woke = true })
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.not.ok(woke, 'nothing appended since the read: the poll waits')
    const appended = broker.producer().send({ topic: 'window', messages: [{ key: 'k', value: 'v', partition: 0 }] })
    assert.is(await race(waiting), 'woken')
    await appended
  } finally {
    await broker.close()
  }
})

poll('a caught-up Fetch is answered from the high watermark the dispatcher saw, then reads what the next append brings', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1, port: 0 })
  const client = await WireClient.connect(broker.port!)
  const fetchAt = async (offset: number, maxWaitMs: number): Promise<FetchResponse['responses'][number]['partitions'][number]> => {
    const res = await client.request<FetchResponse>(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'tail', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: ''
    })
    return res.responses[0].partitions[0]
  }
  try {
    await broker.createTopic({ topic: 'tail', partitions: 1 })
    await broker.producer().send({ topic: 'tail', messages: Array.from({ length: 5 }, (_, i) => ({ value: `v${i}`, partition: 0 })) })
    await broker.dispatcher.deleteRecords(broker.dispatcher.partition('tail', 0)!, 2)
    const caughtUp = await fetchAt(5, 0)
    assert.is(caughtUp.errorCode, KafkaCode.NONE)
    assert.is((caughtUp.records as Buffer).length, 0)
    assert.is(Number(caughtUp.highWatermark), 5)
    assert.is(Number(caughtUp.lastStableOffset), 5)
    assert.is(Number(caughtUp.logStartOffset), 2)
    assert.equal(caughtUp.abortedTransactions, [], 'read_committed answers carry an (empty) aborted list')
    assert.is((await fetchAt(6, 0)).errorCode, KafkaCode.OFFSET_OUT_OF_RANGE, 'past the end still goes to the log')
    const parked = fetchAt(5, 5_000)
    await parkedOn(broker, 'tail')
    await broker.producer().send({ topic: 'tail', messages: [{ value: 'v5', partition: 0 }] })
    const woken = await parked
    assert.is(woken.errorCode, KafkaCode.NONE)
    assert.is(Number(woken.highWatermark), 6)
    assert.ok((woken.records as Buffer).length > 0, 'the parked fetch returns the new batch')
    assert.is(Number((woken.records as Buffer).readBigInt64BE(0)), 5, 'starting at offset 5')
    const again = await fetchAt(5, 0)
    assert.ok((again.records as Buffer).equals(woken.records as Buffer), 'the woken poll got the bytes the log holds')
  } finally {
    client.close()
    await broker.close()
  }
})

poll('a long-poll on a LogAppendTime topic gets the broker\'s timestamp', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    await broker.createTopic({ topic: 'stamped', partitions: 1, config: { 'message.timestamp.type': 'LogAppendTime' } })
    const consumer = broker.consumer({ maxWaitMs: 5_000 })
    consumer.assign([{ topic: 'stamped', partition: 0, offset: 0n }])
    const polled = consumer.poll()
    await parkedOn(broker, 'stamped')
    const before = Date.now()
    await broker.producer().send({ topic: 'stamped', messages: [{ value: 'v', timestamp: 1000 }] })
    const [m] = await polled
    await consumer.close()
    assert.ok(Number(m.timestamp) >= before, `timestamp ${m.timestamp} is the broker's, not the producer's 1000`)
  } finally {
    await broker.close()
  }
})

poll.run()
