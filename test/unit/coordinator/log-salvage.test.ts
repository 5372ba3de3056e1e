/**
 * A damaged batch in the coordinator log, after a clean stop and after a crash: it is cut out
 * and logged, every other group's offsets load, and new commits work.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GroupCoordinator } from '../../../src/coordinator/group-coordinator.js'
import { CoordinatorLog } from '../../../src/coordinator/coordinator-log.js'
import { OFFSETS_DIR } from '../../../src/coordinator/offsets-topic.js'
import { kBatchLength } from '../../../src/protocol/batch-header.js'
import { RECOVERY_POINT_FILE } from '../../../src/log/checkpoint.js'
import { CaptureLogger } from '../../helpers/capture-logger.js'
import { damageCoordinatorBatchOf } from '../../helpers/damage.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const GROUPS = ['g-0', 'g-1', 'g-2', 'g-3', 'g-4']
const DAMAGED = 'g-2'

function open (dir: string, logger = new CaptureLogger()): { c: GroupCoordinator, log: CoordinatorLog } {
  const log = CoordinatorLog.open(dir, {}, logger.logger)
  const c = GroupCoordinator.load({
    log, initialRebalanceDelayMs: 30, minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, offsetsRetentionMs: 60_000, offsetMetadataMaxBytes: 16
  })
  void c.setTopics({ t: 2 })
  return { c, log }
}

/** A standalone commit (no member): one batch in the log per call. */
async function commit (c: GroupCoordinator, groupId: string, offset: number): Promise<number> {
  const res = await c.commitOffsets({
    groupId, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: null }] }]
  })
  return res.topics[0].partitions[0].errorCode
}

async function fetched (c: GroupCoordinator, groupId: string): Promise<number | undefined> {
  const res = await c.fetchOffsets({ groups: [{ groupId, topics: null }], requireStable: false })
  return res.groups[0].topics[0]?.partitions[0]?.offset
}

/** Commits 1000 + i for each group, in order, then a later commit for the first group. */
async function commitAll (dir: string): Promise<void> {
  const { c } = open(dir)
  for (const [i, g] of GROUPS.entries()) assert.is(await commit(c, g, 1000 + i), 0)
  assert.is(await commit(c, GROUPS[0], 2000), 0, 'a batch after the damaged one updates an earlier group')
  c.close()
}

async function assertLoadedAroundDamage (dir: string, logger: CaptureLogger): Promise<GroupCoordinator> {
  const { c } = open(dir, logger)
  assert.is(await fetched(c, GROUPS[0]), 2000)
  for (const [i, g] of GROUPS.entries()) {
    if (g !== DAMAGED && i > 0) assert.is(await fetched(c, g), 1000 + i, `${g} kept its commit`)
  }
  assert.is(await fetched(c, DAMAGED), undefined, 'the damaged commit is not served (nor a garbled value)')
  const lines = logger.find('cut out a damaged batch', 'error')
  assert.is(lines.length, 1)
  assert.match(String(lines[0].fields.dir), OFFSETS_DIR)
  assert.is(lines[0].fields.segment, '00000000000000000000.log')
  assert.is(lines[0].fields.firstOffset, 2, 'the lost offsets are named')
  assert.is(lines[0].fields.lastOffset, 2)
  // The coordinator works: a new group commits, the damaged one commits again.
  assert.is(await commit(c, 'g-new', 7), 0)
  assert.is(await commit(c, DAMAGED, 8), 0)
  return c
}

const salvage = suite('coordinator log: a damaged batch')

salvage('after a clean stop: cut out and logged; every other group loads, new commits work and survive', async () => {
  const dir = tmpDir('millrace-salvage-')
  try {
    await commitAll(dir)
    damageCoordinatorBatchOf(dir, DAMAGED)
    const logger = new CaptureLogger()
    const c = await assertLoadedAroundDamage(dir, logger)
    c.close()
    const again = new CaptureLogger()
    const { c: reopened } = open(dir, again)
    assert.is(await fetched(reopened, 'g-new'), 7)
    assert.is(await fetched(reopened, DAMAGED), 8)
    assert.is(await fetched(reopened, GROUPS[4]), 1004)
    assert.is(again.find('damaged').length, 0, 'the log was repaired once')
    reopened.close()
  } finally {
    removeDir(dir)
  }
})

salvage('after a crash: recovery keeps the commits after the damage (offsets never go backwards)', async () => {
  const dir = tmpDir('millrace-salvage-')
  try {
    await commitAll(dir)
    // A crash before any flush: the recovery point on disk is still at the start of the log.
    writeFileSync(join(dir, OFFSETS_DIR, RECOVERY_POINT_FILE), '0\n0\n')
    damageCoordinatorBatchOf(dir, DAMAGED)
    const logger = new CaptureLogger()
    const c = await assertLoadedAroundDamage(dir, logger)
    c.close()
  } finally {
    removeDir(dir)
  }
})

salvage('a damaged length field: the next whole batch is found and loading goes on', async () => {
  const dir = tmpDir('millrace-salvage-')
  try {
    await commitAll(dir)
    damageCoordinatorBatchOf(dir, DAMAGED, () => kBatchLength + 3)
    const c = await assertLoadedAroundDamage(dir, new CaptureLogger())
    c.close()
  } finally {
    removeDir(dir)
  }
})

salvage('a torn or damaged end of a segment is cut and logged, and the segments after it are kept', async () => {
  const dir = tmpDir('millrace-salvage-')
  try {
    // Small segments: each commit rolls a segment of its own.
    const small = { 'segment.bytes': '200' }
    const log = CoordinatorLog.open(dir, small)
    const c = GroupCoordinator.load({
      log, initialRebalanceDelayMs: 30, minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, offsetsRetentionMs: 60_000, offsetMetadataMaxBytes: 16
    })
    void c.setTopics({ t: 2 })
    for (const [i, g] of GROUPS.entries()) assert.is(await commit(c, g, 1000 + i), 0)
    c.close()
    const names = readdirSync(join(dir, OFFSETS_DIR)).filter((n) => n.endsWith('.log')).sort()
    assert.ok(names.length >= 3, `several segments: ${names.join(', ')}`)
    // The end of the second segment is damaged (its last bytes flipped, as a torn write leaves them).
    const second = join(dir, OFFSETS_DIR, names[1])
    const bytes = readFileSync(second)
    for (let i = bytes.length - 8; i < bytes.length; i++) bytes[i] ^= 0xff
    writeFileSync(second, bytes)
    writeFileSync(join(dir, OFFSETS_DIR, RECOVERY_POINT_FILE), '0\n0\n')
    const logger = new CaptureLogger()
    const log2 = CoordinatorLog.open(dir, small, logger.logger)
    const reopened = GroupCoordinator.load({
      log: log2, initialRebalanceDelayMs: 30, minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, offsetsRetentionMs: 60_000, offsetMetadataMaxBytes: 16
    })
    const lines = logger.find('cut a torn or damaged end', 'warn')
    assert.is(lines.length, 1)
    assert.is(lines[0].fields.segment, names[1])
    const lost = GROUPS.filter((_, i) => i === lines[0].fields.firstOffset)
    assert.is(lost.length, 1, 'one commit was in the damaged end')
    for (const [i, g] of GROUPS.entries()) {
      assert.is(await fetched(reopened, g), g === lost[0] ? undefined : 1000 + i, `${g}`)
    }
    assert.is(log2.log.recovery?.deletedSegments, 0, 'no later segment was dropped')
    reopened.close()
  } finally {
    removeDir(dir)
  }
})

salvage.run()
