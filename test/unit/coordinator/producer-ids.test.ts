import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, rmdirSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { COORDINATOR_DIR, PRODUCER_ID_BLOCK_SIZE, PRODUCER_ID_FILE, ProducerIds } from '../../../src/coordinator/producer-ids.js'
import { discover } from '../../../src/jobs/tasks.js'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import { MillraceError } from '../../../src/errors.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const idempotent = { transactionalId: null, transactionTimeoutMs: 60_000 }

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
  assert.is(readFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), 'latin1'), `0\n${PRODUCER_ID_BLOCK_SIZE}\n`)
  for (let i = 1; i < PRODUCER_ID_BLOCK_SIZE; i++) allocator.nextId()
  assert.is(allocator.nextId(), PRODUCER_ID_BLOCK_SIZE)
  assert.is(readFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), 'latin1'), `0\n${2 * PRODUCER_ID_BLOCK_SIZE}\n`)
})

ids('a damaged block file stops the allocator instead of starting again from 0', ({ dir }) => {
  mkdirSync(join(dir, COORDINATOR_DIR))
  writeFileSync(join(dir, COORDINATOR_DIR, PRODUCER_ID_FILE), 'garbage')
  try {
    ProducerIds.open(dir)
    assert.unreachable('opened a damaged file')
  } catch (err) {
    assert.ok(err instanceof MillraceError)
    assert.is(err.code, 'MR_ERR_STORAGE')
    assert.match(err.message, /producer-id-block is damaged/)
  }
})

ids('partition discovery does not take the coordinator directory for a partition', ({ dir }) => {
  ProducerIds.open(dir).nextId()
  assert.equal(discover(dir).partitions, [])
})

ids('a block that cannot be written answers a retriable error and gives no id', ({ dir }) => {
  const allocator = ProducerIds.open(dir)
  // The temp file of the atomic write cannot be created where a directory stands.
  const blocker = join(dir, COORDINATOR_DIR, `${PRODUCER_ID_FILE}.tmp`)
  mkdirSync(blocker)
  const res = allocator.initProducerId(idempotent, 1)
  assert.equal(res, { throttleTimeMs: 0, errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 })
  rmdirSync(blocker)
  assert.is(allocator.initProducerId(idempotent, 1).producerId, 0)
})

ids.run()

// ---

const init = suite('InitProducerId answers')

init('every version: an idempotent producer gets a new id at epoch 0', () => {
  const allocator = ProducerIds.open(null)
  for (let version = 0; version <= 4; version++) {
    const res = allocator.initProducerId({ ...idempotent, producerId: -1, producerEpoch: -1 }, version)
    assert.equal(res, { throttleTimeMs: 0, errorCode: KafkaCode.NONE, producerId: version, producerEpoch: 0 })
  }
})

init('v3+: a producer naming its id and epoch gets a new id (no transactional id), as Kafka does', () => {
  const allocator = ProducerIds.open(null)
  const first = allocator.initProducerId(idempotent, 3)
  const again = allocator.initProducerId({ ...idempotent, producerId: first.producerId, producerEpoch: 0 }, 3)
  assert.is(again.errorCode, KafkaCode.NONE)
  assert.is.not(again.producerId, first.producerId)
  assert.is(again.producerEpoch, 0)
})

init('v3+: an id without an epoch, or an epoch without an id, is INVALID_REQUEST', () => {
  const allocator = ProducerIds.open(null)
  assert.is(allocator.initProducerId({ ...idempotent, producerId: 5, producerEpoch: -1 }, 4).errorCode, KafkaCode.INVALID_REQUEST)
  assert.is(allocator.initProducerId({ ...idempotent, producerId: -1, producerEpoch: 2 }, 3).errorCode, KafkaCode.INVALID_REQUEST)
  // v0-2 carry neither field.
  assert.is(allocator.initProducerId({ ...idempotent, producerId: 5, producerEpoch: -1 }, 2).errorCode, KafkaCode.NONE)
})

init('a transactional id is refused with a non-retriable code; an empty one is INVALID_REQUEST', () => {
  const allocator = ProducerIds.open(null)
  const res = allocator.initProducerId({ transactionalId: 'tx-1', transactionTimeoutMs: 60_000 }, 4)
  assert.equal(res, { throttleTimeMs: 0, errorCode: KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 })
  assert.is(allocator.initProducerId({ transactionalId: '', transactionTimeoutMs: 60_000 }, 1).errorCode, KafkaCode.INVALID_REQUEST)
  assert.is(allocator.nextId(), 0, 'no id was used up by refused requests')
})

init.run()
