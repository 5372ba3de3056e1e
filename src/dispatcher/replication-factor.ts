/**
 * Whether this broker can host a topic with `replicationFactor` replicas. The one place that
 * says so.
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
  return null
}

function refusal (message: string): MillraceError {
  return new MillraceError('MR_ERR_INVALID_OPTION', message, { kafkaCode: KafkaCode.INVALID_REPLICATION_FACTOR })
}
