// Entry point of a partition worker thread: builds the PartitionHost from workerData and
// offers its control plane over comlink on the port the dispatcher handed over.
import { workerData, type MessagePort } from 'node:worker_threads'
import { exposeOn } from '../src/control/comlink.js'
import { PartitionHost, type PartitionHostOptions } from '../src/partition/partition-host.js'

const { controlPort, ...options } = workerData as PartitionHostOptions & { controlPort: MessagePort }
const host = new PartitionHost(options)
exposeOn(controlPort, host)
host.start()
