/**
 * ProducerIds: hands out producer ids (InitProducerId) that never repeat, across restarts too.
 *
 * Thread: the coordinator actor's; calls are synchronous. Ids are taken from a reserved block:
 * the end of the block is written and fsynced (atomically) in `<dataDir>/__coordinator/` before
 * the first id of the block is given out, so a crash at any point loses at most the rest of a
 * block and never gives an id twice, as Kafka's ProducerIdManager reserves blocks of 1000. The
 * directory name has no `-<n>` suffix, so partition discovery never takes it for a partition.
 * With no data dir the counter lives in memory.
 *
 * The file carries a CRC. If it is lost or damaged, ids go on above the largest id found in
 * the partitions' producer state, with a margin (`rebuiltStart`): an id still in use is never
 * given again, which would make a new producer's first batches look like duplicates of the old
 * one's and be acknowledged without being written.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { crc32c } from '../protocol/crc32c.js'
import { DiskStore, type LogStore } from '../log/store.js'
import { silentLogger, type Logger } from '../logger.js'
import type { NewProducerId, ProducerIdResult } from './coordinator-api.js'
import { KafkaCode } from '../protocol/error-codes.js'

/** Ids reserved per fsync (Kafka's ProducerIdManager block size). */
export const PRODUCER_ID_BLOCK_SIZE = 1000
export const COORDINATOR_DIR = '__coordinator'
/** "1\n<first id not yet reserved>\n<CRC-32C of the lines before, hex>\n"; version 0 had no CRC line. */
export const PRODUCER_ID_FILE = 'producer-id-block'

function failure (errorCode: number): ProducerIdResult {
  return { errorCode, producerId: -1, producerEpoch: -1 }
}

export interface ProducerIdsOptions {
  /**
   * The largest producer id in the partitions' producer state (snapshots and batch headers),
   * -1 for none: the floor when the block file is lost, damaged or older than the logs.
   */
  largestIdInLogs?: number
  logger?: Logger
}

/** What the block file holds: the end of the reserved block, or why there is none. */
type BlockFile = { end: number } | 'missing' | 'damaged'

function encodeBlockFile (end: number): Buffer {
  const body = `1\n${end}\n`
  return Buffer.from(`${body}${crc32c(Buffer.from(body, 'latin1')).toString(16)}\n`, 'latin1')
}

function decodeBlockFile (bytes: Buffer | null): BlockFile {
  if (bytes === null) return 'missing'
  const text = bytes.toString('latin1')
  const match = /^(0\n(\d{1,16})\n|1\n(\d{1,16})\n)([0-9a-f]{1,8}\n)?$/.exec(text)
  if (match === null) return 'damaged'
  const [, body, v0End, v1End, crcLine] = match
  if (v0End !== undefined) return crcLine === undefined ? { end: Number(v0End) } : 'damaged'
  if (crcLine === undefined || parseInt(crcLine, 16) !== crc32c(Buffer.from(body, 'latin1'))) return 'damaged'
  const end = Number(v1End)
  return Number.isSafeInteger(end) ? { end } : 'damaged'
}

/**
 * Where to start again when the block file cannot be trusted: past the block that holds the
 * largest id in the logs, and past one more block, since ids given out after it may belong to
 * producers that have not written yet (and the next block may have been reserved just before
 * the file was lost). Ids are 63-bit: skipping some costs nothing.
 */
export function rebuiltStart (largestIdInLogs: number): number {
  return (Math.floor(Math.max(largestIdInLogs, 0) / PRODUCER_ID_BLOCK_SIZE) + 2) * PRODUCER_ID_BLOCK_SIZE
}

export class ProducerIds {
  readonly #store: LogStore | null
  #next: number
  #reservedEnd: number

  private constructor (store: LogStore | null, next: number) {
    this.#store = store
    this.#next = next
    this.#reservedEnd = next
  }

  /**
   * Opens the allocator of `dataDir` (creating its directory), or one in memory for null. A
   * block file that is missing (when ids were given before), damaged (its CRC, or its form) or
   * below an id the logs hold is logged and rebuilt from `largestIdInLogs` (`rebuiltStart`):
   * starting again from 0 would give out ids that producers already use, and refusing to
   * start would block every idempotent producer and every group.
   */
  static open (dataDir: string | null, options: ProducerIdsOptions = {}): ProducerIds {
    if (dataDir === null) return new ProducerIds(null, 0)
    const largestIdInLogs = options.largestIdInLogs ?? -1
    const logger = options.logger ?? silentLogger
    const dir = join(dataDir, COORDINATOR_DIR)
    const usedBefore = existsSync(dir)
    const store = new DiskStore(dir)
    const file = decodeBlockFile(store.readAll(PRODUCER_ID_FILE))
    const fields = { file: join(dir, PRODUCER_ID_FILE), largestIdInLogs }
    if (typeof file === 'object' && file.end > largestIdInLogs) return new ProducerIds(store, file.end)
    if (file === 'missing' && !usedBefore && largestIdInLogs < 0) return new ProducerIds(store, 0)
    const next = rebuiltStart(largestIdInLogs)
    if (file === 'damaged') {
      logger.error({ ...fields, next }, 'producer id block file is damaged; producer ids go on above every id in the logs, with a margin')
    } else if (file === 'missing') {
      logger.warn({ ...fields, next }, 'producer id block file is missing; producer ids go on above every id in the logs, with a margin')
    } else {
      logger.warn({ ...fields, reservedEnd: file.end, next }, 'producer id block file is older than the logs; producer ids go on above every id in the logs, with a margin')
    }
    return new ProducerIds(store, next)
  }

  /** The next producer id; reserves (and fsyncs) a new block when the current one is used up. */
  nextId (): number {
    if (this.#next >= this.#reservedEnd) {
      const end = this.#next + PRODUCER_ID_BLOCK_SIZE
      if (this.#store !== null) this.#store.writeAtomic(PRODUCER_ID_FILE, encodeBlockFile(end))
      this.#reservedEnd = end
    }
    return this.#next++
  }

  /**
   * A producer id for a producer without a transactional id: a new id at epoch 0, as Kafka
   * answers them (an idempotent producer bumps its epoch itself, KIP-360, and asks for a new id
   * only when it must). It may name its current id and epoch: both or neither, else
   * INVALID_REQUEST. Transactional ids are the transaction coordinator's
   * (transactions/transaction-coordinator.ts).
   */
  initProducerId (req: NewProducerId): ProducerIdResult {
    if ((req.producerId === -1) !== (req.producerEpoch === -1)) return failure(KafkaCode.INVALID_REQUEST)
    let producerId: number
    try {
      producerId = this.nextId()
    } catch {
      // Retriable: the disk may come back; an id is never given without its block on disk.
      return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE)
    }
    return { errorCode: KafkaCode.NONE, producerId, producerEpoch: 0 }
  }
}
