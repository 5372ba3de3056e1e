/**
 * Records of the transaction log (`__transaction_state-0`): one key per transactional id, the
 * newest record is its state, so replaying the log rebuilds every transaction and compaction
 * keeps one record per id. The batch that carries them has a CRC-32C, checked at recovery.
 *
 * key:   int16 version (0), then the transactional id (UTF-8)
 * value: int16 version (0), then a JSON object (StoredTxn). Written a few times per transaction,
 *        never on the produce/fetch path, so readability wins over compactness here.
 */
export const TXN_KEY_VERSION = 0
export const TXN_VALUE_VERSION = 0

/** Kafka's TransactionState names, as DescribeTransactions and ListTransactions report them. */
export enum TxnState {
  Empty = 'Empty',
  Ongoing = 'Ongoing',
  PrepareCommit = 'PrepareCommit',
  PrepareAbort = 'PrepareAbort',
  CompleteCommit = 'CompleteCommit',
  CompleteAbort = 'CompleteAbort',
  /** Aborting because the producer was fenced (a new InitProducerId, or the timeout): the epoch is already bumped. */
  PrepareEpochFence = 'PrepareEpochFence',
  Dead = 'Dead'
}

export interface StoredTxnOffset {
  groupId: string
  topic: string
  partition: number
  offset: number
  leaderEpoch: number
  metadata: string
}

export interface StoredTxn {
  producerId: number
  producerEpoch: number
  timeoutMs: number
  state: TxnState
  /** topic → partitions the transaction wrote to (AddPartitionsToTxn). */
  partitions: Record<string, number[]>
  /** Groups added with AddOffsetsToTxn. */
  groups: string[]
  /** TxnOffsetCommit offsets, applied by the commit marker and dropped by the abort. */
  offsets: StoredTxnOffset[]
  /** Wall-clock ms: when the transaction started (-1 when none is open) and when the state last changed. */
  startedAt: number
  updatedAt: number
}

export function txnKey (transactionalId: string): Buffer {
  const id = Buffer.from(transactionalId, 'utf8')
  const key = Buffer.allocUnsafe(2 + id.length)
  key.writeInt16BE(TXN_KEY_VERSION, 0)
  id.copy(key, 2)
  return key
}

/** The transactional id of a key, or null for a key of another version (skipped at replay). */
export function decodeTxnKey (key: Uint8Array): string | null {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  if (b.length < 2 || b.readInt16BE(0) !== TXN_KEY_VERSION) return null
  return b.toString('utf8', 2)
}

export function txnValue (txn: StoredTxn): Buffer {
  const body = Buffer.from(JSON.stringify(txn), 'utf8')
  const value = Buffer.allocUnsafe(2 + body.length)
  value.writeInt16BE(TXN_VALUE_VERSION, 0)
  body.copy(value, 2)
  return value
}

const STATES = new Set<string>(Object.values(TxnState))

/** Throws on a value this version cannot read: replay stops rather than guess at a transaction. */
export function decodeTxnValue (value: Uint8Array): StoredTxn {
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (b.length < 2 || b.readInt16BE(0) !== TXN_VALUE_VERSION) throw new Error(`transaction log value of unknown version ${b.length < 2 ? '(short)' : b.readInt16BE(0)}`)
  const txn = JSON.parse(b.toString('utf8', 2)) as StoredTxn
  if (!STATES.has(txn.state) || !Number.isSafeInteger(txn.producerId) || !Number.isInteger(txn.producerEpoch)) {
    throw new Error('transaction log value with an unknown state or a bad producer id')
  }
  return txn
}
