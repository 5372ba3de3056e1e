/**
 * The sparse offset index of one segment (`.index`): entries of (relative offset i32, file
 * position i32), big-endian as Kafka lays them out, one per `index.interval.bytes` of log.
 * The relative offset is that of the indexed batch's first offset, so an entry always names
 * a batch boundary whose batch starts at or before any offset it is looked up for.
 *
 * The entries live in memory in their file format; `pending()` gives the tail not yet written,
 * so persisting is one write of a slice. The file is never preallocated: its size is always
 * its real size, a prefix of a valid index is itself valid, and recovery can trust that.
 */
export const OFFSET_ENTRY_BYTES = 8

export class OffsetIndex {
  #bytes: Buffer
  #entries: number
  #persisted: number
  readonly maxEntries: number

  constructor (maxIndexBytes: number, initial: Buffer | null = null) {
    this.maxEntries = Math.floor(maxIndexBytes / OFFSET_ENTRY_BYTES)
    const count = initial === null ? 0 : Math.min(Math.floor(initial.length / OFFSET_ENTRY_BYTES), this.maxEntries)
    this.#bytes = Buffer.alloc(Math.max(count * OFFSET_ENTRY_BYTES, 1024))
    if (initial !== null) initial.copy(this.#bytes, 0, 0, count * OFFSET_ENTRY_BYTES)
    this.#entries = count
    this.#persisted = count
  }

  get entries (): number { return this.#entries }
  get isFull (): boolean { return this.#entries >= this.maxEntries }
  get sizeInBytes (): number { return this.#entries * OFFSET_ENTRY_BYTES }

  relativeOffsetAt (i: number): number { return this.#bytes.readInt32BE(i * OFFSET_ENTRY_BYTES) }
  positionAt (i: number): number { return this.#bytes.readInt32BE(i * OFFSET_ENTRY_BYTES + 4) }

  /** Adds an entry unless the index is full; returns whether it did. */
  append (relativeOffset: number, position: number): boolean {
    if (this.#entries >= this.maxEntries) return false
    const at = this.#entries * OFFSET_ENTRY_BYTES
    if (at + OFFSET_ENTRY_BYTES > this.#bytes.length) this.#grow()
    this.#bytes.writeInt32BE(relativeOffset, at)
    this.#bytes.writeInt32BE(position, at + 4)
    this.#entries++
    return true
  }

  #grow (): void {
    const grown = Buffer.alloc(Math.min(this.#bytes.length * 2, Math.max(this.maxEntries * OFFSET_ENTRY_BYTES, 1024)))
    this.#bytes.copy(grown, 0, 0, this.#entries * OFFSET_ENTRY_BYTES)
    this.#bytes = grown
  }

  /** Index of the last entry whose relative offset is ≤ `relativeOffset`, or -1. */
  floor (relativeOffset: number): number {
    let lo = 0
    let hi = this.#entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.relativeOffsetAt(mid) <= relativeOffset) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found
  }

  /** Index of the last entry with position ≤ `position` and relative offset < `relativeOffsetLimit`, or -1. */
  floorWithin (position: number, relativeOffsetLimit: number): number {
    let lo = 0
    let hi = this.#entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.positionAt(mid) <= position && this.relativeOffsetAt(mid) < relativeOffsetLimit) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found
  }

  /** Drops entries from `count` on (a rolled-back append). */
  truncateEntries (count: number): void {
    if (count < this.#entries) this.#entries = count
    if (count < this.#persisted) this.#persisted = count
  }

  /** The entries not yet written to the file, and where they go. */
  get persistedEntries (): number { return this.#persisted }
  pending (): Buffer { return this.#bytes.subarray(this.#persisted * OFFSET_ENTRY_BYTES, this.#entries * OFFSET_ENTRY_BYTES) }
  markPersisted (): void { this.#persisted = this.#entries }
  /** Every entry, in the file's format. */
  contents (): Buffer { return this.#bytes.subarray(0, this.#entries * OFFSET_ENTRY_BYTES) }
}

/**
 * Checks an offset index file's bytes against its segment: whole entries, relative offsets
 * and positions strictly increasing, every position inside the log. Returns a reason or null.
 */
export function offsetIndexProblem (bytes: Buffer, logSize: number): string | null {
  if (bytes.length % OFFSET_ENTRY_BYTES !== 0) return `size ${bytes.length} is not a multiple of ${OFFSET_ENTRY_BYTES}`
  let lastRelative = -1
  let lastPosition = -1
  for (let at = 0; at < bytes.length; at += OFFSET_ENTRY_BYTES) {
    const relative = bytes.readInt32BE(at)
    const position = bytes.readInt32BE(at + 4)
    if (relative <= lastRelative || position <= lastPosition) return `entry ${at / OFFSET_ENTRY_BYTES} is not increasing`
    if (position >= logSize) return `entry ${at / OFFSET_ENTRY_BYTES} points past the log (${position} ≥ ${logSize})`
    lastRelative = relative
    lastPosition = position
  }
  return null
}
