/**
 * Fetch long-polls wake on appends, including an append that lands after the poll read and
 * before it started waiting (the window a fetch handler or consumer passes through every time).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker } from '../../src/index.js'

const poll = suite('long-poll wake-ups')

const race = (wait: Promise<void>): Promise<'woken' | 'still waiting'> => {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<'still waiting'>((resolve) => { timer = setTimeout(() => resolve('still waiting'), 5_000) })
  return Promise.race([wait.then(() => 'woken' as const), guard]).finally(() => clearTimeout(timer))
}

poll('an append between the read and the wait ends the wait at once', async () => {
  const broker = await Broker.start({ dataDir: null, workers: 1 })
  try {
    await broker.createTopic({ topic: 'window', partitions: 2 })
    const d = broker.dispatcher
    const watched = [d.partition('window', 0)!, d.partition('window', 1)!]
    const seen = d.appendCounts(watched)
    // The read found nothing; now an append lands before the poll registers.
    await broker.producer().send({ topic: 'window', messages: [{ key: 'k', value: 'v', partition: 1 }] })
    assert.is(await race(d.waitForData(watched, 60_000, seen)), 'woken')
    // Nothing new since: a poll that saw the current counts waits (until an append wakes it).
    const current = d.appendCounts(watched)
    const waiting = d.waitForData(watched, 60_000, current)
    let woke = false
    void waiting.then(() => { woke = true })
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.not.ok(woke, 'nothing appended since the read: the poll waits')
    const appended = broker.producer().send({ topic: 'window', messages: [{ key: 'k', value: 'v', partition: 0 }] })
    assert.is(await race(waiting), 'woken')
    await appended
  } finally {
    await broker.close()
  }
})

poll.run()
