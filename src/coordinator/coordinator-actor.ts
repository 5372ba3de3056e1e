/**
 * The coordinator actor: what runs on the coordinator's thread. It opens the coordinator log,
 * rebuilds groups and offsets from it, reserves producer ids, rebuilds transactions from the
 * transaction log, and offers the GroupCoordinator and the TransactionCoordinator to the
 * dispatcher over comlink (one port each). Requests are few and small (joins, commits), so an RPC per request is cheap here,
 * unlike the data plane.
 */
import type { MessagePort } from 'node:worker_threads'
import { exposeOn, remoteOn } from '../control/comlink.js'
import { CoordinatorLog } from './coordinator-log.js'
import { GroupCoordinator } from './group-coordinator.js'
import { ProducerIds } from './producer-ids.js'
import { workerLogger } from '../logger.js'
import { TransactionCoordinator } from '../transactions/transaction-coordinator.js'
import { TXN_LOG_DIR } from '../transactions/txn-log-names.js'
import type { TxnMarkerWriter } from '../transactions/txn-markers.js'

export interface CoordinatorSettings {
  dataDir: string | null
  initialRebalanceDelayMs: number
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  offsetsRetentionMs: number
  offsetMetadataMaxBytes: number
  /** The largest producer id in the partitions' producer state, -1 for none (producer-ids.ts). */
  largestProducerIdInLogs: number
  /** Topic configs of the coordinator log (tests shrink segment.bytes). */
  logOverrides?: Record<string, string>
  /** Kafka's transaction.max.timeout.ms. */
  transactionMaxTimeoutMs: number
}

/** The actor's ports: groups (control), transactions, and the dispatcher's marker writer (the other way round). */
export interface CoordinatorPorts {
  control: MessagePort
  transactions: MessagePort
  markers: MessagePort
}

export function startCoordinatorActor (ports: CoordinatorPorts, settings: CoordinatorSettings): void {
  // CoordinatorLink relays these lines to the broker's logger.
  const logger = workerLogger({})
  const log = CoordinatorLog.open(settings.dataDir, settings.logOverrides, logger)
  const producerIds = ProducerIds.open(settings.dataDir, { largestIdInLogs: settings.largestProducerIdInLogs, logger })
  const coordinator = GroupCoordinator.load({
    log,
    initialRebalanceDelayMs: settings.initialRebalanceDelayMs,
    minSessionTimeoutMs: settings.minSessionTimeoutMs,
    maxSessionTimeoutMs: settings.maxSessionTimeoutMs,
    offsetsRetentionMs: settings.offsetsRetentionMs,
    offsetMetadataMaxBytes: settings.offsetMetadataMaxBytes,
    producerIds,
    logger
  })
  const transactions = TransactionCoordinator.load({
    log: CoordinatorLog.open(settings.dataDir, settings.logOverrides, logger, TXN_LOG_DIR),
    producerIds,
    groups: coordinator,
    maxTimeoutMs: settings.transactionMaxTimeoutMs,
    logger: logger.child({ subsystem: 'transactions' })
  })
  coordinator.setPendingTxnOffsets(transactions)
  // Prepare* transactions found in the log are completed as soon as the writer is known.
  transactions.setMarkerWriter(remoteOn<TxnMarkerWriter>(ports.markers))
  // Calls that arrived while the logs were replaying wait in the ports and are served now.
  exposeOn(ports.control, coordinator)
  exposeOn(ports.transactions, transactions)
}
