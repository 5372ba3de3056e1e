/**
 * Kafka's ACL operation codes (org.apache.kafka.common.acl.AclOperation) and the operations
 * each resource type supports, as the `authorized_operations` bit fields of Metadata v8+,
 * DescribeCluster and DescribeGroups v3+ carry them: bit N set = operation code N allowed.
 *
 * With no authorizer configured, Kafka answers a client that asks with every operation the
 * resource supports, and so does Millrace; librdkafka's DescribeTopics and DescribeCluster
 * check the exact set. A client that did not ask gets AUTHORIZED_OPERATIONS_OMITTED.
 */

export const AclOperation = {
  UNKNOWN: 0,
  /** In filters only: any operation. */
  ANY: 1,
  /** In ACLs: every operation. */
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12
} as const

/** INT32 min: the schema's default, "authorized operations not requested". */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

function bitField (codes: readonly number[]): number {
  let bits = 0
  for (const code of codes) bits |= 1 << code
  return bits
}

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation

/** Every operation a topic supports. */
export const TOPIC_OPERATIONS = bitField([READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS])
/** Every operation a consumer group supports. */
export const GROUP_OPERATIONS = bitField([READ, DESCRIBE, DELETE])
/** Every operation the cluster resource supports. */
export const CLUSTER_OPERATIONS = bitField([CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE])

/** The bit field to answer: `allowed` when the client asked, the "not requested" marker otherwise. */
export function authorizedOperationsField (requested: boolean | undefined, allowed: number): number {
  return requested === true ? allowed : AUTHORIZED_OPERATIONS_OMITTED
}
