/**
 * The 'clean' job: cleans the closed segments a partition planned into `.cleaned` files. It
 * reads only closed (immutable) segments and writes only files no one else uses, so it runs on
 * any pool thread while the partition's owner keeps appending; the owner swaps the files in.
 */
import type { CleanPlan, CleanResult } from '../log/compaction.js'
import { cleanPartitionDir } from '../log/segment-cleaner.js'

export function runClean (plan: CleanPlan): CleanResult {
  return cleanPartitionDir(plan)
}
