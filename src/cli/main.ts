#!/usr/bin/env node
/**
 * The `millrace` command. `millrace start` runs a broker until SIGINT/SIGTERM, then closes it
 * cleanly (partitions flushed and checkpointed) and exits 0.
 */
import { parseArgs } from 'node:util'
import { Broker } from '../broker.js'
import { MillraceError } from '../errors.js'

const USAGE = `Usage: millrace <command> [options]

Commands:
  start     run a broker until interrupted

Options for start:
  --data DIR       data directory (default ./data)
  --memory         keep everything in memory (no data directory)
  --workers N      partition worker threads (default: one per core)
  -h, --help       show this help
`

function fail (message: string): never {
  process.stderr.write(`millrace: ${message}\n`)
  process.exit(2)
}

function integerFlag (name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n)) fail(`--${name} must be an integer, got '${value}'`)
  return n
}

async function start (argv: string[]): Promise<void> {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        memory: { type: 'boolean' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true
    }))
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`)
  }
  if (values.help === true) { process.stdout.write(USAGE); return }
  if (values.memory === true && values.data !== undefined) fail('--memory and --data cannot be used together')
  const dataDir = values.memory === true ? null : values.data ?? './data'
  let broker: Broker
  try {
    broker = await Broker.start({ dataDir, workers: integerFlag('workers', values.workers) })
  } catch (err) {
    fail(err instanceof MillraceError ? err.message : `could not start: ${(err as Error).message}`)
  }
  const where = dataDir === null ? 'in memory' : `data in ${dataDir}`
  process.stdout.write(`millrace ready: ${broker.config.workers} partition workers, ${where}\n`)
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    process.stdout.write(`millrace: ${signal}, shutting down\n`)
    broker.close().then(() => process.exit(0), (err: Error) => {
      process.stderr.write(`millrace: shutdown failed: ${err.message}\n`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

const [command, ...rest] = process.argv.slice(2)
switch (command) {
  case 'start': await start(rest); break
  case undefined: case '-h': case '--help': case 'help': process.stdout.write(USAGE); break
  default: fail(`unknown command '${command}'\n\n${USAGE}`)
}
