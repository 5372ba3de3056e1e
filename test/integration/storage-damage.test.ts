/**
 * Damaged storage against real clients: a broker is filled and closed cleanly, a sealed segment
 * is damaged on disk (so recovery trusts it: it is below the recovery point), and the broker is
 * started again. kcat (librdkafka) must get an error for the damaged range instead of spinning on
 * it or being served garbage; the broker must log what it refused. A torn sealed segment found
 * by recovery costs only its own tail, and the cut is logged on the main thread.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/index.js'
import { baseOffsetOf, batchSizeAt } from '../../src/protocol/batch-header.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'

const RECORDS = 60
/** kcat is given this long; librdkafka spinning on a damaged range would never end by itself. */
const KCAT_TIMEOUT_MS = 20_000

interface Ctx { dir: string, capture: CaptureLogger }

const damaged = suite<Ctx>('a damaged sealed segment on a restarted broker', { dir: '', capture: new CaptureLogger() })
damaged.before.each((ctx) => {
  ctx.dir = tmpDir('millrace-damage-')
  ctx.capture = new CaptureLogger()
})
damaged.after.each((ctx) => { removeDir(ctx.dir) })

/** Creates `topic` with small segments, sends RECORDS one batch each, closes the broker cleanly. */
async function fill (dir: string, topic: string): Promise<void> {
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 1 })
  try {
    await broker.createTopic({ topic, partitions: 1, config: { 'segment.bytes': '1024' } })
    const producer = broker.producer({ acks: -1 })
    for (let i = 0; i < RECORDS; i++) await producer.send({ topic, messages: [{ value: `record-${i}-${'v'.repeat(30)}` }] })
    await producer.close()
  } finally {
    await broker.close()
  }
}

interface StoredBatch { position: number, size: number, baseOffset: number }

/** The partition's segment files, oldest first, with their batches. */
function segments (dir: string, topic: string): Array<{ path: string, base: number, batches: StoredBatch[] }> {
  const partitionDir = join(dir, `${topic}-0`)
  return readdirSync(partitionDir).filter((n) => n.endsWith('.log')).sort().map((name) => {
    const path = join(partitionDir, name)
    const bytes = readFileSync(path)
    const batches: StoredBatch[] = []
    for (let position = 0; position < bytes.length;) {
      const size = batchSizeAt(bytes, position)
      batches.push({ position, size, baseOffset: baseOffsetOf(bytes, position) })
      position += size
    }
    return { path, base: Number(name.slice(0, 20)), batches }
  })
}

function damage (path: string, change: (bytes: Buffer) => void): void {
  const bytes = readFileSync(path)
  change(bytes)
  writeFileSync(path, bytes)
}

interface KcatRun { code: number | null, stdout: string, stderr: string, timedOut: boolean }

/** Consumes partition 0 from the beginning to its end (-e); never rejects. */
function kcatConsume (address: string, topic: string): Promise<KcatRun> {
  const args = ['-b', address, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o %s\n', '-X', 'fetch.wait.max.ms=5', '-X', 'fetch.error.backoff.ms=10']
  return new Promise((resolve) => {
    execFile('kcat', args, { timeout: KCAT_TIMEOUT_MS }, (err, stdout, stderr) => {
      const timedOut = err !== null && (err as { killed?: boolean }).killed === true
      resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : null), stdout, stderr, timedOut })
    })
  })
}

function offsetsIn (stdout: string): number[] {
  return stdout.split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[0]))
}

