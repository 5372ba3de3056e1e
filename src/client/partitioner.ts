/**
 * Kafka's default partitioning: keyed records go to murmur2(key) mod partitions, exactly as the
 * Java client computes it, so a key lands on the same partition whichever client wrote it.
 * Records without a key stick to one partition per topic until a batch is sent (KIP-480),
 * which fills batches faster than round robin.
 */
import { invalidOption } from '../errors.js'

const M = 0x5bd1e995
const SEED = 0x9747b28c

/** The Java client's murmur2 (Utils.murmur2): seed 0x9747b28c, signed 32-bit result. */
export function murmur2 (data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const tail = length & ~3
  for (let i = 0; i < tail; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = length & 3
  if (rest === 3) h ^= data[tail + 2] << 16
  if (rest >= 2) h ^= data[tail + 1] << 8
  if (rest >= 1) h = Math.imul(h ^ data[tail], M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

function checkPartitions (numPartitions: number): void {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw invalidOption('numPartitions', `must be an integer ≥ 1, got ${numPartitions}`)
  }
}

/** The partition of a keyed record: the Java client's toPositive(murmur2(key)) % numPartitions. */
export function partitionForKey (key: Uint8Array, numPartitions: number): number {
  checkPartitions(numPartitions)
  return (murmur2(key) & 0x7fffffff) % numPartitions
}

/**
 * Picks the partition for records without a key: one random partition per topic, kept until
 * `onBatchSent(topic)`, after which the next call picks a different one (when there is more
 * than one). Lives with its producer, on the producer's thread.
 */
export class StickyPartitioner {
  #current: Map<string, number>
  #previous: Map<string, number>
  #random: () => number

  /** `random` returns a number in [0, 1); tests pass a seeded one. */
  constructor (options: { random?: () => number } = {}) {
    this.#current = new Map()
    this.#previous = new Map()
    this.#random = options.random ?? Math.random
  }

  partition (topic: string, numPartitions: number): number {
    checkPartitions(numPartitions)
    const current = this.#current.get(topic)
    if (current !== undefined && current < numPartitions) return current
    const previous = this.#previous.get(topic) ?? current ?? -1
    let next: number
    if (numPartitions > 1 && previous >= 0 && previous < numPartitions) {
      // Uniform over the other partitions: draw from n - 1 and skip over the previous one.
      next = Math.min(numPartitions - 2, Math.floor(this.#random() * (numPartitions - 1)))
      if (next >= previous) next++
    } else {
      next = Math.min(numPartitions - 1, Math.floor(this.#random() * numPartitions))
    }
    this.#current.set(topic, next)
    return next
  }

  /** The batch for `topic` went out: its next record starts a new sticky partition. */
  onBatchSent (topic: string): void {
    const current = this.#current.get(topic)
    if (current === undefined) return
    this.#previous.set(topic, current)
    this.#current.delete(topic)
  }
}
