// Entry point of a `millrace bench` producer thread: one Kafka connection producing flat out or at a rate.
import { parentPort, workerData } from 'node:worker_threads'
import { runProducerWorker, type ProducerWorkerData } from '../src/bench/producer-worker.js'

await runProducerWorker(parentPort!, workerData as ProducerWorkerData)
parentPort!.close()
