/**
 * TxnProduceGate: before a transactional producer's first append to a partition, the
 * transaction coordinator confirms the partition is in the producer's ongoing transaction (as
 * Kafka's KIP-890 verification does), so a late or stray Produce cannot start a transaction
 * the coordinator knows nothing of, which would hold the partition's LSO forever. Once
 * confirmed, the answer is cached per producer id and epoch: later appends cost two map lookups.
 * The cache of a producer is dropped when its transaction ends (its markers are requested), so
 * the next transaction checks again.
 *
 * Thread: the dispatcher's.
 */
import { KafkaCode } from '../protocol/error-codes.js'

export type VerifyTxnPartition = (producerId: number, producerEpoch: number, topic: string, partition: number) => Promise<number>

interface Verified {
  epoch: number
  /** topic → partitions confirmed in the ongoing transaction. */
  partitions: Map<string, Set<number>>
}

export class TxnProduceGate {
  readonly #verify: VerifyTxnPartition
  readonly #verified = new Map<number, Verified>()

  constructor (verify: VerifyTxnPartition) {
    this.#verify = verify
  }

  /**
   * NONE when the append may go ahead, else the Produce error for this partition:
   * INVALID_PRODUCER_EPOCH for another epoch of the producer, NOT_ENOUGH_REPLICAS (retriable for
   * every client, as Kafka maps it) when the coordinator cannot be asked, INVALID_TXN_STATE
   * otherwise (the partition is not in the transaction, or no transaction has this producer id).
   */
  check (producerId: number, producerEpoch: number, topic: string, partition: number): number | Promise<number> {
    const known = this.#verified.get(producerId)
    if (known !== undefined && known.epoch === producerEpoch && known.partitions.get(topic)?.has(partition) === true) return KafkaCode.NONE
    return this.#verify(producerId, producerEpoch, topic, partition).then((code) => {
      switch (code) {
        case KafkaCode.NONE:
          this.#remember(producerId, producerEpoch, topic, partition)
          return code
        case KafkaCode.NOT_COORDINATOR:
        case KafkaCode.COORDINATOR_NOT_AVAILABLE:
          return KafkaCode.NOT_ENOUGH_REPLICAS
        case KafkaCode.INVALID_PRODUCER_EPOCH:
          return code
        // A producer id no transaction holds is no transaction of this partition either.
        default:
          return KafkaCode.INVALID_TXN_STATE
      }
    }, () => KafkaCode.NOT_ENOUGH_REPLICAS)
  }

  #remember (producerId: number, producerEpoch: number, topic: string, partition: number): void {
    let known = this.#verified.get(producerId)
    if (known === undefined || known.epoch !== producerEpoch) {
      known = { epoch: producerEpoch, partitions: new Map() }
      this.#verified.set(producerId, known)
    }
    let partitions = known.partitions.get(topic)
    if (partitions === undefined) known.partitions.set(topic, partitions = new Set())
    partitions.add(partition)
  }

  /** The producer's transaction is ending: its next appends are checked again. */
  forget (producerId: number): void {
    this.#verified.delete(producerId)
  }

  /** Producers with a cached answer (tests). */
  get size (): number { return this.#verified.size }
}
