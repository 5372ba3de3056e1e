/**
 * The data dir at start: one broker at a time holds it (flock on `.lock`, across processes and
 * within one), a holder killed by SIGKILL does not block the next start, and a path that cannot
 * be a data dir fails the start at once with a clear message, in library mode and in the CLI.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import { MillraceError } from '../../src/errors.js'
import { startCli } from '../helpers/cli.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'

/** Longest a refused start may take, spawn of a Node process included. */
const REFUSAL_BOUND_MS = 20_000

/** Rejects if `promise` has not settled within `ms` (a start that loops forever must fail the test, not hang it). */
async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms) })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function startError (options: Parameters<typeof Broker.start>[0]): Promise<MillraceError> {
  try {
    const broker = await within(Broker.start(options), REFUSAL_BOUND_MS, 'Broker.start')
    await broker.close()
  } catch (err) {
    assert.ok(err instanceof MillraceError, String(err))
    return err
  }
  assert.unreachable('Broker.start should have refused')
  throw new Error('unreachable')
}

// ---

const library = suite<{ dir: string }>('data dir lock in library mode')
library.before.each((ctx) => { ctx.dir = tmpDir() })
library.after.each((ctx) => { removeDir(ctx.dir) })

library('a second Broker.start on the same dir in the same process is refused, naming this process; close releases it', async ({ dir }) => {
  const dataDir = join(dir, 'data')
  const first = await Broker.start({ dataDir, workers: 1 })
  try {
    const err = await startError({ dataDir, workers: 1 })
    assert.is(err.code, 'MR_ERR_DATA_DIR_LOCKED')
    assert.match(err.message, `data dir ${dataDir} is in use by another broker (pid ${process.pid}, this process, started `)
    assert.match(err.message, 'stop it or use another data dir')
  } finally {
    await first.close()
  }
  const again = await Broker.start({ dataDir, workers: 1 })
  await again.close()
})

library('the refused broker leaves the holder working: its records are all there after a restart', async ({ dir }) => {
  const dataDir = join(dir, 'data')
  const topic = uniqueTopic('locked')
  const first = await Broker.start({ dataDir, workers: 1 })
  try {
    await first.createTopic({ topic, partitions: 1 })
    const producer = first.producer()
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })
    await producer.close()
    assert.is((await startError({ dataDir, workers: 1 })).code, 'MR_ERR_DATA_DIR_LOCKED')
  } finally {
    await first.close()
  }
  const reopened = await Broker.start({ dataDir, workers: 1 })
  try {
    const [p] = (await reopened.describeTopic(topic)).partitions
    assert.is(p.highWatermark, 2n)
  } finally {
    await reopened.close()
  }
})

library('the lock file names its holder', async ({ dir }) => {
  const dataDir = join(dir, 'data')
  const broker = await Broker.start({ dataDir, workers: 1 })
  try {
    const holder = JSON.parse(readFileSync(join(dataDir, '.lock'), 'utf8'))
    assert.is(holder.pid, process.pid)
    assert.ok(!Number.isNaN(Date.parse(holder.startedAt)), holder.startedAt)
  } finally {
    await broker.close()
  }
})

library('in-memory brokers take no lock', async () => {
  const a = await Broker.start({ dataDir: null, workers: 1 })
  const b = await Broker.start({ dataDir: null, workers: 1 })
  await Promise.all([a.close(), b.close()])
})

library('a regular file, a path under a file and a path under /proc are refused at once', async ({ dir }) => {
  const file = join(dir, 'file')
  writeFileSync(file, 'not a dir')
  const asFile = await startError({ dataDir: file, workers: 1 })
  assert.is(asFile.code, 'MR_ERR_DATA_DIR_UNUSABLE')
  assert.match(asFile.message, `data dir ${file} cannot be used: ${file} exists and is not a directory`)
  const underFile = await startError({ dataDir: join(file, 'data'), workers: 1 })
  assert.is(underFile.code, 'MR_ERR_DATA_DIR_UNUSABLE')
  assert.match(underFile.message, `${file} exists and is not a directory`)
  // Node's recursive mkdir never returns here; the refusal must come within the bound.
  const proc = join('/proc', `millrace-${process.pid}`, 'data')
  const underProc = await startError({ dataDir: proc, workers: 1 })
  assert.is(underProc.code, 'MR_ERR_DATA_DIR_UNUSABLE')
  assert.match(underProc.message, `cannot create /proc/millrace-${process.pid}`)
  // An existing directory where no file can be made.
  const procSelf = await startError({ dataDir: '/proc/self', workers: 1 })
  assert.is(procSelf.code, 'MR_ERR_DATA_DIR_UNUSABLE')
  assert.match(procSelf.message, 'cannot create /proc/self/.lock')
})

