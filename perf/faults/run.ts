/**
 * `npm run faults`: every fault case at full size, one after the other, then a table of
 * fault, runs, acked, lost, duplicates and recovery time. Exits 1 when a case failed.
 *
 *   node dist/perf/faults/run.js [--seed N] [--quick] [--only NAME,NAME]
 */
import { parseArgs } from 'node:util'
import { diskFull, powerLoss, sigkillLoop, tcpFaults, twoBrokers, workerCrash, type CaseOptions, type CaseResult } from './cases.js'
import { badBatches, diskDamage } from './damage-cases.js'
import { belowMinInsync, replicationFault } from './repl-cases.js'
import { txnBrokerKillAtCommit, txnCopierKills, txnDelayedProduce } from './txn-cases.js'
import { problemsOf, type Expectation } from './verdict.js'

interface Case { name: string, run: (o: CaseOptions) => Promise<CaseResult>, expect?: Expectation }

const CASES: Case[] = [
  { name: 'sigkill', run: (o) => sigkillLoop({ ...o, flushEachBatch: false }) },
  { name: 'sigkill-fsync', run: (o) => sigkillLoop({ ...o, flushEachBatch: true }) },
  { name: 'power-loss', run: (o) => powerLoss({ ...o, flush: 'os' }), expect: { tailLossAllowed: true } },
  { name: 'power-loss-interval', run: (o) => powerLoss({ ...o, flush: 'interval' }), expect: { tailLossAllowed: true } },
  { name: 'power-loss-fsync', run: (o) => powerLoss({ ...o, flush: 'each-batch' }) },
  { name: 'worker-crash', run: workerCrash },
  { name: 'disk-full', run: diskFull },
  { name: 'two-brokers', run: twoBrokers },
  { name: 'tcp', run: tcpFaults },
  { name: 'damage-value', run: (o) => diskDamage({ ...o, damage: 'value-byte' }), expect: { unreadableAllowed: true } },
  { name: 'damage-offset', run: (o) => diskDamage({ ...o, damage: 'base-offset' }), expect: { unreadableAllowed: true } },
  { name: 'damage-zeroed', run: (o) => diskDamage({ ...o, damage: 'zeroed-tail' }), expect: { unreadableAllowed: true } },
  { name: 'bad-batches', run: badBatches },
  { name: 'txn-copier', run: txnCopierKills },
  { name: 'txn-broker-at-commit', run: txnBrokerKillAtCommit },
  { name: 'txn-delayed-produce', run: txnDelayedProduce },
  { name: 'repl-leader-kill', run: (o) => replicationFault({ ...o, fault: 'leader-kill' }) },
  { name: 'repl-leader-hang', run: (o) => replicationFault({ ...o, fault: 'leader-hang' }) },
  { name: 'repl-data-dir', run: (o) => replicationFault({ ...o, fault: 'data-dir' }) },
  { name: 'repl-min-isr', run: belowMinInsync }
]

const { values } = parseArgs({ options: { seed: { type: 'string' }, quick: { type: 'boolean' }, only: { type: 'string' } } })
const seed = values.seed === undefined ? Date.now() % 100_000 : Number(values.seed)
const only = values.only?.split(',')
const rows: string[] = []
let failed = 0
console.log(`fault suite, seed ${seed}${values.quick === true ? ', quick sizes' : ''}`)
for (const c of CASES) {
  if (only !== undefined && !only.includes(c.name)) continue
  let line: string
  try {
    const r = await c.run({ seed, quick: values.quick === true })
    const problems = problemsOf(r, c.expect)
    if (problems.length > 0) failed++
    const recovery = r.recoveryMs === null ? '' : `${Math.round(r.recoveryMs)} ms`
    line = `| ${r.fault} | ${r.runs} | ${r.acked} | ${r.lost} | ${r.duplicates} | ${recovery} | ${problems.length === 0 ? 'pass' : problems.join('; ')} |`
  } catch (err) {
    failed++
    line = `| ${c.name} | | | | | | error: ${(err as Error).message.split('\n')[0]} |`
  }
  console.log(line)
  rows.push(line)
}
console.log('\n| fault | runs | acked | lost | duplicates | recovery (median) | verdict |\n|---|---|---|---|---|---|---|')
for (const row of rows) console.log(row)
process.exit(failed === 0 ? 0 : 1)
