/**
 * A partition worker's control block: a few Int32 words in a SharedArrayBuffer that the worker
 * and the dispatcher both see, for what must work while the worker's event loop is stuck (a
 * comlink call cannot reach a hung thread, nor stop a resumed one in time).
 *
 *  ┌─────────────┬──────────┬──────────────┐
 *  │0 heartbeat  │1 fenced  │2 hangs begun │
 *  └─────────────┴──────────┴──────────────┘
 *    heartbeat: the worker adds 1 every pump pass and every tick; a value that stops moving
 *               means the thread is stuck (the dispatcher's supervisor compares readings).
 *    fenced:    set once by the dispatcher when it gives up on the worker; from then on the
 *               worker refuses every write (a resumed zombie must not append nor acknowledge).
 *    hangs begun: how many times the `hang` fault hook has blocked the thread (a count, so a
 *               short hang that is already over is not missed by whoever waits for it).
 */
const HEARTBEAT = 0
const FENCED = 1
const HANGS_BEGUN = 2
const WORDS = 3

// Atomics.waitAsync is in Node ≥ 16 but only in TypeScript's es2024 lib.
const atomicsWaitAsync = (Atomics as unknown as {
  waitAsync: (i32: Int32Array, index: number, value: number, timeoutMs: number) =>
    { async: false, value: 'not-equal' | 'timed-out' } | { async: true, value: Promise<'ok' | 'timed-out'> }
}).waitAsync

export function createControlBlock (): SharedArrayBuffer {
  return new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT)
}

export class ControlBlock {
  readonly #words: Int32Array

  constructor (block: SharedArrayBuffer) {
    if (block.byteLength < WORDS * Int32Array.BYTES_PER_ELEMENT) throw new RangeError(`a control block needs ${WORDS} words, got ${block.byteLength} bytes`)
    this.#words = new Int32Array(block)
  }

  // Atomics throughout: the two threads read and write the words concurrently, and a plain read
  // could be hoisted out of the pump loop by the JIT (a fence set mid-drain would go unseen).

  /** Worker: one more sign of life (wraps around; only changes matter). */
  beat (): void { Atomics.add(this.#words, HEARTBEAT, 1) }

  /** Dispatcher: the current heartbeat value. */
  get heartbeat (): number { return Atomics.load(this.#words, HEARTBEAT) }

  /** Dispatcher: refuse every write from now on. Never undone: a fenced worker is replaced. */
  fence (): void { Atomics.store(this.#words, FENCED, 1) }

  get fenced (): boolean { return Atomics.load(this.#words, FENCED) !== 0 }

  /** Worker: the hang hook is about to block the thread; wakes whoever waits for it. */
  beginHang (): void {
    Atomics.add(this.#words, HANGS_BEGUN, 1)
    Atomics.notify(this.#words, HANGS_BEGUN)
  }

  get hangsBegun (): number { return Atomics.load(this.#words, HANGS_BEGUN) }

  /** Resolves true once a hang after the `before` count has begun, or false after `timeoutMs`. */
  async waitForHang (before: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if (this.hangsBegun !== before) return true
      const left = deadline - performance.now()
      if (left <= 0) return false
      // Sleeps only while the word still equals `before`: a bump in between returns "not-equal" at once.
      const { async, value } = atomicsWaitAsync(this.#words, HANGS_BEGUN, before, left)
      if (async) await value
    }
  }
}

/** Blocks the calling thread for `ms` without spinning (the `hang` fault hook). */
export function blockThread (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}
