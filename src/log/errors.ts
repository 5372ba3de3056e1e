/**
 * Outcomes of storage-engine calls. Expected outcomes are returned, never thrown; the
 * dispatcher's handlers map them to Kafka codes per partition.
 */
export enum LogStatus {
  Ok = 0,
  /**
   * CRC-32C mismatch, a batch whose length does not match its bytes, or records that do not
   * decode (batch-validator.ts); on a read, a stored batch whose header (length, magic, offsets)
   * or CRC shows damage: that range is refused.
   */
  CorruptMessage = 1,
  /** Wrong magic, record count vs lastOffsetDelta, control bit from a client, bad offset deltas, a null key on a compacted topic. */
  InvalidRecord = 2,
  /** A batch larger than max.message.bytes, or whose records inflate past its cap. */
  RecordTooLarge = 3,
  OffsetOutOfRange = 4,
  /** An fs call failed (disk full, I/O error); the log is left as it was before the call. */
  StorageError = 5,
  /** The log was closed or deleted. */
  Closed = 6,
  /** A timestamp lookup found no record at or after the timestamp. */
  NotFound = 7,
  /** A request for a partition this worker does not host. */
  UnknownPartition = 8,
  /** The worker hosting the partition failed; retry after it restarts. */
  WorkerFault = 9,
  /** The request was malformed at the ring level (a bug, not user input). */
  BadRequest = 10,
  /** A DeleteRecords offset beyond the high watermark. */
  OffsetBeyondHighWatermark = 11,
  /** An idempotent batch whose first sequence does not follow its producer's last one. */
  OutOfOrderSequence = 12,
  /** An idempotent batch from an older epoch than its producer's current one (fenced). */
  InvalidProducerEpoch = 13,
  /** A transactional batch: this broker runs no transactions, so no partition is part of one. */
  InvalidTxnState = 14,
  /** A batch compressed with a codec whose package failed to load here. */
  UnsupportedCompression = 15,
  /** A write sent to a replica that is not the partition's leader, or to a fenced worker (replication). */
  NotLeader = 16,
  /** A request carrying an older leader epoch than the replica's: its sender lost leadership. */
  FencedLeaderEpoch = 17,
  /** A replica append from a newer leader epoch than the replica has been told of. */
  UnknownLeaderEpoch = 18,
  /** acks=all on a partition with fewer in-sync replicas than min.insync.replicas: nothing was appended. */
  NotEnoughReplicas = 19,
  /** acks=all: appended on the leader, but the in-sync replicas fell below min.insync.replicas before it was committed. */
  NotEnoughReplicasAfterAppend = 20,
}
