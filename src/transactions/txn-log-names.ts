/** Names of the transaction coordinator's log, in a module of their own so discovery and the dispatcher can use them without loading the log engine. */

/** Kafka's internal topic name; the directory sits beside `__consumer_offsets-0` and discovery never takes it for a user topic. */
export const TXN_LOG_TOPIC = '__transaction_state'
export const TXN_LOG_DIR = `${TXN_LOG_TOPIC}-0`
