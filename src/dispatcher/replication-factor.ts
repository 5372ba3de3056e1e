/**
 * Whether this broker can host a topic with `replicationFactor` replicas. The one place that
 * says so: replication (issue 11) replaces `replicationNotBuilt` and keeps the rest.
 */
import { MillraceError } from '../errors.js'
import { KafkaCode } from '../protocol/error-codes.js'

/** Null when the replication factor can be served, else the refusal (INVALID_REPLICATION_FACTOR). */
export function replicationFactorError (replicationFactor: number, workers: number): MillraceError | null {
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    return refusal(`replication factor must be an integer of at least 1 (or -1 for default.replication.factor), got ${replicationFactor}`)
  }
  // Each replica needs a worker of its own, or one worker's death would take two copies.
  if (replicationFactor > workers) {
    return refusal(`replication factor ${replicationFactor} is not possible: ${replicationFactor} replicas need ${replicationFactor} partition workers; this broker has ${workers}`)
  }
  if (replicationFactor > 1) return replicationNotBuilt(replicationFactor)
  return null
}

function replicationNotBuilt (replicationFactor: number): MillraceError {
  return refusal(`replication factor ${replicationFactor} is refused: replication is not built yet (every partition has one replica); use 1`)
}

function refusal (message: string): MillraceError {
  return new MillraceError('MR_ERR_INVALID_OPTION', message, { kafkaCode: KafkaCode.INVALID_REPLICATION_FACTOR })
}
