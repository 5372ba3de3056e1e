/**
 * `npm run bench:authorizer`: what the authorizer costs on the produce path, in one run.
 *
 *   micro   Authorizer.authorize with 1,000 ACLs (half literal, half prefixed, 50 principals):
 *           the cached answer a produce request gets, and the uncached decision behind it.
 *   wire    kcat produce of BENCH_RECORDS lines of 99 chars (acks=1) into a `millrace start`
 *           child, authorizer off, then on with 1,000 ACLs in its data dir (one of them lets
 *           ANONYMOUS create and write the topic), alternating, BENCH_RUNS times each. Two batch sizes:
 *           10,000 records per batch (throughput) and 100 (many small requests, where a
 *           per-request cost would show). The ratio is on/off of the medians.
 *
 * On a shared machine, run it when the load average is below the core count: the wire figures
 * swing by tens of percent under load, far more than the cost being measured.
 *
 * Prints figures; asserts nothing about time. Environment: BENCH_RECORDS (default 500,000),
 * BENCH_RUNS (default 3).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { Authorizer } from '../src/security/authorizer.js'
import { AclStore, ACL_FILE } from '../src/security/acl-store.js'
import { AclOperation, PatternType, Permission, ResourceType, type AclBinding } from '../src/security/acl.js'
import { silentLogger } from '../src/logger.js'
import { removeDir, tmpDir } from '../test/helpers/tmp-dir.js'
import { startBrokerProcess, stopBrokerProcess } from './lib/broker-process.js'
import { median } from './lib/stats.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 500_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const TOPIC = 'bench-authorizer'
const ACL_COUNT = 1_000

/** 1,000 ACLs: 999 that do not apply to the bench topic, and one that lets ANONYMOUS create (kcat auto-creates) and write it. */
function benchAcls (): AclBinding[] {
  const acls: AclBinding[] = []
  for (let i = 0; acls.length < ACL_COUNT - 1; i++) {
    const prefixed = i % 2 === 1
    acls.push({
      resourceType: i % 5 === 0 ? ResourceType.GROUP : ResourceType.TOPIC,
      resourceName: prefixed ? `team-${i}.` : `topic-${i}`,
      patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL,
      principal: `User:user-${i % 50}`,
      host: '*',
      operation: i % 3 === 0 ? AclOperation.READ : AclOperation.WRITE,
      permission: i % 7 === 0 ? Permission.DENY : Permission.ALLOW
    })
  }
  acls.push({ resourceType: ResourceType.TOPIC, resourceName: TOPIC, patternType: PatternType.LITERAL, principal: 'User:ANONYMOUS', host: '*', operation: AclOperation.ALL, permission: Permission.ALLOW })
  return acls
}

async function micro (): Promise<void> {
  const authorizer = new Authorizer({ enabled: true, superUsers: [], allowEveryoneIfNoAcl: false }, await AclStore.open(null), silentLogger)
  await authorizer.create(benchAcls())
  const names = Array.from({ length: 1000 }, (_, i) => `team-${i * 2 + 1}.orders`)
  const time = (label: string, calls: number, fn: (i: number) => boolean): void => {
    let allowed = 0
    for (let i = 0; i < 10_000; i++) if (fn(i)) allowed++
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) if (fn(i)) allowed++
    const ns = Number(process.hrtime.bigint() - start) / calls
    console.log(`micro  ${label.padEnd(52)} ${ns.toFixed(0).padStart(6)} ns/check  (${allowed} allowed)`)
  }
  time('cached: the produce check (Write on the bench topic)', 2_000_000, () => authorizer.authorize('User:ANONYMOUS', '127.0.0.1', AclOperation.WRITE, ResourceType.TOPIC, TOPIC))
  // A fresh host per call misses the cache: the decision itself, prefixes included.
  time('uncached: a decision over the index', 200_000, (i) => authorizer.authorize(`User:user-${i % 50}`, `10.0.${(i >> 8) & 255}.${i & 255}`, AclOperation.WRITE, ResourceType.TOPIC, names[i % names.length]))
}

function writeLines (path: string): void {
  const fd = openSync(path, 'w')
  const line = 'x'.repeat(99) + '\n'
  const chunk = line.repeat(10_000)
  for (let n = 0; n < RECORDS; n += 10_000) writeSync(fd, n + 10_000 <= RECORDS ? chunk : line.repeat(RECORDS - n))
  closeSync(fd)
}

function kcatProduce (port: number, linesFile: string, batch: number): Promise<number> {
  const fd = openSync(linesFile, 'r')
  const started = process.hrtime.bigint()
  return new Promise<number>((resolve, reject) => {
    const child = spawn('kcat', ['-P', '-b', `127.0.0.1:${port}`, '-t', TOPIC, '-X', 'acks=1', '-X', 'linger.ms=5', '-X', `batch.num.messages=${batch}`], { stdio: [fd, 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
    child.once('error', reject)
    child.once('exit', (code) => {
      closeSync(fd)
      if (code !== 0 || stderr.includes('failed')) reject(new Error(`kcat produce failed (${String(code)}): ${stderr}`))
      else resolve(Number(process.hrtime.bigint() - started) / 1e9)
    })
  })
}

async function wire (): Promise<void> {
  const dir = tmpDir('millrace-bench-authorizer-')
  try {
    const linesFile = join(dir, 'lines.txt')
    writeLines(linesFile)
    const acls = JSON.stringify({ version: 1, acls: benchAcls() })
    for (const batch of [10_000, 100]) {
      const seconds: Record<'off' | 'on', number[]> = { off: [], on: [] }
      for (let run = 0; run < RUNS; run++) {
        for (const mode of ['off', 'on'] as const) {
          const broker = mode === 'off'
            ? await startBrokerProcess('millrace-bench-authz-off-')
            : await startBrokerProcess('millrace-bench-authz-on-', ['--authorizer', '--super-users', 'User:bench-admin'], (dataDir) => writeFileSync(join(dataDir, ACL_FILE), acls))
          try {
            seconds[mode].push(await kcatProduce(broker.port, linesFile, batch))
          } finally {
            await stopBrokerProcess(broker)
          }
        }
      }
      const off = median(seconds.off)
      const on = median(seconds.on)
      const rate = (s: number): string => `${Math.round(RECORDS / s).toLocaleString('en-US')} rec/s`
      console.log(`wire   kcat produce ${RECORDS} × 99 B, ${batch} per batch: off ${rate(off)} (median ${off.toFixed(3)} s), on ${rate(on)} (median ${on.toFixed(3)} s); on/off time ${(on / off).toFixed(3)}`)
    }
  } finally {
    removeDir(dir)
  }
}

await micro()
await wire()
