/**
 * The 'scrub' job: verifies one chunk of a sealed segment (scrub.ts). It only reads, so it runs
 * on any pool thread while the partition's owner keeps using the log; the dispatcher's scrubber
 * paces the chunks and reports what they find to the owner.
 */
import { scrubChunk, type ScrubProgress, type ScrubTask } from '../log/scrub.js'

export function runScrub (task: ScrubTask): ScrubProgress {
  return scrubChunk(task)
}
