/**
 * Consumer-group start-up: the time from a 3-member kafkajs group's first JoinGroup to its
 * first fetched record (and to every member's first record), against a broker started here
 * with its default settings; then the same with Kafka's 3 s group.initial.rebalance.delay.ms
 * for comparison. kafkajs runs with its own defaults apart from a short Fetch wait.
 *
 *   npm run bench:groups          (RUNS=5 by default)
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import { Broker } from '../src/index.js'
import { formatFigure, median } from './lib/stats.js'

const RUNS = Number(process.env.RUNS ?? 5)
const MEMBERS = 3
const PARTITIONS = 6

interface Timing { firstRecordMs: number, allMembersMs: number }

async function oneRun (brokerOptions: Parameters<typeof Broker.start>[0], run: number): Promise<Timing> {
  const broker = await Broker.start({ dataDir: null, port: 0, ...brokerOptions })
  const topic = `group-start-${run}`
  await broker.createTopic({ topic, partitions: PARTITIONS })
  const producer = broker.producer()
  await producer.send({ topic, messages: Array.from({ length: 600 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })) })
  await producer.close()
  const kafka = new Kafka({ clientId: 'bench-groups', brokers: [broker.address!], logLevel: logLevel.NOTHING })
  let firstJoinSentAt = Infinity
  const firstRecordAt: number[] = []
  const consumers: Consumer[] = []
  let allDone!: () => void
  const done = new Promise<void>((resolve) => { allDone = resolve })
  await Promise.all(Array.from({ length: MEMBERS }, async (_, m) => {
    const consumer = kafka.consumer({ groupId: `bench-${run}`, maxWaitTimeInMs: 100 })
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
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 30_000))])
  const timing = { firstRecordMs: Math.min(...firstRecordAt.filter((t) => t !== undefined)) - firstJoinSentAt, allMembersMs: Math.max(...firstRecordAt) - firstJoinSentAt }
  await Promise.all(consumers.map((c) => c.disconnect()))
  await broker.close()
  return timing
}

async function measure (label: string, options: Parameters<typeof Broker.start>[0]): Promise<void> {
  const timings: Timing[] = []
  for (let run = 0; run < RUNS; run++) timings.push(await oneRun(options, run))
  const first = timings.map((t) => t.firstRecordMs)
  const all = timings.map((t) => Number.isNaN(t.allMembersMs) ? Infinity : t.allMembersMs)
  console.log(formatFigure({ name: `${label}: first JoinGroup → first record`, value: median(first), unit: 'ms', min: Math.min(...first), max: Math.max(...first) }))
  console.log(formatFigure({ name: `${label}: first JoinGroup → every member's first record`, value: median(all), unit: 'ms', min: Math.min(...all), max: Math.max(...all) }))
}

console.log(`3 kafkajs members, ${PARTITIONS} partitions, medians of ${RUNS} runs`)
await measure('defaults', {})
await measure('Kafka\'s 3 s initial delay', { groupInitialRebalanceDelayMs: 3000 })
