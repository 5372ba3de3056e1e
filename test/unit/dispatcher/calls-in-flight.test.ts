import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CallsInFlight } from '../../../src/dispatcher/calls-in-flight.js'

const calls = suite('CallsInFlight')

calls('a call settles as its promise does and is forgotten afterwards', async () => {
  const inFlight = new CallsInFlight()
  const answered = inFlight.run(Promise.resolve(42))
  const failed = inFlight.run(Promise.reject(new Error('remote failure')))
  assert.is(inFlight.size, 2)
  assert.is(await answered, 42)
  try {
    await failed
    assert.unreachable('the call should have rejected')
  } catch (err) {
    assert.is((err as Error).message, 'remote failure')
  }
  assert.is(inFlight.size, 0)
})

calls('failAll rejects every call still waiting, and a late answer changes nothing', async () => {
  const inFlight = new CallsInFlight()
  let answer!: (value: string) => void
  const waiting = inFlight.run(new Promise<string>((resolve) => { answer = resolve }))
  const alsoWaiting = inFlight.run(new Promise<string>(() => {}))
  inFlight.failAll(() => new Error('thread exited'))
  assert.is(inFlight.size, 0)
  answer('too late')
  const results = await Promise.allSettled([waiting, alsoWaiting])
  for (const r of results) {
    assert.is(r.status, 'rejected')
    assert.is((r as PromiseRejectedResult).reason.message, 'thread exited')
  }
})

// ---

calls('many finished calls leave nothing registered (nothing hangs on the thread\'s lifetime)', async () => {
  const inFlight = new CallsInFlight()
  for (let i = 0; i < 1000; i++) await inFlight.run(Promise.resolve(i))
  assert.is(inFlight.size, 0)
})

calls.run()
