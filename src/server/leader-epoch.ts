/**
 * Kafka's fence on a client's view of leadership (KIP-320): a request that names the leader epoch
 * it believes current is refused when that epoch is older (FENCED_LEADER_EPOCH: the client missed
 * a leadership change) or newer (UNKNOWN_LEADER_EPOCH: this broker has not seen it yet). Both are
 * retriable; the client refreshes its metadata. -1 (and older request versions) skip the check.
 * Fetch (v9+), ListOffsets (v4+) and OffsetForLeaderEpoch (v2+) ask it before any read.
 */
import { KafkaCode } from '../protocol/error-codes.js'

/** The epoch a client sends when it has none to check. */
export const NO_EPOCH_CHECK = -1

/** The internal topic's partitions live in the coordinator's log, whose leadership never moves. */
export const OFFSETS_TOPIC_LEADER_EPOCH = 0

/** NONE when `current` is absent, -1 or equal to the partition's `leaderEpoch`; else the fencing error. */
export function leaderEpochError (current: number | undefined, leaderEpoch: number): number {
  if (current === undefined || current === NO_EPOCH_CHECK || current === leaderEpoch) return KafkaCode.NONE
  return current < leaderEpoch ? KafkaCode.FENCED_LEADER_EPOCH : KafkaCode.UNKNOWN_LEADER_EPOCH
}
