/**
 * ProducerIds: hands out producer ids (InitProducerId) that never repeat, across restarts too.
 *
 * Thread: the coordinator actor's; calls are synchronous. Ids are taken from a reserved block:
 * the end of the block is written and fsynced (atomically) in `<dataDir>/__coordinator/` before
 * the first id of the block is given out, so a crash at any point loses at most the rest of a
 * block and never gives an id twice, as Kafka's ProducerIdManager reserves blocks of 1000. The
 * directory name has no `-<n>` suffix, so partition discovery never takes it for a partition.
 * With no data dir the counter lives in memory.
 */
import { join } from 'node:path'
import { MillraceError } from '../errors.js'
import { readOffsetCheckpoint, writeOffsetCheckpoint } from '../log/checkpoint.js'
import { DiskStore, type LogStore } from '../log/store.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/apis/init-producer-id.js'
import { KafkaCode } from '../protocol/error-codes.js'

/** Ids reserved per fsync (Kafka's ProducerIdManager block size). */
export const PRODUCER_ID_BLOCK_SIZE = 1000
export const COORDINATOR_DIR = '__coordinator'
/** "0\n<first id not yet reserved>\n", like the log's offset checkpoints. */
export const PRODUCER_ID_FILE = 'producer-id-block'

function failure (errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }
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
   * Opens the allocator of `dataDir` (creating its directory), or one in memory for null.
   * Throws MR_ERR_STORAGE when the block file exists but cannot be read: starting again from 0
   * would give out ids that producers already use.
   */
  static open (dataDir: string | null): ProducerIds {
    if (dataDir === null) return new ProducerIds(null, 0)
    const store = new DiskStore(join(dataDir, COORDINATOR_DIR))
    const next = readOffsetCheckpoint(store, PRODUCER_ID_FILE)
    if (next === null && store.exists(PRODUCER_ID_FILE)) {
      throw new MillraceError('MR_ERR_STORAGE', `${join(store.path!, PRODUCER_ID_FILE)} is damaged; producer ids cannot be given out safely (restore it or set it above every id in use)`)
    }
    return new ProducerIds(store, next ?? 0)
  }

  /** The next producer id; reserves (and fsyncs) a new block when the current one is used up. */
  nextId (): number {
    if (this.#next >= this.#reservedEnd) {
      const end = this.#next + PRODUCER_ID_BLOCK_SIZE
      if (this.#store !== null) writeOffsetCheckpoint(this.#store, PRODUCER_ID_FILE, end)
      this.#reservedEnd = end
    }
    return this.#next++
  }

  /**
   * InitProducerId v0-4 for producers without a transactional id: a new id at epoch 0, as Kafka
   * answers them (an idempotent producer bumps its epoch itself, KIP-360, and asks for a new id
   * only when it must). v3+ may name its current id and epoch: both or neither, else
   * INVALID_REQUEST. Transactions are not built: a transactional id is answered
   * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients treat as fatal rather than retrying,
   * and an empty one INVALID_REQUEST as Kafka does.
   */
  initProducerId (req: InitProducerIdRequest, version: number): InitProducerIdResponse {
    if (version >= 3) {
      const noId = (req.producerId ?? -1) === -1
      const noEpoch = (req.producerEpoch ?? -1) === -1
      if (noId !== noEpoch) return failure(KafkaCode.INVALID_REQUEST)
    }
    if (req.transactionalId !== null) {
      return failure(req.transactionalId === '' ? KafkaCode.INVALID_REQUEST : KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    }
    let producerId: number
    try {
      producerId = this.nextId()
    } catch {
      // Retriable: the disk may come back; an id is never given without its block on disk.
      return failure(KafkaCode.COORDINATOR_NOT_AVAILABLE)
    }
    return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, producerId, producerEpoch: 0 }
  }
}
