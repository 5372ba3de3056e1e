/**
 * Which batches of a read_committed fetch a consumer must skip: those of aborted transactions,
 * as Kafka clients decide it (the Java consumer's abortedProducerIds). The broker lists each
 * aborted transaction overlapping the fetch by producer id and first offset, sorted by first
 * offset; a transactional data batch is aborted when its producer has such a transaction
 * started at or before it and not yet closed by that producer's ABORT marker in this fetch.
 *
 * Thread: the consumer's; one instance per fetched partition answer, walked in offset order.
 */
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, attributesOf, baseOffsetOf, producerIdOf } from '../protocol/batch-header.js'
import { ControlType, markerTypeAt } from '../protocol/control-batch.js'

export interface AbortedRange {
  producerId: number
  firstOffset: number
}

export class AbortedFilter {
  readonly #aborted: readonly AbortedRange[]
  #next = 0
  /** Producers whose aborted transaction is open at the current batch. */
  readonly #open = new Set<number>()

  /** `aborted` sorted by first offset (as the broker sends it). */
  constructor (aborted: readonly AbortedRange[]) {
    this.#aborted = aborted
  }

  /** Whether the batch at `at` must be skipped; call for every batch, in order. Control batches are always skipped. */
  skip (buf: Uint8Array, at: number): boolean {
    const attributes = attributesOf(buf, at)
    if ((attributes & ATTR_TRANSACTIONAL) === 0) return (attributes & ATTR_CONTROL) !== 0
    const producerId = producerIdOf(buf, at)
    if ((attributes & ATTR_CONTROL) !== 0) {
      if (markerTypeAt(buf, at) === ControlType.Abort) this.#open.delete(producerId)
      return true
    }
    const base = baseOffsetOf(buf, at)
    const aborted = this.#aborted
    while (this.#next < aborted.length && aborted[this.#next].firstOffset <= base) this.#open.add(aborted[this.#next++].producerId)
    return this.#open.has(producerId)
  }
}
