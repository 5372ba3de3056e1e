// Entry point of a partition worker thread: builds the PartitionHost from its settings and
// offers its control plane over comlink on the port the dispatcher handed over. The settings
// are workerData, or the first message for a thread spawned early (src/dispatcher/early-workers.ts).
import { once } from 'node:events'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { exposeOn } from '../src/control/comlink.js'
import { PartitionHost, type PartitionHostOptions } from '../src/partition/partition-host.js'
import type { AwaitSettings } from '../src/dispatcher/early-workers.js'

type Settings = PartitionHostOptions & { controlPort: MessagePort }

const early = (workerData as Partial<AwaitSettings> | null)?.awaitSettings === true
const { controlPort, ...options } = early ? (await once(parentPort!, 'message'))[0] as Settings : workerData as Settings
const host = new PartitionHost(options)
exposeOn(controlPort, host)
host.start()
