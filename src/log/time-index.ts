/**
 * The sparse time index of one segment (`.timeindex`): entries of (timestamp i64, relative
 * offset i32), big-endian. Each entry holds the largest batch maxTimestamp seen so far and the
 * relative first offset of the batch that reached it; entries are added only when that maximum
 * grows, at the same points as offset index entries. Rolling or closing a segment adds a final
 * entry so the last entry of a closed segment is its largest timestamp.
 *
 * Every batch before an entry's batch has a smaller maxTimestamp than the entry's, which is what
 * makes `floor` a safe starting point for "first batch with maxTimestamp ≥ T".
 */
export const TIME_ENTRY_BYTES = 12

function readTimestamp (bytes: Buffer, at: number): number {
  return bytes.readInt32BE(at) * 4294967296 + bytes.readUInt32BE(at + 4)
}

export class TimeIndex {
  #bytes: Buffer
  #entries: number
  #persisted: number
  readonly maxEntries: number

  constructor (maxIndexBytes: number, initial: Buffer | null = null) {
    this.maxEntries = Math.floor(maxIndexBytes / TIME_ENTRY_BYTES)
    const count = initial === null ? 0 : Math.min(Math.floor(initial.length / TIME_ENTRY_BYTES), this.maxEntries)
    this.#bytes = Buffer.alloc(Math.max(count * TIME_ENTRY_BYTES, 1536))
    if (initial !== null) initial.copy(this.#bytes, 0, 0, count * TIME_ENTRY_BYTES)
    this.#entries = count
    this.#persisted = count
  }

  get entries (): number { return this.#entries }
  /** Full for ordinary appends: the last slot is kept for the final entry at roll. */
  get isFull (): boolean { return this.#entries >= this.maxEntries - 1 }
  get sizeInBytes (): number { return this.#entries * TIME_ENTRY_BYTES }

  timestampAt (i: number): number { return readTimestamp(this.#bytes, i * TIME_ENTRY_BYTES) }
  relativeOffsetAt (i: number): number { return this.#bytes.readInt32BE(i * TIME_ENTRY_BYTES + 8) }
  /** The last entry's timestamp, or -1 when empty. */
  get lastTimestamp (): number { return this.#entries === 0 ? -1 : this.timestampAt(this.#entries - 1) }

  /** Adds (timestamp, relativeOffset) when the timestamp is larger than the last entry's and there is room. */
  maybeAppend (timestamp: number, relativeOffset: number, final = false): boolean {
    if (timestamp <= this.lastTimestamp) return false
    if (this.#entries >= (final ? this.maxEntries : this.maxEntries - 1)) return false
    const at = this.#entries * TIME_ENTRY_BYTES
    if (at + TIME_ENTRY_BYTES > this.#bytes.length) this.#grow()
    const hi = Math.floor(timestamp / 4294967296)
    this.#bytes.writeInt32BE(hi, at)
    this.#bytes.writeUInt32BE(timestamp - hi * 4294967296, at + 4)
    this.#bytes.writeInt32BE(relativeOffset, at + 8)
    this.#entries++
    return true
  }

  #grow (): void {
    const grown = Buffer.alloc(Math.min(this.#bytes.length * 2, Math.max(this.maxEntries * TIME_ENTRY_BYTES, 1536)))
    this.#bytes.copy(grown, 0, 0, this.#entries * TIME_ENTRY_BYTES)
    this.#bytes = grown
  }

  /** Index of the last entry whose timestamp is ≤ `timestamp`, or -1. */
  floor (timestamp: number): number {
    let lo = 0
    let hi = this.#entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestampAt(mid) <= timestamp) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found
  }

  truncateEntries (count: number): void {
    if (count < this.#entries) this.#entries = count
    if (count < this.#persisted) this.#persisted = count
  }

  get persistedEntries (): number { return this.#persisted }
  pending (): Buffer { return this.#bytes.subarray(this.#persisted * TIME_ENTRY_BYTES, this.#entries * TIME_ENTRY_BYTES) }
  markPersisted (): void { this.#persisted = this.#entries }
  contents (): Buffer { return this.#bytes.subarray(0, this.#entries * TIME_ENTRY_BYTES) }
}

/** The last entry's timestamp in a time index file's bytes (its tail only), or -1. */
export function lastTimestampOf (tail: Buffer): number {
  return tail.length < TIME_ENTRY_BYTES ? -1 : readTimestamp(tail, tail.length - TIME_ENTRY_BYTES)
}

/**
 * Checks a time index file's bytes: whole entries, timestamps strictly increasing, relative
 * offsets non-decreasing, non-negative and below `nextRelativeOffset`. Returns a reason or null.
 */
export function timeIndexProblem (bytes: Buffer, nextRelativeOffset: number): string | null {
  if (bytes.length % TIME_ENTRY_BYTES !== 0) return `size ${bytes.length} is not a multiple of ${TIME_ENTRY_BYTES}`
  let lastTimestamp = -Infinity
  let lastRelative = 0
  for (let at = 0; at < bytes.length; at += TIME_ENTRY_BYTES) {
    const timestamp = readTimestamp(bytes, at)
    const relative = bytes.readInt32BE(at + 8)
    const entry = at / TIME_ENTRY_BYTES
    if (timestamp <= lastTimestamp || relative < lastRelative) return `entry ${entry} is not increasing`
    if (relative >= nextRelativeOffset) return `entry ${entry} points past the log`
    lastTimestamp = timestamp
    lastRelative = relative
  }
  return null
}