damaged('a zero-filled tail: kcat gets CORRUPT_MESSAGE after the sound records, and the broker logs it', async ({ dir, capture }) => {
  const topic = uniqueTopic('zeroed')
  await fill(dir, topic)
  const [first] = segments(dir, topic)
  const zeroFrom = first.batches[3]
  damage(first.path, (bytes) => { bytes.fill(0, zeroFrom.position) })
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 1, logger: capture.logger })
  try {
    const run = await kcatConsume(broker.address!, topic)
    assert.not.ok(run.timedOut, 'kcat spun on the damaged range until killed')
    assert.equal(offsetsIn(run.stdout), [0, 1, 2], 'the records before the damage are served, none after')
    assert.match(run.stderr, /Broker: Invalid message/) // librdkafka names CORRUPT_MESSAGE (2) so
    assert.ok(run.code !== 0)
    const line = capture.find('fetch refused with CORRUPT_MESSAGE', 'error')[0]
    assert.ok(line !== undefined, 'the refusal is logged')
    assert.is(line.fields.topic, topic)
    assert.is(line.fields.offset, zeroFrom.baseOffset)
    assert.is(line.fields.position, zeroFrom.position)
    // Library mode: the consumer gets the sound records, then a typed error.
    const consumer = broker.consumer({ maxWaitMs: 10 })
    consumer.assign([{ topic, partition: 0, offset: 0n }])
    const polled: bigint[] = []
    let failure: unknown = null
    for (let round = 0; round < 10 && failure === null; round++) {
      try {
        for (const m of await consumer.poll()) polled.push(m.offset)
      } catch (err) {
        failure = err
      }
    }
    await consumer.close()
    assert.equal(polled, [0n, 1n, 2n])
    assert.is((failure as { code?: string } | null)?.code, 'MR_ERR_CORRUPT_BATCH')
  } finally {
    await broker.close()
  }
})

damaged('a flipped value byte: the scrubber finds it, logs it, and kcat gets CORRUPT_MESSAGE there', async ({ dir, capture }) => {
  const topic = uniqueTopic('scrubbed')
  await fill(dir, topic)
  const second = segments(dir, topic)[1]
  const victim = second.batches[2]
  damage(second.path, (bytes) => { bytes[victim.position + victim.size - 5] ^= 0x01 })
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 1, logger: capture.logger, scrubBytesPerSecond: 1 << 30 })
  try {
    const report = await broker.dispatcher.scrubNow()
    assert.is(report.findings.length, 1)
    assert.equal({ ...report.findings[0] }, { partition: `${topic}-0`, dir: join(dir, `${topic}-0`), segment: second.base, position: victim.position, offset: victim.baseOffset, why: 'CRC-32C mismatch' })
    assert.ok(report.segments >= 3, 'the intact sealed segments were verified to their end')
    assert.is(capture.find('scrubber found a damaged batch', 'error').length, 1)
    const run = await kcatConsume(broker.address!, topic)
    assert.not.ok(run.timedOut)
    assert.equal(offsetsIn(run.stdout), Array.from({ length: victim.baseOffset }, (_, i) => i))
    assert.match(run.stderr, /Broker: Invalid message/) // librdkafka names CORRUPT_MESSAGE (2) so
    // Found once: a second pass leaves the refused segment alone.
    assert.is((await broker.dispatcher.scrubNow()).findings.length, 0)
  } finally {
    await broker.close()
  }
})

damaged('a torn sealed segment: recovery cuts its tail only, logs the cut, and kcat reads across the gap', async ({ dir, capture }) => {
  const topic = uniqueTopic('torn')
  await fill(dir, topic)
  const all = segments(dir, topic)
  assert.ok(all.length >= 4)
  const torn = all[1]
  const cutAt = torn.batches[2]
  writeFileSync(torn.path, readFileSync(torn.path).subarray(0, cutAt.position + 20))
  // As after a crash: the recovery point is behind the torn segment, so recovery scans it.
  writeFileSync(join(dir, `${topic}-0`, 'recovery-point-offset-checkpoint'), '0\n0\n')
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 1, logger: capture.logger })
  try {
    const line = capture.find('recovery cut a damaged segment', 'warn')[0]
    assert.ok(line !== undefined, 'the cut is logged')
    assert.equal({ dir: line.fields.dir, segment: line.fields.segment, offset: line.fields.offset, bytes: line.fields.bytes }, { dir: join(dir, `${topic}-0`), segment: torn.base, offset: cutAt.baseOffset, bytes: 20 })
    const description = await broker.describeTopic(topic)
    assert.is(Number(description.partitions[0].highWatermark), RECORDS)
    const run = await kcatConsume(broker.address!, topic)
    assert.is(run.code, 0, run.stderr)
    const lost = new Set(torn.batches.slice(2).map((b) => b.baseOffset))
    assert.equal(offsetsIn(run.stdout), Array.from({ length: RECORDS }, (_, i) => i).filter((o) => !lost.has(o)))
  } finally {
    await broker.close()
  }
})

damaged.run()
