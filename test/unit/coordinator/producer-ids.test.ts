import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, rmdirSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { COORDINATOR_DIR, PRODUCER_ID_BLOCK_SIZE, PRODUCER_ID_FILE, ProducerIds, rebuiltStart } from '../../../src/coordinator/producer-ids.js'
import { discover } from '../../../src/jobs/tasks.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import { crc32c } from '../../../src/protocol/crc32c.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const idempotent = { producerId: -1, producerEpoch: -1 }

interface Ctx { dir: string }
const ids = suite<Ctx>('producer ids', { dir: '' })
ids.before.each(ctx => { ctx.dir = tmpDir('millrace-pids-') })
ids.after.each(ctx => { removeDir(ctx.dir) })

ids('ids never repeat across restarts, even without a clean stop', ({ dir }) => {
  const seen = new Set<number>()
  for (let run = 0; run < 4; run++) {
    const allocator = ProducerIds.open(dir)
    const n = run === 2 ? PRODUCER_ID_BLOCK_SIZE + 5 : 3
    for (let i = 0; i < n; i++) {
      const id = allocator.nextId()
      assert.not.ok(seen.has(id), `id ${id} given twice (run ${run})`)
      seen.add(id)
    }
    // No close: a restart is a new allocator reading what the last one reserved.
  }
  assert.is(seen.size, 3 + 3 + PRODUCER_ID_BLOCK_SIZE + 5 + 3)
})

ids('the reserved block is on disk before its first id is given', ({ dir }) => {
  const allocator = ProducerIds.open(dir)
  assert.not.ok(existsSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE)), 'nothing reserved before the first id')
  assert.is(allocator.nextId(), 0)
  assert.is(readFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), 'latin1'), blockFile(PRODUCER_ID_BLOCK_SIZE))
  for (let i = 1; i < PRODUCER_ID_BLOCK_SIZE; i++) allocator.nextId()
  assert.is(allocator.nextId(), PRODUCER_ID_BLOCK_SIZE)
  assert.is(readFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), 'latin1'), blockFile(2 * PRODUCER_ID_BLOCK_SIZE))
})

/** The block file as written: version 1, the end of the block, the CRC-32C of both lines. */
function blockFile (end: number): string {
  const body = `1\n${end}\n`
  return `${body}${crc32c(Buffer.from(body)).toString(16)}\n`
}

function writeBlockFile (dir: string, text: string): void {
  mkdirSync(join(dir, COORDINATOR_DIR), { recursive: true })
  writeFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), text)
}

ids('a damaged block file (garbage, or a flipped digit the CRC catches) is logged; ids go on above the logs\' largest', ({ dir }) => {
  for (const damaged of ['garbage', blockFile(3000).replace('3000', '2000'), blockFile(3000).slice(0, -3)]) {
    writeBlockFile(dir, damaged)
    const logger = new CaptureLogger()
    const allocator = ProducerIds.open(dir, { largestIdInLogs: 2500, logger: logger.logger })
    const id = allocator.nextId()
    assert.is(id, 4000, 'past the block of 2500 and one more')
    const lines = logger.find('producer id block file is damaged', 'error')
    assert.is(lines.length, 1, `logged for ${JSON.stringify(damaged)}`)
    assert.is(lines[0].fields.largestIdInLogs, 2500)
    assert.match(String(lines[0].fields.file), PRODUCER_ID_FILE)
    assert.is(readFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), 'latin1'), blockFile(5000), 'a sound file replaces it')
  }
})

ids('a lost block file: ids go on above the largest id in the logs, logged', ({ dir }) => {
  const first = ProducerIds.open(dir)
  for (let i = 0; i < 7; i++) first.nextId()
  rmSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE))
  const logger = new CaptureLogger()
  const id = ProducerIds.open(dir, { largestIdInLogs: 6, logger: logger.logger }).nextId()
  assert.is(id, rebuiltStart(6))
  assert.ok(id >= 2 * PRODUCER_ID_BLOCK_SIZE, 'past the block given out and one more')
  assert.is(logger.find('producer id block file is missing', 'warn').length, 1)
})

