import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Broker } from '../../src/index.js'
import { collect } from '../helpers/collect.js'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'
import { CaptureLogger } from '../helpers/capture-logger.js'

const fault = suite('a partition worker dies mid-stream')

fault('the fault is reported with its cause, the worker restarts, and the broker keeps answering', async () => {
  const dir = tmpDir()
  const faults: Array<{ cause: Error }> = []
  const onFault = (message: unknown): void => { faults.push(message as { cause: Error }) }
  subscribe('millrace:partition:fault', onFault)
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDir: dir, workers: 2, logger: log.logger })
  try {
    await broker.createTopic({ topic: 'f', partitions: 2 })
    const producer = broker.producer({ acks: -1, retries: 20, retryBackoffMs: 20 })
    const sends: Array<Promise<unknown>> = []
    for (let i = 0; i < 50; i++) sends.push(producer.send({ topic: 'f', messages: [{ value: `before-${i}`, partition: 0 }] }))
    await Promise.all(sends)
    const p0 = broker.dispatcher.partition('f', 0)!
    const crashed = broker.dispatcher.crashWorkerOf(p0)
    // Sends racing the crash either land or are retried after the restart: none may be lost.
    const during: Array<Promise<unknown>> = []
    for (let i = 0; i < 50; i++) during.push(producer.send({ topic: 'f', messages: [{ value: `during-${i}`, partition: 0 }] }))
    await crashed
    await Promise.all(during)
    await broker.dispatcher.whenOnline()
    await producer.send({ topic: 'f', messages: [{ value: 'after', partition: 0 }] })

    assert.ok(faults.length >= 1, 'a fault event was published')
    assert.match(String(faults[0].cause?.message), /crash requested/)
    const died = log.find('partition worker died', 'error')
    assert.is(died.length, 1, 'the fault is logged once')
    assert.is(died[0]!.fields.subsystem, 'partition')
    assert.match(String((died[0]!.fields.err as Error).message), /crash requested/)
    assert.is(log.find('partition worker restarted', 'info').length, 1, 'the restart is logged')

    const consumer = broker.consumer({ maxWaitMs: 20 })
    consumer.assign([{ topic: 'f', partition: 0, offset: 0n }])
    const hw = Number((await broker.describeTopic('f')).partitions[0].highWatermark)
    assert.ok(hw >= 101)
    const values = (await collect(consumer, hw)).map((m) => m.value!.toString())
    for (let i = 0; i < 50; i++) assert.ok(values.includes(`before-${i}`), `before-${i} survived`)
    for (let i = 0; i < 50; i++) assert.ok(values.includes(`during-${i}`), `during-${i} was delivered`)
    assert.ok(values.includes('after'))
  } finally {
    unsubscribe('millrace:partition:fault', onFault)
    await broker.close()
    removeDir(dir)
  }
})

fault('a consumer resolving its start offset while the partition\'s worker restarts retries instead of throwing', async () => {
  const dir = tmpDir()
  const broker = await Broker.start({ dataDir: dir, workers: 1 })
  try {
    await broker.createTopic({ topic: 'r', partitions: 1 })
    await broker.producer({ acks: -1 }).send({ topic: 'r', messages: [{ value: 'kept', partition: 0 }] })
    const consumer = broker.consumer({ maxWaitMs: 20 })
    consumer.assign([{ topic: 'r', partition: 0, offset: 'earliest' }])
    // The worker is down when the consumer asks where 'earliest' is: a retriable WorkerFault.
    await broker.dispatcher.crashWorkerOf(broker.dispatcher.partition('r', 0)!)
    const got = await collect(consumer, 1)
    assert.equal(got.map((m) => m.value!.toString()), ['kept'])
    await consumer.close()
  } finally {
    await broker.close()
    removeDir(dir)
  }
})

fault.run()
