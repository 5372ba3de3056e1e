/**
 * The fault cases. Each drives real clients through one fault, reads everything back with kcat
 * and checks the ledger (./ledger.ts). Every case is bounded (records, rounds) and seeded, so a
 * failing run can be replayed with the same seed.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { Broker } from '../../src/index.js'
import { xorshift } from '../../test/helpers/seeded-random.js'
import { removeDir, tmpDir } from '../../test/helpers/tmp-dir.js'
import { BrokerChild, freePort } from './broker-child.js'
import { kafkajsProducer, rdkafkaProducer, readBack, type ProducerRun } from './drivers.js'
import { check, Ledger, type CheckResult } from './ledger.js'

export interface CaseResult extends CheckResult {
  fault: string
  runs: number
  /** Median time from a restart to the broker's ready line (or to its refusal). */
  recoveryMs: number | null
  /** What else the case verified (a refusal, a log line), in a few words; empty when all held. */
  problems: string[]
}

export interface CaseOptions {
  seed: number
  /** quick: the bounded sizes `npm test` runs; full: what `npm run faults` runs. */
  quick: boolean
}

function median (xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Waits until `done` or until `ms` passed; true when done came first. */
async function within (done: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = delay(ms, false)
  return await Promise.race([done.then(() => true, () => true), timer])
}

function createTopic (bootstrap: string, topic: string, partitions: number, configs: string[]): void {
  const main = new URL('../../src/cli/main.js', import.meta.url).pathname
  execFileSync(process.execPath, [main, 'topics', 'create', topic, '--partitions', String(partitions), ...configs.flatMap((c) => ['--config', c]), '-b', bootstrap], { stdio: 'pipe' })
}

async function result (fault: string, runs: number, ledger: Ledger, bootstrap: string, topic: string, recoveries: number[], problems: string[]): Promise<CaseResult> {
  const records = await readBack(bootstrap, topic)
  return { fault, runs, ...check(ledger, records), recoveryMs: median(recoveries), problems }
}

// --- SIGKILL loop

/**
 * SIGKILLs the broker at seeded moments while librdkafka (idempotent) produces, restarting it on
 * the same port and data dir. Without fsync nothing acked may be lost either: the kernel keeps
 * what the process wrote.
 */
export async function sigkillLoop (options: CaseOptions & { flushEachBatch: boolean }): Promise<CaseResult> {
  const random = xorshift(options.seed)
  const rounds = options.quick ? 3 : 10
  const records = options.quick ? 3_000 : 100_000
  const dir = tmpDir('millrace-faults-')
  const broker = new BrokerChild(dir, await freePort())
  const bootstrap = `127.0.0.1:${broker.port}`
  const topic = 'sigkill'
  const ledger = new Ledger()
  const recoveries: number[] = []
  const problems: string[] = []
  try {
    await broker.start()
    createTopic(bootstrap, topic, 2, options.flushEachBatch ? ['flush.messages=1'] : [])
    const producer = rdkafkaProducer(bootstrap, topic, records, 'k', ledger, true)
    for (let round = 0; round < rounds; round++) {
      if (await within(producer.done, 100 + random() % 400)) break
      await broker.stop('SIGKILL')
      const started = await broker.start()
      if (!started.ready) problems.push(`restart ${round} failed (exit ${String(started.exitCode)})`)
      recoveries.push(started.elapsedMs)
    }
    await producer.done
    return await result(options.flushEachBatch ? 'SIGKILL loop, flush.messages=1' : 'SIGKILL loop, fsync left to the OS', recoveries.length, ledger, bootstrap, topic, recoveries, problems)
  } finally {
    await broker.stop('SIGKILL')
    removeDir(dir)
  }
}

// --- power loss

/** How the power-loss case's topic syncs: left to the OS, an fsync per batch, or every 100 ms. */
export type FlushPolicy = 'os' | 'each-batch' | 'interval'

const FLUSH_CONFIGS: Record<FlushPolicy, string[]> = { os: [], 'each-batch': ['flush.messages=1'], interval: ['flush.ms=100'] }
const FLUSH_NAMES: Record<FlushPolicy, string> = { os: 'fsync left to the OS', 'each-batch': 'flush.messages=1', interval: 'flush.ms=100' }

/**
 * The broker's data dir sits on a FUSE layer that keeps unsynced bytes in memory; the power cut
 * SIGKILLs the broker and that layer together, so only fsynced bytes survive. With an fsync per
 * batch nothing acked is lost; without, loss is allowed but only as a tail of each partition.
 */
export async function powerLoss (options: CaseOptions & { flush: FlushPolicy }): Promise<CaseResult> {
  const random = xorshift(options.seed)
  const rounds = options.quick ? 2 : 5
  const records = options.quick ? 1_000 : 20_000
  const root = tmpDir('millrace-power-')
  const backing = join(root, 'backing')
  const mount = join(root, 'mnt')
  mkdirSync(backing)
  mkdirSync(mount)
  const broker = new BrokerChild(join(mount, 'data'), await freePort())
  const bootstrap = `127.0.0.1:${broker.port}`
  const topic = 'power'
  const ledger = new Ledger()
  const recoveries: number[] = []
  const problems: string[] = []
  let fs = await mountLossyFs(backing, mount)
  try {
    await broker.start()
    createTopic(bootstrap, topic, 1, FLUSH_CONFIGS[options.flush])
    for (let round = 0; round < rounds; round++) {
      const producer = kafkajsProducer(bootstrap, topic, 1, records / rounds, `r${round}`, ledger, true)
      await within(producer.done, 300 + random() % 700)
      // The cut: broker and page cache go at once.
      fs.kill('SIGKILL')
      await broker.stop('SIGKILL')
      producer.stop()
      await producer.done.catch(() => {})
      unmount(mount)
      fs = await mountLossyFs(backing, mount)
      const started = await broker.start()
      if (!started.ready) problems.push(`restart after power loss ${round} failed (exit ${String(started.exitCode)})`)
      recoveries.push(started.elapsedMs)
    }
    return await result(`power loss, ${FLUSH_NAMES[options.flush]}`, rounds, ledger, bootstrap, topic, recoveries, problems)
  } finally {
    await broker.stop('SIGKILL')
    fs.kill('SIGKILL')
    unmount(mount)
    removeDir(root)
  }
}

const LOSSY_FS = new URL('../../../perf/faults/lossy-fs.py', import.meta.url).pathname

async function mountLossyFs (backing: string, mount: string): Promise<ReturnType<typeof spawn>> {
  const child = spawn('/usr/bin/python3', [LOSSY_FS, backing, mount], { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    if (execFileSync('mount').toString().includes(` ${mount} `)) return child
    if (child.exitCode !== null) break
    await delay(25)
  }
  child.kill('SIGKILL')
  throw new Error(`the power-loss file system did not mount at ${mount} (needs /dev/fuse, fusermount and python3-fusepy)`)
}

function unmount (mount: string): void {
  try { execFileSync('fusermount', ['-u', '-z', mount], { stdio: 'ignore' }) } catch { /* already gone */ }
}

// --- worker crash

/** Kills the partition worker thread under an in-process broker while kafkajs produces over TCP. */
export async function workerCrash (options: CaseOptions): Promise<CaseResult> {
  const rounds = options.quick ? 3 : 10
  const records = options.quick ? 2_000 : 50_000
  const dir = tmpDir('millrace-faults-')
  const broker = await Broker.start({ dataDir: dir, port: 0, workers: 2 })
  const bootstrap = `127.0.0.1:${broker.port!}`
  const topic = 'crash'
  const ledger = new Ledger()
  try {
    await broker.createTopic({ topic, partitions: 2 })
    const producer = kafkajsProducer(bootstrap, topic, 2, records, 'c', ledger, true)
    const recoveries: number[] = []
    for (let round = 0; round < rounds; round++) {
      if (await within(producer.done, 150)) break
      const began = performance.now()
      await broker.dispatcher.crashWorkerOf(broker.dispatcher.partition(topic, round % 2)!)
      await broker.dispatcher.whenOnline()
      recoveries.push(performance.now() - began)
    }
    await producer.done
    return await result('partition worker crash', recoveries.length, ledger, bootstrap, topic, recoveries, [])
  } finally {
    await broker.close()
    removeDir(dir)
  }
}

// --- disk full

/**
 * The data dir is a small tmpfs that fills up while librdkafka produces; space is then freed and
 * the broker must take records again. Nothing acked may be lost, and the broker must log ENOSPC.
 */
export async function diskFull (options: CaseOptions): Promise<CaseResult> {
  const root = tmpDir('millrace-full-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', root])
  const dataDir = join(root, 'data')
  const filler = join(root, 'filler')
  const broker = new BrokerChild(dataDir, await freePort())
  const bootstrap = `127.0.0.1:${broker.port}`
  const topic = 'full'
  const ledger = new Ledger()
  const problems: string[] = []
  try {
    await broker.start()
    createTopic(bootstrap, topic, 1, ['segment.bytes=1048576'])
    // Leave about 256 KB free, so the producer runs into ENOSPC within a few thousand records.
    const free = Number(execFileSync('df', ['--output=avail', '-B1', root]).toString().split('\n')[1])
    writeFileSync(filler, Buffer.alloc(Math.max(0, free - 256 * 1024)))
    const records = options.quick ? 30_000 : 100_000
    const producer = rdkafkaProducer(bootstrap, topic, records, 'f', ledger, true)
    await within(producer.done, options.quick ? 3_000 : 10_000)
    rmSync(filler)
    await producer.done
    if (broker.logged('ENOSPC').length === 0) problems.push('no ENOSPC line in the broker log')
    return await result('disk full (tmpfs), then space freed', 1, ledger, bootstrap, topic, [], problems)
  } finally {
    await broker.stop('SIGKILL')
    try { execFileSync('umount', ['-l', root]) } catch { /* not mounted */ }
    removeDir(root)
  }
}

// --- two brokers on one data dir

/** A second broker on the same data dir must refuse to start, naming the holder; nothing is lost. */
export async function twoBrokers (options: CaseOptions): Promise<CaseResult> {
  const dir = tmpDir('millrace-faults-')
  const first = new BrokerChild(dir, await freePort())
  const second = new BrokerChild(dir, await freePort())
  const bootstrap = `127.0.0.1:${first.port}`
  const topic = 'shared'
  const ledger = new Ledger()
  const problems: string[] = []
  const recoveries: number[] = []
  try {
    await first.start()
    createTopic(bootstrap, topic, 1, [])
    const producer = kafkajsProducer(bootstrap, topic, 1, options.quick ? 500 : 5_000, 'a', ledger, true)
    const refused = await second.start()
    recoveries.push(refused.elapsedMs)
    if (refused.ready) {
      problems.push('a second broker started on a data dir in use')
      const other = kafkajsProducer(`127.0.0.1:${second.port}`, topic, 1, options.quick ? 500 : 5_000, 'b', ledger, true)
      await other.done
      await second.stop('SIGTERM')
    } else if (refused.exitCode === 0) {
      problems.push('the refused broker exited 0')
    }
    await producer.done
    // A restart reads the data dir as the first broker left it.
    await first.stop('SIGTERM')
    await first.start()
    return await result('two brokers on one data dir', 1, ledger, bootstrap, topic, recoveries, problems)
  } finally {
    await first.stop('SIGKILL')
    await second.stop('SIGKILL')
    removeDir(dir)
  }
}

// --- TCP stalls and cuts

/**
 * kafkajs (idempotent) produces through a TCP proxy that, at seeded moments, stalls a connection
 * or cuts every connection. Nothing acked may be lost and nothing may be written twice.
 */
export async function tcpFaults (options: CaseOptions): Promise<CaseResult> {
  const random = xorshift(options.seed)
  const dir = tmpDir('millrace-faults-')
  const proxyPort = await freePort()
  const broker = new BrokerChild(dir, await freePort(), ['--advertised-port', String(proxyPort)])
  const proxy = new FaultyProxy(proxyPort, broker.port)
  const bootstrap = `127.0.0.1:${proxyPort}`
  const topic = 'tcp'
  const ledger = new Ledger()
  const rounds = options.quick ? 4 : 20
  try {
    await broker.start()
    await proxy.listen()
    createTopic(`127.0.0.1:${broker.port}`, topic, 2, [])
    const producer = kafkajsProducer(bootstrap, topic, 2, options.quick ? 3_000 : 50_000, 't', ledger, true)
    let faults = 0
    for (let round = 0; round < rounds; round++) {
      if (await within(producer.done, 100 + random() % 300)) break
      if (random() % 2 === 0) proxy.cutAll()
      else await proxy.stallAll(200 + random() % 800)
      faults++
    }
    await producer.done
    return await result('TCP stalls and cuts (proxy)', faults, ledger, bootstrap, topic, [], [])
  } finally {
    proxy.close()
    await broker.stop('SIGKILL')
    removeDir(dir)
  }
}

/** A TCP proxy that can cut or stall every connection it carries. */
class FaultyProxy {
  readonly #port: number
  readonly #target: number
  readonly #pairs = new Set<[Socket, Socket]>()
  readonly #server: Server

  constructor (port: number, target: number) {
    this.#port = port
    this.#target = target
    this.#server = createServer((client) => {
      const upstream = createConnection(this.#target, '127.0.0.1')
      const pair: [Socket, Socket] = [client, upstream]
      this.#pairs.add(pair)
      client.pipe(upstream)
      upstream.pipe(client)
      const drop = (): void => { client.destroy(); upstream.destroy(); this.#pairs.delete(pair) }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
    })
  }

  listen (): Promise<void> {
    return new Promise((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve))
  }

  cutAll (): void {
    for (const [a, b] of this.#pairs) { a.destroy(); b.destroy() }
    this.#pairs.clear()
  }

  async stallAll (ms: number): Promise<void> {
    const pairs = [...this.#pairs]
    for (const [a, b] of pairs) { a.pause(); b.pause() }
    await delay(ms)
    for (const [a, b] of pairs) { a.resume(); b.resume() }
  }

  close (): void {
    this.cutAll()
    this.#server.close()
  }
}

export type { ProducerRun }
