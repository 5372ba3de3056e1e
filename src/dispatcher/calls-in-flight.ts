/**
 * The control-plane calls in flight to one thread, so that they fail at once when the thread
 * dies (comlink alone would wait forever).
 *
 * Each call registers its reject function here and removes it when it settles. The obvious
 * alternative, racing every call against the thread's exit promise, leaves one reaction on that
 * long-lived promise per call until the thread exits: heartbeats alone would grow the heap
 * without bound.
 *
 * Thread: the dispatcher's.
 */
export class CallsInFlight {
  readonly #rejects = new Set<(err: Error) => void>()

  /** Settles as `call` does, or rejects with `failAll`'s error first. */
  run<T> (call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#rejects.add(reject)
      call.then(
        (value) => { this.#rejects.delete(reject); resolve(value) },
        (err) => { this.#rejects.delete(reject); reject(err) }
      )
    })
  }

  get size (): number { return this.#rejects.size }

  /** Rejects every call in flight with `err()`. */
  failAll (err: () => Error): void {
    const rejects = [...this.#rejects]
    this.#rejects.clear()
    for (const reject of rejects) reject(err())
  }
}
