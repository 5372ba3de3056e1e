/**
 * The ledger of a fault run and its checker. A driver records every acknowledgement (value →
 * partition and offset) and every definite refusal; the checker reads the partitions back and
 * says what was lost, duplicated, misplaced or wrongly made visible.
 *
 * Each check also runs a negative control: the same read-back checked against the ledger plus one
 * forged acknowledgement (a value never sent, at an offset that holds another value). A checker
 * that does not count that one as lost cannot see a loss, and the run fails.
 */

export interface Ack { partition: number, offset: number }

export interface ReadBackRecord { partition: number, offset: number, value: string }

export interface CheckResult {
  acked: number
  /** Acked values not found at their acked offset (and nowhere else). */
  lost: number
  /** Acked values found, but at another offset than acknowledged. */
  misplaced: number
  /** Values read back more than once. */
  duplicates: number
  /** Values whose request was refused with a definite error that were read back anyway. */
  phantoms: number
  /** Offsets read back twice in one partition (must be impossible). */
  doubleOffsets: number
  /**
   * Lost acked records that lie below a surviving record of the same producer run in their
   * partition: loss that is not a tail. (After a power cut the next run reuses the lost offsets,
   * so a tail is judged per run; a run is the value's prefix before its last '-'.)
   */
  lostBelowSurvivor: number
  /** The negative control saw its forged loss. */
  controlSawLoss: boolean
}

export class Ledger {
  readonly acks = new Map<string, Ack>()
  readonly refused = new Set<string>()
  /** Per partition, [performance.now(), offset] of every acknowledgement as it arrived (so by time). */
  readonly ackTimes = new Map<number, Array<[number, number]>>()
  sent = 0

  ack (value: string, partition: number, offset: number): void {
    this.acks.set(value, { partition, offset })
    let times = this.ackTimes.get(partition)
    if (times === undefined) this.ackTimes.set(partition, times = [])
    times.push([performance.now(), offset])
  }

  /**
   * When the first acknowledgement on `partition` of an offset at or above `fromOffset` arrived
   * after `time`, or undefined when none has yet.
   */
  firstAckAfter (partition: number, time: number, fromOffset = 0): number | undefined {
    const times = this.ackTimes.get(partition) ?? []
    let lo = 0
    let hi = times.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (times[mid]![0] > time) hi = mid
      else lo = mid + 1
    }
    for (let i = lo; i < times.length; i++) if (times[i]![1] >= fromOffset) return times[i]![0]
    return undefined
  }

  refuse (value: string): void {
    this.refused.add(value)
  }

  /** The same ledger with one forged acknowledgement, for the negative control. */
  withForgedAck (readBack: readonly ReadBackRecord[]): Ledger {
    const forged = new Ledger()
    for (const [v, a] of this.acks) forged.acks.set(v, a)
    const victim = readBack[0]
    forged.ack('forged-never-sent', victim?.partition ?? 0, victim?.offset ?? 0)
    return forged
  }
}

function tally (ledger: Ledger, readBack: readonly ReadBackRecord[]): Omit<CheckResult, 'controlSawLoss'> {
  const seen = new Map<string, ReadBackRecord[]>()
  const atOffset = new Map<string, string>()
  let doubleOffsets = 0
  for (const r of readBack) {
    const list = seen.get(r.value)
    if (list === undefined) seen.set(r.value, [r])
    else list.push(r)
    const key = `${r.partition}:${r.offset}`
    if (atOffset.has(key)) doubleOffsets++
    else atOffset.set(key, r.value)
  }
  let lost = 0
  let misplaced = 0
  const survivorMax = new Map<string, number>()
  const lostOffsets: Array<{ run: string, offset: number }> = []
  for (const [value, ack] of ledger.acks) {
    const run = `${ack.partition}:${value.slice(0, value.lastIndexOf('-'))}`
    if (atOffset.get(`${ack.partition}:${ack.offset}`) === value) {
      survivorMax.set(run, Math.max(survivorMax.get(run) ?? -1, ack.offset))
    } else if (seen.has(value)) {
      misplaced++
    } else {
      lost++
      lostOffsets.push({ run, offset: ack.offset })
    }
  }
  const lostBelowSurvivor = lostOffsets.filter((a) => a.offset < (survivorMax.get(a.run) ?? -1)).length
  let duplicates = 0
  for (const list of seen.values()) if (list.length > 1) duplicates += list.length - 1
  let phantoms = 0
  for (const value of ledger.refused) if (seen.has(value)) phantoms++
  return { acked: ledger.acks.size, lost, misplaced, duplicates, phantoms, doubleOffsets, lostBelowSurvivor }
}

export function check (ledger: Ledger, readBack: readonly ReadBackRecord[]): CheckResult {
  const result = tally(ledger, readBack)
  const control = tally(ledger.withForgedAck(readBack), readBack)
  return { ...result, controlSawLoss: control.lost === result.lost + 1 }
}
