import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Broker, partitionForKey } from '../../src/index.js'
import { collect } from '../helpers/collect.js'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'

const CHILD = new URL('../fixtures/crash-producer.js', import.meta.url)
const RUNS = 3

/** Runs the child until it has had `acks` sends acknowledged, then SIGKILLs it; returns the last acked sequence. */
function produceThenKill (dataDir: string, topic: string, run: number, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD.pathname, dataDir, topic, String(run)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let seen = 0
    let lastAcked = -1
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^acked (\d+)/.exec(line)
      if (match === null) return
      lastAcked = Number(match[1]) + 19
      if (++seen === acks) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(lastAcked)
      else reject(new Error(`crash producer exited early with code ${code}`))
    })
  })
}

const crash = suite('SIGKILL while producing with fsync per batch')

crash(`every acknowledged record survives, intact and in order (${RUNS} runs)`, async () => {
  const dir = tmpDir()
  try {
    const topic = 'crashy'
    const lastAckedByRun: number[] = []
    for (let run = 0; run < RUNS; run++) {
      lastAckedByRun.push(await produceThenKill(dir, topic, run, 20 + run * 15))
      const broker = await Broker.start({ dataDir: dir, workers: 2 })
      try {
        const present = new Set<string>()
        for (let p = 0; p < 4; p++) {
          const description = await broker.describeTopic(topic)
          const count = Number(description.partitions[p].highWatermark)
          const consumer = broker.consumer({ maxWaitMs: 10 })
          consumer.assign([{ topic, partition: p, offset: 0n }])
          const messages = await collect(consumer, count)
          let previous = -1
          for (const m of messages) {
            const match = /^record-(\d+)-(\d+)-(x*)$/.exec(m.value!.toString())
            assert.ok(match !== null, `a damaged record was served: ${m.value!.toString()}`)
            const [written, seq] = [Number(match[1]), Number(match[2])]
            assert.is(match[3].length, seq % 40, 'record body intact')
            assert.is(m.key!.toString(), `k${seq % 13}`)
            assert.is(partitionForKey(m.key!, 4), p)
            const order = written * 1e9 + seq
            assert.ok(order > previous, 'records are in the order they were sent')
            previous = order
            present.add(`${written}/${seq}`)
          }
        }
        for (const [written, lastAcked] of lastAckedByRun.entries()) {
          for (let seq = 0; seq <= lastAcked; seq++) assert.ok(present.has(`${written}/${seq}`), `acknowledged record ${written}/${seq} is missing after run ${run}`)
        }
      } finally {
        await broker.close()
      }
    }
  } finally {
    removeDir(dir)
  }
})

crash.run()
