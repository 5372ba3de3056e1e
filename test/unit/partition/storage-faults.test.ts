import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StorageFaultLog } from '../../../src/partition/storage-faults.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'

const faults = suite('StorageFaultLog')

const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

faults('a fault is logged with the directory, operation and errno code; a storm once a second with the held-back count', () => {
  const capture = new CaptureLogger()
  let now = 5_000
  const log = new StorageFaultLog(capture.logger, { now: () => now })
  const where = { topic: 'orders', partition: 3, dir: '/data/orders-3' }
  for (let i = 0; i < 50; i++) log.report(where, 'append', enospc())
  assert.is(capture.lines.length, 1)
  const [line] = capture.lines
  assert.is(line.level, 'error')
  assert.match(line.msg, 'disk full during append')
  assert.match(line.msg, 'KAFKA_STORAGE_ERROR')
  assert.equal([line.fields.dir, line.fields.op, line.fields.code, line.fields.topic, line.fields.partition, line.fields.suppressed], ['/data/orders-3', 'append', 'ENOSPC', 'orders', 3, 0])
  now += 1000
  log.report(where, 'append', enospc())
  assert.is(capture.lines.length, 2)
  assert.is(capture.lines[1].fields.suppressed, 49)
})

faults('another operation, code or partition gets its own line; a log in memory is named', () => {
  const capture = new CaptureLogger()
  const log = new StorageFaultLog(capture.logger, { now: () => 0 })
  log.report({ topic: 'a', partition: 0, dir: null }, 'append', enospc())
  log.report({ topic: 'a', partition: 0, dir: null }, 'fsync', enospc())
  log.report({ topic: 'a', partition: 0, dir: null }, 'roll', Object.assign(new Error('EMFILE'), { code: 'EMFILE' }))
  log.report({ topic: 'a', partition: 1, dir: null }, 'append', enospc())
  assert.is(capture.lines.length, 4)
  assert.is(capture.lines[0].fields.dir, '(memory) a-0')
  assert.match(capture.lines[2].msg, 'out of file descriptors')
})

faults.run()
