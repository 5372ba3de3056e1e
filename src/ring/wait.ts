/**
 * Sleeping until the other side of a ring publishes, without losing a wake-up.
 *
 * Each side sleeps on its own flag word (kReaderWaiting / kWriterWaiting), not on the
 * counter it waits for, because a close or a fault must wake it too and does not move the
 * counter. The protocol, on one flag:
 *
 *   sleeper                               publisher
 *   ───────                               ─────────
 *   Atomics.store(flag, 1)                Atomics.store(counter or state, new)
 *   poll(): counter/state moved? → done   if Atomics.load(flag) === 1 &&
 *   Atomics.wait(flag, 1, timeout)           Atomics.exchange(flag, 0) === 1:
 *   Atomics.store(flag, 0), poll again        Atomics.notify(flag)
 *
 * Both columns are sequentially consistent store-then-load, so at least one side sees the
 * other's store: either the sleeper's poll sees the new counter, or the publisher sees the
 * flag and clears it. A clear that lands before Atomics.wait makes the wait return
 * 'not-equal' at once; one that lands after finds the sleeper queued and notifies it.
 * The publisher pays only a load per frame while nobody sleeps (no notify per frame).
 *
 * Waiting threads: a worker uses waitSync (Atomics.wait stalls its own event loop, so the
 * timeout is always bounded by the caller); the dispatcher uses waitAsync.
 */
import { invalidOption } from '../errors.js'

/** poll() results. */
export const POLL_READY = 1
export const POLL_NOT_YET = 0
export const POLL_GIVE_UP = -1

/**
 * Polls before a blocking wait. A wake-up through Atomics.wait/notify costs ~50 µs; a
 * short spin catches a writer that publishes within a few microseconds (DESIGN.md,
 * measured table). Kept short: on 2 cores an unbounded spin steals the other side's core.
 */
export const DEFAULT_SPIN_COUNT = 2000

/** MILLRACE_RING_SPIN=<n> overrides the spin count; MILLRACE_RING_SPIN=0 disables spinning. */
export function spinCountFromEnv (): number {
  const raw = process.env.MILLRACE_RING_SPIN
  if (raw === undefined || raw === '') return DEFAULT_SPIN_COUNT
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw invalidOption('MILLRACE_RING_SPIN', `must be an integer ≥ 0 (got ${raw})`)
  return n
}

export function checkSpinCount (spinCount: number): number {
  if (!Number.isInteger(spinCount) || spinCount < 0) throw invalidOption('ring options.spinCount', `must be an integer ≥ 0 (got ${String(spinCount)})`)
  return spinCount
}

function checkTimeout (timeoutMs: number): void {
  if (!(timeoutMs >= 0)) throw invalidOption('ring wait timeoutMs', `must be a number ≥ 0 (got ${String(timeoutMs)})`)
}

type WaitAsyncResult =
  | { async: false, value: 'not-equal' | 'timed-out' }
  | { async: true, value: Promise<'ok' | 'timed-out'> }

// Atomics.waitAsync is in Node ≥ 16 but only in TypeScript's es2024 lib.
const atomicsWaitAsync = (Atomics as unknown as {
  waitAsync: (i32: Int32Array, index: number, value: number, timeoutMs: number) => WaitAsyncResult
}).waitAsync

/**
 * One side's wait loop. `poll` says whether the side can go on (POLL_READY), must keep
 * waiting (POLL_NOT_YET) or must stop because the ring closed or faulted (POLL_GIVE_UP).
 * Made once per ring end, so waiting allocates nothing but waitAsync's own promise.
 */
export class Waiter {
  readonly #i32: Int32Array
  readonly #flag: number
  readonly #poll: () => number
  readonly #spinCount: number

  constructor (i32: Int32Array, flag: number, poll: () => number, spinCount: number) {
    this.#i32 = i32
    this.#flag = flag
    this.#poll = poll
    this.#spinCount = spinCount
  }

  /** Blocks the thread, at most timeoutMs (after spinning). true when ready, false on timeout, close or fault. */
  waitSync (timeoutMs: number): boolean {
    checkTimeout(timeoutMs)
    const poll = this.#poll
    let r = poll()
    for (let i = this.#spinCount; r === POLL_NOT_YET && i > 0; i--) r = poll()
    if (r !== POLL_NOT_YET) return r === POLL_READY
    if (timeoutMs === 0) return false
    const i32 = this.#i32
    const flag = this.#flag
    const deadline = performance.now() + timeoutMs
    let remaining = timeoutMs
    for (;;) {
      // Announce the sleep before the last poll: the publisher's store-then-load-flag and
      // this store-then-poll cannot both miss each other (see the header comment).
      Atomics.store(i32, flag, 1)
      r = poll()
      if (r === POLL_NOT_YET) {
        // Sleeps only while the flag is still 1: a publisher that cleared it since the
        // store above makes this return 'not-equal' at once instead of losing the wake-up.
        Atomics.wait(i32, flag, 1, remaining)
        r = poll()
      }
      // Withdraw the announcement so the publisher stops paying for notifies.
      Atomics.store(i32, flag, 0)
      if (r !== POLL_NOT_YET) return r === POLL_READY
      remaining = deadline - performance.now()
      if (remaining <= 0) return false
    }
  }

  /** Like waitSync for the dispatcher thread: never blocks, never spins. */
  async waitAsync (timeoutMs: number): Promise<boolean> {
    checkTimeout(timeoutMs)
    const poll = this.#poll
    let r = poll()
    if (r !== POLL_NOT_YET) return r === POLL_READY
    if (timeoutMs === 0) return false
    const i32 = this.#i32
    const flag = this.#flag
    const deadline = performance.now() + timeoutMs
    let remaining = timeoutMs
    for (;;) {
      // Same announcement as waitSync: store the flag, then poll, then sleep on the flag.
      Atomics.store(i32, flag, 1)
      r = poll()
      if (r === POLL_NOT_YET) {
        const res = atomicsWaitAsync(i32, flag, 1, remaining)
        if (res.async) await res.value
        r = poll()
      }
      Atomics.store(i32, flag, 0)
      if (r !== POLL_NOT_YET) return r === POLL_READY
      remaining = deadline - performance.now()
      if (remaining <= 0) return false
    }
  }
}

/**
 * Called by a publisher right after its Atomics.store of a counter: wakes the other side
 * only if it announced a sleep. The load is the cheap common case (nobody sleeping); the
 * exchange makes sure one announcement costs at most one notify.
 */
export function wakeIfWaiting (i32: Int32Array, flag: number): void {
  if (Atomics.load(i32, flag) !== 0 && Atomics.exchange(i32, flag, 0) !== 0) Atomics.notify(i32, flag)
}

/** After a close or fault: clears both flags and wakes both sides, whoever sleeps. */
export function wakeAll (i32: Int32Array, readerFlag: number, writerFlag: number): void {
  Atomics.store(i32, readerFlag, 0)
  Atomics.notify(i32, readerFlag)
  Atomics.store(i32, writerFlag, 0)
  Atomics.notify(i32, writerFlag)
}
