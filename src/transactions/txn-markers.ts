/**
 * What the transaction coordinator asks of partitions when a transaction ends: a COMMIT or
 * ABORT control batch (Kafka's transaction marker) appended to every partition the transaction
 * wrote to. The dispatcher carries the request to the partition workers
 * (Dispatcher.writeTxnMarkers); a partition answers per partition with a Kafka error code.
 */
export type TxnResult = 'commit' | 'abort'

export interface TxnMarkerRequest {
  readonly producerId: number
  readonly producerEpoch: number
  /** The coordinator epoch written into the marker (Kafka's EndTransactionMarker.coordinatorEpoch). */
  readonly coordinatorEpoch: number
  readonly result: TxnResult
  readonly partitions: ReadonlyArray<{ readonly topic: string, readonly partition: number }>
}

export interface TxnMarkerResult {
  readonly topic: string
  readonly partition: number
  /** 0 once the marker is appended (and, like any append, as durable as the topic's flush settings make it). */
  readonly errorCode: number
}

/** The dispatcher side of markers, as the coordinator sees it. */
export interface TxnMarkerWriter {
  writeTxnMarkers (request: TxnMarkerRequest): Promise<TxnMarkerResult[]>
}