ids('a lost block file and no producer in the logs: ids given before (the directory is there) are still skipped', ({ dir }) => {
  ProducerIds.open(dir).nextId()
  rmSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE))
  const logger = new CaptureLogger()
  assert.is(ProducerIds.open(dir, { largestIdInLogs: -1, logger: logger.logger }).nextId(), 2 * PRODUCER_ID_BLOCK_SIZE)
  assert.is(logger.find('missing').length, 1)
})

ids('a block file below an id the logs hold (restored from an old copy) is not trusted', ({ dir }) => {
  writeBlockFile(dir, blockFile(1000))
  const logger = new CaptureLogger()
  assert.is(ProducerIds.open(dir, { largestIdInLogs: 1000, logger: logger.logger }).nextId(), 3000)
  assert.is(logger.find('older than the logs', 'warn').length, 1)
  // A sound file above every id in the logs is used as it is, silently.
  const quiet = new CaptureLogger()
  assert.is(ProducerIds.open(dir, { largestIdInLogs: 1000, logger: quiet.logger }).nextId(), 4000)
  assert.is(quiet.lines.length, 0)
})

ids('a version 0 block file (no CRC) is still read', ({ dir }) => {
  writeBlockFile(dir, '0\n5000\n')
  assert.is(ProducerIds.open(dir, { largestIdInLogs: 4200 }).nextId(), 5000)
})

ids('a fresh data dir starts at 0, silently', ({ dir }) => {
  const logger = new CaptureLogger()
  assert.is(ProducerIds.open(dir, { largestIdInLogs: -1, logger: logger.logger }).nextId(), 0)
  assert.is(logger.lines.length, 0)
})

ids('partition discovery does not take the coordinator directory for a partition', ({ dir }) => {
  ProducerIds.open(dir).nextId()
  assert.equal(discover([dir]).partitions, [])
})

ids('a block that cannot be written answers a retriable error and gives no id', ({ dir }) => {
  const allocator = ProducerIds.open(dir)
  // The temp file of the atomic write cannot be created where a directory stands.
  const blocker = join(dir, COORDINATOR_DIR, `${PRODUCER_ID_FILE}.tmp`)
  mkdirSync(blocker)
  const res = allocator.initProducerId(idempotent)
  assert.equal(res, { errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 })
  rmdirSync(blocker)
  assert.is(allocator.initProducerId(idempotent).producerId, 0)
})

ids.run()

// ---

const init = suite('producer ids for idempotent producers')

init('a producer that names no id gets a new id at epoch 0, one after another', () => {
  const allocator = ProducerIds.open(null)
  for (let i = 0; i < 3; i++) assert.equal(allocator.initProducerId(idempotent), { errorCode: KafkaCode.NONE, producerId: i, producerEpoch: 0 })
})

init('a producer naming its id and epoch gets a new id, as Kafka does without a transactional id', () => {
  const allocator = ProducerIds.open(null)
  const first = allocator.initProducerId(idempotent)
  const again = allocator.initProducerId({ producerId: first.producerId, producerEpoch: 0 })
  assert.is(again.errorCode, KafkaCode.NONE)
  assert.is.not(again.producerId, first.producerId)
  assert.is(again.producerEpoch, 0)
})

init('an id without an epoch, or an epoch without an id, is INVALID_REQUEST and uses no id', () => {
  const allocator = ProducerIds.open(null)
  assert.is(allocator.initProducerId({ producerId: 5, producerEpoch: -1 }).errorCode, KafkaCode.INVALID_REQUEST)
  assert.is(allocator.initProducerId({ producerId: -1, producerEpoch: 2 }).errorCode, KafkaCode.INVALID_REQUEST)
  assert.is(allocator.nextId(), 0, 'no id was used up by refused requests')
})

init.run()
