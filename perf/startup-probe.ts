// Run by perf/core.ts in a fresh process (argument 'memory' or 'disk'): Broker.start() to the first produce+consume round
// trip, and the RSS once started. Prints one JSON line.
import { Broker } from '../src/index.js'
import { removeDir, tmpDir } from '../test/helpers/tmp-dir.js'

const inMemory = process.argv[2] === 'memory'
const dir = tmpDir('millrace-startup-')
const t0 = performance.now()
const broker = await Broker.start({ dataDir: inMemory ? null : dir })
await broker.createTopic({ topic: 'warm', partitions: 1 })
await broker.producer({ acks: 1 }).send({ topic: 'warm', messages: [{ value: 'x' }] })
const consumer = broker.consumer({ maxWaitMs: 0 })
consumer.assign([{ topic: 'warm', partition: 0, offset: 0n }])
await consumer.poll()
const roundTripMs = performance.now() - t0
const rssMb = process.memoryUsage().rss / 1048576
await broker.close()
removeDir(dir)
process.stdout.write(JSON.stringify({ roundTripMs, rssMb }) + '\n')
