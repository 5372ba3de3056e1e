/**
 * A partition worker whose disk fails (ENOSPC, EMFILE …, injected through the in-memory store):
 * the producer gets KAFKA_STORAGE_ERROR for that partition, the broker's log gets one line
 * naming the errno code, the operation and the partition, and the partition works again once
 * the disk does.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { CaptureLogger, type LogLine } from '../helpers/capture-logger.js'
import { WireClient } from './kafka-wire.js'

interface Ctx { broker: Broker, capture: CaptureLogger, client: WireClient }
const storage = suite<Ctx>('storage errors reach the client and the log')

storage.before(async (ctx) => {
  ctx.capture = new CaptureLogger()
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1, logger: ctx.capture.logger })
  ctx.client = await WireClient.connect(ctx.broker.port!)
})
storage.after(async (ctx) => {
  ctx.client.close()
  await ctx.broker.close()
})

async function produce (client: WireClient, topic: string, value: string): Promise<number> {
  const b = new BatchBuilder()
  b.append(Date.now(), null, Buffer.from(value))
  const res = await client.request<ProduceResponse>(ApiKey.Produce, 7, {
    transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: b.build() }] }]
  })
  return res.responses[0].partitionResponses[0].errorCode
}

/** Worker log lines arrive by message: wait until one matches (bounded). */
async function logged (capture: CaptureLogger, match: (l: LogLine) => boolean): Promise<LogLine[]> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const lines = capture.lines.filter(match)
    if (lines.length > 0) return lines
    if (Date.now() > deadline) throw new Error('no matching log line within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

storage('ENOSPC on append: KAFKA_STORAGE_ERROR for the producer, one log line, then the partition works again', async ({ broker, capture, client }) => {
  const topic = `storage-enospc-${process.pid}`
  await broker.createTopic({ topic, partitions: 1 })
  const p = broker.dispatcher.partition(topic, 0)!
  try {
    for (let i = 0; i < 3; i++) {
      await broker.dispatcher.injectStorageFault(p, { op: 'write', code: 'ENOSPC' })
      assert.is(await produce(client, topic, `refused-${i}`), KafkaCode.KAFKA_STORAGE_ERROR)
    }
    const lines = await logged(capture, (l) => l.fields.topic === topic && l.fields.code === 'ENOSPC')
    assert.is(lines.length, 1, 'three failures within a second give one line')
    const [line] = lines
    assert.is(line.level, 'error')
    assert.equal([line.fields.op, line.fields.partition, line.fields.dir, line.fields.subsystem, line.fields.worker], ['append', 0, `(memory) ${topic}-0`, 'partition', 0])
    assert.match(line.msg, 'disk full')
    assert.is(await produce(client, topic, 'accepted'), KafkaCode.NONE)
    assert.is(p.highWatermark, 1, 'only the accepted record is in the log')
  } finally {
    await broker.deleteTopic(topic)
  }
})

storage('EMFILE when a segment rolls: the append fails and the line names the roll', async ({ broker, capture, client }) => {
  const topic = `storage-emfile-${process.pid}`
  // Segments of 100 bytes: the second append needs a new segment, whose files cannot be opened.
  await broker.createTopic({ topic, partitions: 1, config: { 'segment.bytes': '100' } })
  const p = broker.dispatcher.partition(topic, 0)!
  try {
    assert.is(await produce(client, topic, 'first'), KafkaCode.NONE)
    await broker.dispatcher.injectStorageFault(p, { op: 'open', code: 'EMFILE' })
    assert.is(await produce(client, topic, 'second'), KafkaCode.KAFKA_STORAGE_ERROR)
    const [line] = await logged(capture, (l) => l.fields.topic === topic && l.fields.code === 'EMFILE')
    assert.is(line.fields.op, 'roll')
    assert.match(line.msg, 'out of file descriptors')
  } finally {
    await broker.deleteTopic(topic)
  }
})

storage.run()
