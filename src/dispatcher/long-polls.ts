/**
 * Fetch long-polls parked on partitions until an append lands on one of them, their wait ends,
 * or their connection closes. Plain bookkeeping on the dispatcher's thread: the router wakes
 * a partition's polls after each successful append or marker.
 */
import type { PartitionState } from './topic-table.js'

interface Waiter {
  resolve: () => void
  timer: NodeJS.Timeout
  ids: readonly number[]
}

export class LongPolls {
  readonly #waiters = new Map<number, Set<Waiter>>()
  #closed = false

  /**
   * Resolves when an append lands on one of `partitions`, or after `maxWaitMs`: the wait of a
   * Fetch long-poll. The caller re-reads afterwards. `seen` (from `appendCounts` before the
   * read) closes the window between the read and this call: an append in it ends the wait at once.
   * `stop` (a connection closing) ends it too; its listener is removed when the wait ends, so a
   * long-lived signal keeps nothing of the waits it saw.
   */
  waitForData (partitions: readonly PartitionState[], maxWaitMs: number, seen?: readonly number[], stop?: AbortSignal): Promise<void> {
    if (maxWaitMs <= 0 || this.#closed || stop?.aborted === true) return Promise.resolve()
    if (seen !== undefined && partitions.some((p, i) => p.appends !== seen[i])) return Promise.resolve()
    return new Promise((resolve) => {
      const ids = partitions.map((p) => p.id)
      const waiter: Waiter = { resolve: () => {}, timer: undefined as unknown as NodeJS.Timeout, ids }
      const done = (): void => {
        clearTimeout(waiter.timer)
        stop?.removeEventListener('abort', done)
        for (const id of ids) {
          const set = this.#waiters.get(id)
          if (set === undefined) continue
          set.delete(waiter)
          if (set.size === 0) this.#waiters.delete(id)
        }
        resolve()
      }
      waiter.resolve = done
      waiter.timer = setTimeout(done, maxWaitMs)
      stop?.addEventListener('abort', done, { once: true })
      for (const id of ids) {
        let set = this.#waiters.get(id)
        if (set === undefined) { set = new Set(); this.#waiters.set(id, set) }
        set.add(waiter)
      }
    })
  }

  /** How many long-polls are parked on partition `id`. */
  parked (id: number): number { return this.#waiters.get(id)?.size ?? 0 }

  /** Ends the waits parked on partition `id` (their fetches read again). */
  wake (id: number): void {
    const set = this.#waiters.get(id)
    if (set === undefined || set.size === 0) return
    for (const waiter of [...set]) waiter.resolve()
  }

  /** Ends every wait, and answers later ones at once (the broker is closing). */
  close (): void {
    this.#closed = true
    for (const set of this.#waiters.values()) for (const waiter of [...set]) waiter.resolve()
  }
}
