/**
 * Consumer-group start-up: the time from a 3-member kafkajs group's first JoinGroup to its
 * first fetched record (and to every member's first record), against `millrace start` in a
 * process of its own with its default settings; then the same with Kafka's 3 s
 * group.initial.rebalance.delay.ms for comparison. Each run starts two groups one after the
 * other: the first also waits for the coordinator thread to start (the first group a fresh
 * broker sees), the second finds it running. kafkajs runs with its own defaults apart
 * from a short Fetch wait.
 *
 *   npm run bench:groups          (RUNS=5 by default)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import { formatFigure, median } from './lib/stats.js'

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname

const RUNS = Number(process.env.RUNS ?? 5)
const MEMBERS = 3
const PARTITIONS = 6

interface Timing { firstRecordMs: number, allMembersMs: number }

/** Starts `millrace start --memory --port 0` with extra options; resolves with its address once it is ready. */
async function startBroker (options: Record<string, unknown>): Promise<{ child: ChildProcess, address: string }> {
  const config = join(tmpdir(), `millrace-bench-groups-${process.pid}.json`)
  writeFileSync(config, JSON.stringify(options))
  const child = spawn(process.execPath, [CLI, 'start', '--memory', '--port', '0', '--http-port', '0', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  return await new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += String(chunk)
      const match = /listening on (\S+),/.exec(output)
      if (match !== null) resolve({ child, address: match[1] })
    })
    child.once('exit', () => reject(new Error(`the broker did not start: ${output}`)))
  })
}

async function oneRun (brokerOptions: Record<string, unknown>, run: number): Promise<{ cold: Timing, warm: Timing }> {
  const { child, address } = await startBroker(brokerOptions)
  const topic = `group-start-${run}`
  const kafka = new Kafka({ clientId: 'bench-groups', brokers: [address], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
  await producer.disconnect()
  // The first group on a fresh broker also waits for the coordinator thread to start; the
  // second finds it running (as every group does on a broker that has served groups before).
  const cold = await startGroup(kafka, topic, `bench-${run}-first`)
  const warm = await startGroup(kafka, topic, `bench-${run}-second`)
  child.kill('SIGTERM')
  await once(child, 'exit')
  return { cold, warm }
}

/** Starts MEMBERS consumers of `groupId` at once; resolves with the timings once each has a record. */
async function startGroup (kafka: Kafka, topic: string, groupId: string): Promise<Timing> {
  let firstJoinSentAt = Infinity
  const firstRecordAt: number[] = []
  const consumers: Consumer[] = []
  let allDone!: () => void
  const done = new Promise<void>((resolve) => { allDone = resolve })
  await Promise.all(Array.from({ length: MEMBERS }, async (_, m) => {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
    consumers.push(consumer)
    consumer.on(consumer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'JoinGroup') firstJoinSentAt = Math.min(firstJoinSentAt, e.payload.sentAt)
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachBatch: async () => {
        if (firstRecordAt[m] !== undefined) return
        firstRecordAt[m] = Date.now()
        if (firstRecordAt.filter((t) => t !== undefined).length === MEMBERS) allDone()
      }
    })
  }))
  let timer: NodeJS.Timeout | undefined
  await Promise.race([done, new Promise((resolve) => { timer = setTimeout(resolve, 30_000) })])
  clearTimeout(timer)
  const timing = { firstRecordMs: Math.min(...firstRecordAt.filter((t) => t !== undefined)) - firstJoinSentAt, allMembersMs: Math.max(...firstRecordAt) - firstJoinSentAt }
  await Promise.all(consumers.map((c) => c.disconnect()))
  return timing
}

async function measure (label: string, options: Record<string, unknown>): Promise<void> {
  const runs: Array<{ cold: Timing, warm: Timing }> = []
  for (let run = 0; run < RUNS; run++) runs.push(await oneRun(options, run))
  const line = (name: string, values: number[]): void => {
    console.log(formatFigure({ name: `${label}: ${name}`, value: median(values), unit: 'ms', min: Math.min(...values), max: Math.max(...values) }))
  }
  line('JoinGroup → first record', runs.map((r) => r.warm.firstRecordMs))
  line('JoinGroup → all 3 have a record', runs.map((r) => r.warm.allMembersMs))
  line('same, first group of a fresh broker', runs.map((r) => r.cold.firstRecordMs))
}

console.log(`3 kafkajs members, ${PARTITIONS} partitions, medians of ${RUNS} runs`)
await measure('defaults', {})
await measure('3 s delay (Kafka\'s)', { groupInitialRebalanceDelayMs: 3000 })