library.run()

// ---

const cli = suite<{ dir: string }>('data dir lock across processes (millrace start)')
cli.before.each((ctx) => { ctx.dir = tmpDir() })
cli.after.each((ctx) => { removeDir(ctx.dir) })

cli('a second millrace start on the same dir exits non-zero naming the holder; after the holder is SIGKILLed the next start succeeds', async ({ dir }) => {
  const dataDir = join(dir, 'data')
  const holder = startCli(['--data', dataDir, '--port', '0', '--workers', '1'])
  try {
    await holder.ready
    const second = startCli(['--data', dataDir, '--port', '0', '--workers', '1'], REFUSAL_BOUND_MS)
    const { code } = await second.exit
    const { stdout, stderr } = second.output()
    assert.is(code, 2, stderr)
    assert.not.match(stdout, 'millrace ready')
    assert.match(stderr, `millrace: data dir ${dataDir} is in use by another broker (pid ${holder.child.pid!}, started `)
    assert.ok(stderr.split('\n').some((l) => l.startsWith('{') && JSON.parse(l).level === 60 && JSON.parse(l).msg.includes('is in use by another broker')), 'a fatal log line')
    // Library mode in this process is refused too.
    const err = await startError({ dataDir, workers: 1 })
    assert.is(err.code, 'MR_ERR_DATA_DIR_LOCKED')
    assert.match(err.message, `(pid ${holder.child.pid!}, started `)
  } finally {
    holder.child.kill('SIGKILL')
    await holder.exit
  }
  // The kernel released the lock with the killed process: the stale file blocks nothing.
  const next = startCli(['--data', dataDir, '--port', '0', '--workers', '1'])
  try {
    await next.ready
    assert.is(JSON.parse(readFileSync(join(dataDir, '.lock'), 'utf8')).pid, next.child.pid)
  } finally {
    next.child.kill('SIGTERM')
    assert.is((await next.exit).code, 0)
  }
})

cli('a data dir that is a file, under a file or under /proc fails millrace start at once, before the ready line', async ({ dir }) => {
  const file = join(dir, 'file')
  writeFileSync(file, 'not a dir')
  const cases: Array<[string, string]> = [
    [file, `${file} exists and is not a directory`],
    [join(file, 'data'), `${file} exists and is not a directory`],
    [join('/proc', `millrace-${process.pid}`, 'data'), `cannot create /proc/millrace-${process.pid}`]
  ]
  for (const [dataDir, problem] of cases) {
    const run = startCli(['--data', dataDir, '--port', '0', '--workers', '1'], REFUSAL_BOUND_MS)
    const { code, signal } = await run.exit
    const { stdout, stderr } = run.output()
    assert.is(signal, null, `${dataDir}: killed after ${REFUSAL_BOUND_MS} ms`)
    assert.is(code, 2, `${dataDir}: ${stderr}`)
    assert.not.match(stdout, 'millrace ready')
    assert.match(stderr, `millrace: data dir ${dataDir} cannot be used: ${problem}`)
  }
})

cli('SIGTERM during start-up ends the process cleanly and releases the lock', async ({ dir }) => {
  const dataDir = join(dir, 'data')
  const run = startCli(['--data', dataDir, '--port', '0', '--workers', '1'], REFUSAL_BOUND_MS)
  await run.stderrHas('"msg":"starting"')
  run.child.kill('SIGTERM')
  const { code, signal } = await run.exit
  assert.is(signal, null, run.output().stderr)
  assert.is(code, 0, run.output().stderr)
  assert.match(run.output().stdout, 'millrace: SIGTERM, shutting down')
  const next = await Broker.start({ dataDir, workers: 1 })
  await next.close()
})

cli.run()
