/**
 * The web console in headless Chromium against a real broker (library mode, temp data dir):
 * each page shows what the broker holds, and each form changes it through the broker.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { Broker } from '../../src/index.js'
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js'
import { launchChromium } from '../helpers/chromium.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'

interface Ctx { dir: string, broker: Broker, console: ConsoleServer, browser: Browser, page: Page, pageErrors: string[] }

const web = suite<Ctx>('web console')

web.before(async (ctx) => {
  ctx.dir = tmpDir('millrace-console-')
  ctx.broker = await Broker.start({ dataDir: ctx.dir, groupInitialRebalanceDelayMs: 0 })
  ctx.console = await startConsoleServer(ctx.broker, { sampleIntervalMs: 200 })
  ctx.browser = await launchChromium()
})

web.before.each(async (ctx) => {
  ctx.page = await ctx.browser.newPage()
  ctx.page.setDefaultTimeout(15_000)
  ctx.pageErrors = []
  ctx.page.on('pageerror', (err) => ctx.pageErrors.push(err.message))
  // A 4xx the test provokes on purpose is logged by Chromium too; the page shows it, so it is no fault.
  ctx.page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) ctx.pageErrors.push(m.text()) })
})

// Hooks must not throw: uvu drops a failing test's report when its after.each throws too.
web.after.each(async (ctx) => {
  await ctx.page.close().catch(() => {})
})

/** Ends each test: a script error or a blocked request in the page fails it. */
function noPageErrors (ctx: Ctx): void {
  assert.equal(ctx.pageErrors, [], 'the page logged no errors')
}

web.after(async (ctx) => {
  await ctx.browser?.close()
  await ctx.console?.close()
  await ctx.broker?.close()
  removeDir(ctx.dir)
})

async function open (ctx: Ctx, route: string): Promise<void> {
  await ctx.page.goto(`${ctx.console.url}/#${route}`)
}

/** Waits until the first element matching `selector` has exactly `text`. */
async function waitForText (page: Page, selector: string, text: string): Promise<void> {
  // A locator, not waitForFunction: the page's CSP forbids the eval a string predicate needs.
  await page.locator(`${selector}:text-is(${JSON.stringify(text)})`).first().waitFor()
}

async function textOf (page: Page, selector: string): Promise<string> {
  const el = page.locator(selector).first()
  await el.waitFor()
  return (await el.textContent()) ?? ''
}

/** A group that read `topic` up to `offset` and left: Empty, with lag HW − offset. */
async function groupAt (broker: Broker, groupId: string, topic: string, offset: number): Promise<void> {
  const member = broker.consumer({ groupId, autoOffsetReset: 'earliest', autoCommit: false })
  member.subscribe({ topics: [topic] })
  await until('the member joined', async () => { await member.poll(); return member.assignment().length > 0 })
  await member.commit([{ topic, partition: 0, offset }])
  await member.close()
}

web('the home page lists a topic and a group with its lag', async (ctx) => {
  const topic = uniqueTopic('web-home')
  const groupId = uniqueTopic('web-home-group')
  await ctx.broker.createTopic({ topic })
  await ctx.broker.producer().send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) })
  await groupAt(ctx.broker, groupId, topic, 4)
  await open(ctx, '/')
  assert.is(await textOf(ctx.page, `[data-topic="${topic}"] [data-testid=records]`), '10')
  assert.is(await textOf(ctx.page, `[data-group="${groupId}"] [data-testid=lag]`), '6')
  // Live: a produce shows up in the open page without a reload.
  await ctx.broker.producer().send({ topic, messages: [{ value: 'one more' }] })
  await waitForText(ctx.page, `[data-group="${groupId}"] [data-testid=lag]`, '7')
  await ctx.page.click(`[data-topic="${topic}"] a`)
  assert.is(await textOf(ctx.page, '[data-testid=topic-records]'), '11')
  noPageErrors(ctx)
})

web('the message browser shows a produced record: key, value as text, JSON and hex, headers, and markup stays text', async (ctx) => {
  const topic = uniqueTopic('web-browse')
  await ctx.broker.createTopic({ topic })
  const evil = '<img src=x onerror="window.__injected=1">'
  await ctx.broker.producer().send({ topic, messages: [
    { key: 'order-1', value: '{"total":42}', headers: { source: 'checkout' } },
    { key: evil, value: evil, headers: { [evil]: evil } }
  ] })
  await open(ctx, `/topics/${encodeURIComponent(topic)}`)
  await ctx.page.click('[data-testid=browse-load]')
  const row = `tr[data-offset="0"]`
  assert.is(await textOf(ctx.page, `${row} [data-testid=message-key]`), 'order-1')
  assert.is(await textOf(ctx.page, `${row} [data-testid=message-value]`), '{"total":42}')
  assert.is(await textOf(ctx.page, `${row} [data-testid=message-headers]`), 'source: checkout')
  assert.is(await textOf(ctx.page, 'tr[data-offset="1"] [data-testid=message-value]'), evil)
  assert.is(await ctx.page.locator('[data-testid=messages] img').count(), 0, 'no element was made from data')
  assert.is(await ctx.page.evaluate('typeof window.__injected'), 'undefined')
  await ctx.page.selectOption('[data-testid=browse-format]', 'json')
  assert.is(await textOf(ctx.page, `${row} [data-testid=message-value] pre`), '{\n  "total": 42\n}')
  await ctx.page.selectOption('[data-testid=browse-format]', 'hex')
  assert.is(await textOf(ctx.page, `${row} [data-testid=message-key]`), '6f 72 64 65 72 2d 31')
  await ctx.page.fill('[data-testid=browse-filter]', 'checkout')
  await ctx.page.click('[data-testid=browse-load]')
  await ctx.page.locator('[data-testid=browse-status]:text("1 messages")').waitFor()
  assert.is(await ctx.page.locator('[data-testid=messages] tbody tr').count(), 1)
  await ctx.page.selectOption('[data-testid=browse-from]', 'offset')
  await ctx.page.fill('[data-testid=browse-offset]', 'x')
  await ctx.page.click('[data-testid=browse-load]')
  assert.ok((await textOf(ctx.page, '[data-testid=browse-error]:visible')).includes('offset must be a non-negative integer'))
  noPageErrors(ctx)
})

