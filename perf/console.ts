/**
 * The console on a big topic: a broker with a 1,000-partition topic (records spread over it) and
 * a consumer group with lag, each console page loaded in headless Chromium. Prints the load time
 * of each page (navigation until its data is on screen), the broker process's RSS and heap before
 * the console and after every page (with their live streams running), and writes a screenshot of
 * each page to perf/console-screenshots/. Run: npm run bench:console
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Broker } from '../src/index.js'
import { launchChromium } from '../test/helpers/chromium.js'
import { startConsoleServer } from '../test/helpers/console-server.js'
import { removeDir, tmpDir } from '../test/helpers/tmp-dir.js'

const PARTITIONS = 1000
const RECORDS = 50_000
const TOPIC = 'clicks'
const GROUP = 'billing'
const OUT = fileURLToPath(new URL('../../perf/console-screenshots/', import.meta.url))

function memory (): { rssMb: number, heapMb: number } {
  global.gc?.()
  const m = process.memoryUsage()
  return { rssMb: Math.round(m.rss / 1048576), heapMb: Math.round(m.heapUsed / 1048576) }
}

const dir = tmpDir('millrace-console-bench-')
const broker = await Broker.start({ dataDir: dir, groupInitialRebalanceDelayMs: 0 })
try {
  await broker.createTopic({ topic: TOPIC, partitions: PARTITIONS })
  await broker.createTopic({ topic: 'orders', partitions: 3 })
  const producer = broker.producer({ acks: 1, lingerMs: 5 })
  for (let sent = 0; sent < RECORDS; sent += 1000) {
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 1000 }, (_, i) => ({ key: `user-${(sent + i) % 977}`, value: JSON.stringify({ page: `/p/${i % 50}`, ms: sent + i }), headers: { source: 'web' } })) })
  }
  await producer.send({ topic: 'orders', messages: [{ key: 'order-1', value: '{"total":42.5,"items":3}', headers: { trace: 'abc123' } }] })
  // A group that has read half of clicks and stopped: lag on every partition.
  const consumer = broker.consumer({ groupId: GROUP, autoCommit: false, autoOffsetReset: 'earliest' })
  consumer.subscribe({ topics: [TOPIC] })
  while (consumer.assignment().length === 0) await consumer.poll()
  const described = await broker.describeTopic(TOPIC)
  await consumer.commit(described.partitions.map((p) => ({ topic: TOPIC, partition: p.partition, offset: p.highWatermark / 2n })))
  await consumer.close()

  const before = memory()
  // Traffic while the pages are open, so throughput and lag charts have something to draw.
  let traffic = true
  const load = (async () => {
    for (let n = 0; traffic; n++) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 200 }, (_, i) => ({ key: `user-${i}`, value: `{"live":${n}}` })) })
      await new Promise((resolve) => setTimeout(resolve, 50 + (n % 20) * 5))
    }
  })()
  const server = await startConsoleServer(broker)
  const browser = await launchChromium()
  mkdirSync(OUT, { recursive: true })
  const pages: Array<[name: string, route: string, ready: string]> = [
    ['home', '/', `[data-topic="${TOPIC}"] [data-testid=records]`],
    ['topic', `/topics/${TOPIC}`, '[data-partition="0"] [data-testid=hw]'],
    ['messages', `/topics/orders`, '[data-testid=browse-load]'],
    ['group', `/groups/${GROUP}`, '[data-testid=offsets] tbody tr'],
    ['broker', '/broker', '[data-testid=settings] tbody tr']
  ]
  const results: Array<Record<string, unknown>> = []
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    for (const [name, route, ready] of pages) {
      const t0 = performance.now()
      await page.goto(`${server.url}/#${route}`)
      await page.locator(ready).first().waitFor()
      const loadMs = Math.round(performance.now() - t0)
      if (name === 'messages') {
        await page.click('[data-testid=browse-load]')
        await page.locator('[data-testid=message-value]').first().waitFor()
        await page.selectOption('[data-testid=browse-format]', 'json')
      }
      if (name !== 'broker') {
        // A few live samples so charts have a line and rates are filled in.
        await page.locator('#live.on').waitFor()
        await page.waitForTimeout(3000)
      }
      await page.screenshot({ path: `${OUT}${name}.png`, fullPage: name !== 'topic' })
      results.push({ page: name, loadMs, ...memory() })
    }
  } finally {
    traffic = false
    await load
    await browser.close()
    await server.close()
  }
  console.log(JSON.stringify({ partitions: PARTITIONS, records: RECORDS, before }))
  for (const r of results) console.log(JSON.stringify(r))
} finally {
  await broker.close()
  removeDir(dir)
}
