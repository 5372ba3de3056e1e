/** Names of the coordinator's offsets log, in a module of their own so the dispatcher can use them without loading the log engine. */

/** The directory name Kafka uses; discovery never takes it for a user topic. */
export const OFFSETS_TOPIC = '__consumer_offsets'
export const OFFSETS_DIR = `${OFFSETS_TOPIC}-0`
/**
 * Its topic id in Metadata and Fetch v13+. Fixed rather than random: clients that cache topic
 * ids keep theirs across restarts and data dirs.
 */
export const OFFSETS_TOPIC_ID = '00000000000000000000000000000001'
/** The coordinator log is one partition, so the topic has one. */
export const OFFSETS_PARTITIONS = 1
