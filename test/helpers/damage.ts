import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OFFSETS_DIR } from '../../src/coordinator/offsets-topic.js'
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, kBatchLength } from '../../src/protocol/batch-header.js'

/** Where in a batch of `size` bytes to flip a byte. */
export type Spot = (size: number) => number
/** The middle of the batch's records: its CRC no longer matches. */
export const inRecords: Spot = (size) => BATCH_HEADER_BYTES + Math.floor((size - BATCH_HEADER_BYTES) / 2)

/**
 * Flips one byte of the coordinator log batch (in `dataDir`'s first segment) that holds the
 * first record mentioning `groupId`.
 */
export function damageCoordinatorBatchOf (dataDir: string, groupId: string, spot = inRecords): void {
  const dir = join(dataDir, OFFSETS_DIR)
  const segment = join(dir, readdirSync(dir).filter((n) => n.endsWith('.log')).sort()[0])
  const bytes = readFileSync(segment)
  const key = bytes.indexOf(Buffer.from(groupId))
  if (key < 0) throw new Error(`${groupId} is not in ${segment}`)
  for (let at = 0; at < bytes.length;) {
    const size = bytes.readInt32BE(at + kBatchLength) + BATCH_LOG_OVERHEAD
    if (key < at + size) {
      bytes[at + spot(size)] ^= 0xff
      writeFileSync(segment, bytes)
      return
    }
    at += size
  }
}