web('the produce form writes a message the broker serves back', async (ctx) => {
  const topic = uniqueTopic('web-produce')
  await ctx.broker.createTopic({ topic, partitions: 2 })
  await open(ctx, `/topics/${encodeURIComponent(topic)}`)
  await ctx.page.fill('[data-testid=produce-key]', 'user-7')
  await ctx.page.fill('[data-testid=produce-value]', 'hello from the console')
  await ctx.page.fill('[data-testid=produce-headers]', 'trace: abc\nsource: web')
  await ctx.page.fill('[data-testid=produce-partition]', '1')
  await ctx.page.click('[data-testid=produce-send]')
  assert.is(await textOf(ctx.page, '[data-testid=produce-result]:not(:empty)'), 'Written to partition 1 at offset 0.')
  const consumer = ctx.broker.consumer({ maxWaitMs: 0 })
  consumer.assign([{ topic, partition: 1, offset: 'earliest' }])
  const [m] = await consumer.poll()
  await consumer.close()
  assert.equal([m?.key?.toString(), m?.value?.toString(), m?.headers.trace?.toString(), m?.headers.source?.toString()], ['user-7', 'hello from the console', 'abc', 'web'])
  await ctx.page.fill('[data-testid=produce-partition]', '5')
  await ctx.page.click('[data-testid=produce-send]')
  assert.ok((await textOf(ctx.page, '[data-testid=produce-error]:visible')).includes('partition 5 does not exist'))
  noPageErrors(ctx)
})

web('a config edit takes effect, and a value the broker refuses shows its error', async (ctx) => {
  const topic = uniqueTopic('web-config')
  await ctx.broker.createTopic({ topic })
  await open(ctx, `/topics/${encodeURIComponent(topic)}`)
  await ctx.page.locator('[data-testid=configs] tbody tr').first().waitFor() // the page has its configs
  await ctx.page.fill('[data-testid=config-new-key]', 'retention.ms')
  await ctx.page.fill('[data-testid=config-new-value]', '120000')
  await ctx.page.click('form:has([data-testid=config-new-key]) button')
  await until('describeTopic shows the edit', async () => (await ctx.broker.describeTopic(topic)).config['retention.ms'] === '120000')
  await ctx.page.locator('tr[data-config="retention.ms"].override').waitFor()
  await ctx.page.fill('[data-testid="config-value-retention.ms"]', 'forever')
  await ctx.page.click('[data-testid="config-save-retention.ms"]')
  assert.ok((await textOf(ctx.page, '[data-testid=config-error]:visible')).includes('retention.ms must be'))
  assert.is((await ctx.broker.describeTopic(topic)).config['retention.ms'], '120000')
  noPageErrors(ctx)
})

web('offset reset is refused with the broker\'s error while a member is active, and moves the committed offset after', async (ctx) => {
  const topic = uniqueTopic('web-reset')
  const groupId = uniqueTopic('web-reset-group')
  await ctx.broker.createTopic({ topic })
  await ctx.broker.producer().send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ value: `v${i}` })) })
  // One member only: a second consumer joining a group whose first member left does not get
  // through its join in library mode today (its first poll never returns), so this group never had another.
  const member = ctx.broker.consumer({ groupId, autoOffsetReset: 'earliest', autoCommit: false })
  member.subscribe({ topics: [topic] })
  let read = 0
  await until('the member read every record', async () => { read += (await member.poll()).length; return read >= 8 })
  await member.commit()
  await open(ctx, `/groups/${encodeURIComponent(groupId)}`)
  assert.is(await textOf(ctx.page, '[data-testid=group-state]'), 'Stable')
  await ctx.page.locator(`[data-testid=reset-topic] option[value="${topic}"]`).waitFor({ state: 'attached' })
  await ctx.page.selectOption('[data-testid=reset-to]', 'offset')
  await ctx.page.fill('[data-testid=reset-offset]', '3')
  await ctx.page.click('[data-testid=reset-send]')
  assert.ok((await textOf(ctx.page, '[data-testid=reset-error]:visible')).includes('no active members'))
  await member.close()
  await waitForText(ctx.page, '[data-testid=group-state]', 'Empty')
  await ctx.page.click('[data-testid=reset-send]')
  assert.is(await textOf(ctx.page, '[data-testid=reset-result]:not(:empty)'), 'Reset 1 partitions: 0: 8 → 3')
  const described = await ctx.broker.describeGroup(groupId)
  assert.is(described.offsets[0]!.committedOffset, 3n)
  assert.is(await textOf(ctx.page, `tr[data-topic="${topic}"] [data-testid=partition-lag]`), '5')
  noPageErrors(ctx)
})

web('the broker page shows the data dir and the workers', async (ctx) => {
  await open(ctx, '/broker')
  assert.is(await textOf(ctx.page, '[data-testid=data-dir]'), ctx.dir)
  assert.is(await textOf(ctx.page, '[data-testid=workers]'), String(ctx.broker.config.workers))
  noPageErrors(ctx)
})

web.run()
