/**
 * The coordinator actor: what runs on the coordinator's thread. It opens the coordinator log,
 * rebuilds groups and offsets from it, reserves producer ids, and offers the GroupCoordinator
 * to the dispatcher over comlink. Requests are few and small (joins, commits), so an RPC per request is cheap here,
 * unlike the data plane.
 */
import type { MessagePort } from 'node:worker_threads'
import { exposeOn } from '../control/comlink.js'
import { CoordinatorLog } from './coordinator-log.js'
import { GroupCoordinator } from './group-coordinator.js'
import { ProducerIds } from './producer-ids.js'
import { workerLogger } from '../logger.js'

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
}

export function startCoordinatorActor (port: MessagePort, settings: CoordinatorSettings): void {
  // CoordinatorLink relays these lines to the broker's logger.
  const logger = workerLogger({})
  const log = CoordinatorLog.open(settings.dataDir, settings.logOverrides, logger)
  const coordinator = GroupCoordinator.load({
    log,
    initialRebalanceDelayMs: settings.initialRebalanceDelayMs,
    minSessionTimeoutMs: settings.minSessionTimeoutMs,
    maxSessionTimeoutMs: settings.maxSessionTimeoutMs,
    offsetsRetentionMs: settings.offsetsRetentionMs,
    offsetMetadataMaxBytes: settings.offsetMetadataMaxBytes,
    producerIds: ProducerIds.open(settings.dataDir, { largestIdInLogs: settings.largestProducerIdInLogs, logger }),
    logger
  })
  // Calls that arrived while the log was replaying wait in the port and are served now.
  exposeOn(port, coordinator)
}
