/** Names of the coordinator's offsets log, in a module of their own so the dispatcher can use them without loading the log engine. */

/** The directory name Kafka uses; discovery never takes it for a user topic. */
export const OFFSETS_TOPIC = '__consumer_offsets'
export const OFFSETS_DIR = `${OFFSETS_TOPIC}-0`
