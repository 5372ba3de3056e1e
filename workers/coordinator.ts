// Entry point of the coordinator thread: opens the coordinator log, rebuilds groups and
// committed offsets and transactions from their logs, and offers the coordinator over comlink on the given port.
import { workerData, type MessagePort } from 'node:worker_threads'
import { startCoordinatorActor, type CoordinatorSettings } from '../src/coordinator/coordinator-actor.js'

const { controlPort, txnPort, markerPort, ...settings } = workerData as CoordinatorSettings & { controlPort: MessagePort, txnPort: MessagePort, markerPort: MessagePort }
startCoordinatorActor({ control: controlPort, transactions: txnPort, markers: markerPort }, settings)
