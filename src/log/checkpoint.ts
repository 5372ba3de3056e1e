/**
 * The small text files beside the segments, each replaced atomically (temp file, fsync,
 * rename, fsync of the directory), so a crash leaves the old or the new one, never half:
 *
 *   recovery-point-offset-checkpoint   "0\n<offset>\n": every byte below is durable, indexes too
 *   log-start-offset-checkpoint        "0\n<offset>\n": DeleteRecords' log start offset
 *   leader-epoch-checkpoint            "0\n<n>\n<epoch> <startOffset>\n" × n
 *
 * A file that cannot be parsed reads as missing: the recovery point then falls back to 0
 * (a full scan), which is slow but never wrong.
 */
import type { LogStore } from './store.js'

export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_FILE = 'log-start-offset-checkpoint'
export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint'

const VERSION = '0'

function parseLines (text: string): string[] | null {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  if (lines[0] !== VERSION) return null
  return lines.slice(1)
}

function isOffset (text: string): boolean { return /^\d+$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER }

/** Reads a single-offset checkpoint, or null when missing or unreadable. */
export function readOffsetCheckpoint (store: LogStore, name: string): number | null {
  const bytes = store.readAll(name)
  if (bytes === null) return null
  const lines = parseLines(bytes.toString('latin1'))
  if (lines === null || lines.length !== 1 || !isOffset(lines[0])) return null
  return Number(lines[0])
}

export function writeOffsetCheckpoint (store: LogStore, name: string, offset: number): void {
  store.writeAtomic(name, Buffer.from(`${VERSION}\n${offset}\n`, 'latin1'))
}

export interface EpochEntry {
  readonly epoch: number
  readonly startOffset: number
}

/**
 * Leader epochs and the first offset each one wrote, oldest first (KIP-101): a follower asks
 * its leader "where does epoch E end" (OffsetForLeaderEpoch) and truncates to it.
 */
export class LeaderEpochCache {
  readonly #store: LogStore
  #entries: EpochEntry[]

  constructor (store: LogStore) {
    this.#store = store
    this.#entries = readEpochs(store)
  }

  get entries (): readonly EpochEntry[] { return this.#entries }
  get latestEpoch (): number { return this.#entries.length === 0 ? -1 : this.#entries[this.#entries.length - 1].epoch }

  /** Records that `epoch` starts at `startOffset`, when it is newer than the latest; persists it. */
  assign (epoch: number, startOffset: number): boolean {
    if (epoch < 0 || epoch <= this.latestEpoch) return false
    const next = [...this.#entries, { epoch, startOffset }]
    writeEpochs(this.#store, next)
    this.#entries = next
    return true
  }

  /** Drops epochs starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd (endOffset: number): void {
    const next = this.#entries.filter(e => e.startOffset < endOffset)
    if (next.length === this.#entries.length) return
    writeEpochs(this.#store, next)
    this.#entries = next
  }

  /** Moves the oldest epochs' start up to `startOffset` (the log's start advanced). */
  truncateFromStart (startOffset: number): void {
    let i = 0
    while (i + 1 < this.#entries.length && this.#entries[i + 1].startOffset <= startOffset) i++
    if (i === 0 && (this.#entries.length === 0 || this.#entries[0].startOffset >= startOffset)) return
    const next = this.#entries.slice(i)
    if (next[0].startOffset < startOffset) next[0] = { epoch: next[0].epoch, startOffset }
    writeEpochs(this.#store, next)
    this.#entries = next
  }

  /** Forgets every epoch (the log was emptied and restarted at another offset). */
  clear (): void {
    if (this.#entries.length === 0) return
    writeEpochs(this.#store, [])
    this.#entries = []
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer for `epoch`: [the largest epoch ≤ `epoch`, where the
   * next newer epoch starts (or `logEndOffset` when none is newer)]. An epoch older than every
   * cached one answers [`epoch`, the first cached start offset], as Kafka does (older epochs may
   * have been dropped with the log's start). [-1, -1] for epoch -1 or an empty cache.
   * An epoch newer than the latest answers [latest, logEndOffset]: Kafka assigns a leader's epoch
   * when it becomes leader, this cache at its first append, and both answers then agree.
   */
  endOffsetFor (epoch: number, logEndOffset: number): [number, number] {
    const entries = this.#entries
    if (epoch < 0 || entries.length === 0) return [-1, -1]
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i].epoch <= epoch) {
        const end = i + 1 < entries.length ? entries[i + 1].startOffset : logEndOffset
        return [entries[i].epoch, end]
      }
    }
    return [epoch, entries[0].startOffset]
  }
}

function readEpochs (store: LogStore): EpochEntry[] {
  const bytes = store.readAll(LEADER_EPOCH_FILE)
  if (bytes === null) return []
  const lines = parseLines(bytes.toString('latin1'))
  if (lines === null || lines.length === 0 || !isOffset(lines[0]) || Number(lines[0]) !== lines.length - 1) return []
  const entries: EpochEntry[] = []
  for (const line of lines.slice(1)) {
    const [epoch, start] = line.split(' ')
    if (epoch === undefined || start === undefined || !isOffset(epoch) || !isOffset(start)) return []
    entries.push({ epoch: Number(epoch), startOffset: Number(start) })
  }
  return entries
}

function writeEpochs (store: LogStore, entries: readonly EpochEntry[]): void {
  let text = `${VERSION}\n${entries.length}\n`
  for (const e of entries) text += `${e.epoch} ${e.startOffset}\n`
  store.writeAtomic(LEADER_EPOCH_FILE, Buffer.from(text, 'latin1'))
}
