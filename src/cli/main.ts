#!/usr/bin/env node
/**
 * Entry of the `millrace` command (./command.ts). For `start` it first spawns the partition
 * workers, so their threads boot while this one loads the broker's modules: the two take about
 * as long, and overlapping them is most of what cold start can save (../dispatcher/early-workers.ts).
 * Keep the static imports here tiny: everything they pull in loads before the workers spawn.
 */
import { availableParallelism } from 'node:os'
import { earlyWorkerCount, spawnEarlyWorkers } from '../dispatcher/early-workers.js'

const [command, ...args] = process.argv.slice(2)
if (command === 'start') spawnEarlyWorkers(earlyWorkerCount(args, availableParallelism()))
await import('./command.js')
