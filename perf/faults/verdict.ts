/** What a fault case must show to pass, in words a failing run can print. */
import type { CaseResult } from './cases.js'

export interface Expectation {
  /** Loss of acked records is allowed, but only as each partition's tail (power loss without fsync). */
  tailLossAllowed?: boolean
  /** Records in and after a damaged range may become unreadable (damage on disk); nothing wrong may be served. */
  unreadableAllowed?: boolean
}

export function problemsOf (r: CaseResult, expect: Expectation = {}): string[] {
  const problems = [...r.problems]
  if (!r.controlSawLoss) problems.push('the negative control saw no loss: the checker is blind')
  if (r.acked === 0) problems.push('nothing was acknowledged: the case tested nothing')
  if (expect.unreadableAllowed === true) {
    // Checked by the case itself: what was served is what was acknowledged, and the consumer was told.
  } else if (expect.tailLossAllowed === true) {
    if (r.lostBelowSurvivor > 0) problems.push(`${r.lostBelowSurvivor} lost records lie below surviving ones (not a tail)`)
  } else if (r.lost > 0) {
    problems.push(`${r.lost} acknowledged records lost`)
  }
  if (r.misplaced > 0) problems.push(`${r.misplaced} records at another offset than acknowledged`)
  if (r.duplicates > 0) problems.push(`${r.duplicates} duplicates`)
  if (r.phantoms > 0) problems.push(`${r.phantoms} refused records became visible`)
  if (r.doubleOffsets > 0) problems.push(`${r.doubleOffsets} offsets read twice`)
  return problems
}
