/**
 * What the ring throws. The ring never throws across threads: these are programming errors
 * caught on the calling side (a frame larger than the ring allows, a commit without a
 * reservation, a mark that is not between the released and the read cursor). Full, closed
 * and faulted rings are expected outcomes and are returned (-1, false), never thrown.
 */
import { MillraceError, invalidOption } from '../errors.js'

export function frameTooLarge (length: number, max: number): MillraceError {
  return new MillraceError('MR_ERR_RECORD_TOO_LARGE', `ring frame of ${length} bytes exceeds maxFrameBytes ${max}`)
}

export function badFrameLength (path: string, length: number, max: number): MillraceError {
  if (Number.isInteger(length) && length > max) return frameTooLarge(length, max)
  return invalidOption(path, `must be an integer between 0 and ${max} (got ${String(length)})`)
}

export function nothingReserved (): MillraceError {
  return new MillraceError('MR_ERR_PROTOCOL', 'ring commit() without a reserve() that returned an offset')
}

export function badMark (mark: number): MillraceError {
  return invalidOption('ring releaseTo(mark)', `must be a mark taken since the last release (got ${String(mark)})`)
}
