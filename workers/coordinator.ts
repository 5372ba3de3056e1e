// Entry point of the coordinator thread: opens the coordinator log, rebuilds groups and
// committed offsets from it, and offers the coordinator over comlink on the given port.
import { workerData, type MessagePort } from 'node:worker_threads'
import { startCoordinatorActor, type CoordinatorSettings } from '../src/coordinator/coordinator-actor.js'

const { controlPort, ...settings } = workerData as CoordinatorSettings & { controlPort: MessagePort }
startCoordinatorActor(controlPort, settings)
