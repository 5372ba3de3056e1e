import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../../src/broker.js'
import { claimEarlyWorker, earlyWorkerCount, spawnEarlyWorkers } from '../../../src/dispatcher/early-workers.js'

test('earlyWorkerCount: the default, --workers in both spellings, help, and values left to the real parser', () => {
  assert.is(earlyWorkerCount([], 2), 1)
  assert.is(earlyWorkerCount([], 8), 7)
  assert.is(earlyWorkerCount([], 1), 1)
  assert.is(earlyWorkerCount(['--port', '0', '--workers', '3'], 2), 3)
  assert.is(earlyWorkerCount(['--workers=4', '--memory'], 2), 4)
  assert.is(earlyWorkerCount(['--help'], 2), 0)
  assert.is(earlyWorkerCount(['-h'], 2), 0)
  assert.is(earlyWorkerCount(['--workers', 'many'], 2), 0)
  assert.is(earlyWorkerCount(['--workers', '0'], 2), 0)
  assert.is(earlyWorkerCount(['--workers'], 2), 0)
})

test('a broker takes threads spawned early, gives them their settings, and releases the ones it does not need', async () => {
  spawnEarlyWorkers(3)
  const broker = await Broker.start({ dataDir: null, workers: 2 })
  try {
    assert.is(claimEarlyWorker(), undefined, 'the third thread was released, not left waiting')
    await broker.createTopic({ topic: 'early', partitions: 4 })
    const acks = await broker.producer().send({ topic: 'early', messages: [0, 1, 2, 3].map((partition) => ({ value: `v${partition}`, partition })) })
    assert.equal(acks.map((a) => a.partition).sort(), [0, 1, 2, 3])
    const consumer = broker.consumer({ maxWaitMs: 100 })
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 'early', partition, offset: 0n })))
    const seen = new Set<string>()
    while (seen.size < 4) for (const m of await consumer.poll()) seen.add(m.value!.toString())
    await consumer.close()
    assert.equal([...seen].sort(), ['v0', 'v1', 'v2', 'v3'])
  } finally {
    await broker.close()
  }
})

test.run()
