/**
 * The fault suite's quick cases (perf/faults): real clients through SIGKILL loops, power loss,
 * a worker crash, disk full, a second broker on the data dir, TCP faults and replication faults
 * (RF 3: leader killed, hung, its data dir failed, ISR below min), each checked by the
 * ledger with its negative control. `npm run faults` runs the same cases at full size.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { diskFull, powerLoss, sigkillLoop, tcpFaults, twoBrokers, workerCrash, type CaseResult } from '../../perf/faults/cases.js'
import { badBatches, diskDamage } from '../../perf/faults/damage-cases.js'
import { belowMinInsync, replicationFault, type ReplicationFault } from '../../perf/faults/repl-cases.js'
import { txnBrokerKillAtCommit, txnCopierKills, txnDelayedProduce } from '../../perf/faults/txn-cases.js'
import { problemsOf, type Expectation } from '../../perf/faults/verdict.js'

const SEED = 20261203
const faults = suite('fault suite, quick cases')

function holds (r: CaseResult, expect?: Expectation): void {
  assert.equal(problemsOf(r, expect), [], `${r.fault}: acked ${r.acked}, lost ${r.lost}, duplicates ${r.duplicates}`)
}

faults('SIGKILL loop: nothing acked is lost, no duplicates', async () => {
  holds(await sigkillLoop({ seed: SEED, quick: true, flushEachBatch: false }))
})

faults('power loss with an fsync per batch loses nothing acked', async () => {
  holds(await powerLoss({ seed: SEED, quick: true, flush: 'each-batch' }))
})

faults('power loss with flush.ms=100 loses at most each partition\'s unsynced tail', async () => {
  holds(await powerLoss({ seed: SEED, quick: true, flush: 'interval' }), { tailLossAllowed: true })
})

faults('a partition worker crash loses nothing acked', async () => {
  holds(await workerCrash({ seed: SEED, quick: true }))
})

faults('disk full: nothing acked is lost, ENOSPC is logged, the broker takes records again', async () => {
  holds(await diskFull({ seed: SEED, quick: true }))
})

faults('a second broker on the same data dir refuses to start', async () => {
  holds(await twoBrokers({ seed: SEED, quick: true }))
})

faults('TCP stalls and cuts: nothing lost, nothing written twice', async () => {
  holds(await tcpFaults({ seed: SEED, quick: true }))
})

for (const damage of ['value-byte', 'base-offset', 'zeroed-tail'] as const) {
  faults(`damage on disk (${damage}): nothing wrong is served, kcat is told, the broker logs it`, async () => {
    holds(await diskDamage({ seed: SEED, quick: true, damage }), { unreadableAllowed: true })
  })
}

faults('malformed batches and a gzip bomb: refused with Kafka codes, nothing visible, memory bounded', async () => {
  holds(await badBatches({ seed: SEED, quick: true }))
})

faults('a transactional copier SIGKILLed mid-transaction copies every input exactly once, no aborted record seen', async () => {
  const r = await txnCopierKills({ seed: SEED, quick: true })
  holds(r)
  assert.ok(r.runs > 3, `the copier ran ${r.runs} times`)
})

faults('the broker SIGKILLed at EndTxn: every committed transaction is completed after the restart and read whole', async () => {
  const r = await txnBrokerKillAtCommit({ seed: SEED, quick: true })
  holds(r)
  assert.ok(r.runs >= 2, `the broker was killed ${r.runs} times`)
})

faults('a delayed Produce from a fenced epoch is refused and never seen', async () => {
  holds(await txnDelayedProduce({ seed: SEED, quick: true }))
})

const REPLICATION_FAULTS: Record<ReplicationFault, string> = {
  'leader-kill': 'the leader\'s worker killed',
  'leader-hang': 'the leader\'s worker hung past the lag time',
  'data-dir': 'the leader\'s data dir failed'
}
for (const [fault, what] of Object.entries(REPLICATION_FAULTS) as Array<[ReplicationFault, string]>) {
  faults(`RF 3, min ISR 2, ${what}: nothing acked lost or doubled, produce resumes within 2 s, ISR heals, replicas byte-identical`, async () => {
    holds(await replicationFault({ seed: SEED, quick: true, fault }))
  })
}

faults('RF 3 with the ISR below min.insync.replicas: acks=all is refused with NOT_ENOUGH_REPLICAS, never accepted', async () => {
  holds(await belowMinInsync({ seed: SEED, quick: true }))
})

faults.run()
