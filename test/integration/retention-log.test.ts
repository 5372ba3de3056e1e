import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'

const retention = suite('retention deletes segments')

retention('each deletion is a log line naming the partition, the segments and the new log start', async () => {
  const dir = tmpDir()
  const log = new CaptureLogger()
  const broker = await Broker.start({ dataDir: dir, workers: 1, retentionCheckIntervalMs: 50, logger: log.logger })
  try {
    const topic = uniqueTopic('retention')
    await broker.createTopic({ topic, partitions: 1, config: { 'segment.bytes': '1048576', 'retention.bytes': '1048576' } })
    const producer = broker.producer({ acks: 1 })
    const value = Buffer.alloc(1000, 'x')
    for (let i = 0; i < 40; i++) await producer.send({ topic, messages: Array.from({ length: 100 }, () => ({ value, partition: 0 })) })
    await until('a retention log line', () => log.find('retention deleted segments').length > 0)
    const line = log.find('retention deleted segments', 'info')[0]!
    assert.is(line.fields.partition, `${topic}-0`)
    assert.ok((line.fields.segments as number) >= 1)
    const start = (await broker.describeTopic(topic)).partitions[0]!.logStartOffset
    assert.ok(start > 0n, 'the log start moved')
    assert.ok((line.fields.logStartOffset as number) > (line.fields.previousLogStartOffset as number))
  } finally {
    await broker.close()
    removeDir(dir)
  }
})

retention.run()
