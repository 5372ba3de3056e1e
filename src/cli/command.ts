/**
 * The `millrace` command. `millrace start` runs a broker until SIGINT/SIGTERM, then closes it
 * cleanly (partitions flushed and checkpointed) and exits 0. `topics`, `produce`, `consume` and `groups`
 * are clients that work against any Kafka broker (see ./kafka-client.ts).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Broker } from '../broker.js'
import type { BrokerOptions } from '../config/broker-config.js'
import { loadConfigFile, type LoadedConfig } from '../config/config-file.js'
import { MillraceError } from '../errors.js'
import { CliError, DEFAULT_PORT, EXIT_FAILURE, joinNegativeValues } from './args.js'
import { Shutdown } from './shutdown.js'
import { listenerFlags, LISTENER_HELP, LISTENER_OPTIONS } from './listener-flags.js'
import { applyDataDirFlags } from './data-dir-flag.js'

const USAGE = `Usage: millrace <command> [options]

Commands:
  start     run a broker until interrupted
  topics    create, list, describe, alter and delete topics on any Kafka broker
  produce   send lines from stdin as records
  consume   print records of a topic
  groups    list, describe, delete consumer groups; reset or delete their offsets
  config    check a broker config file (server.properties or JSON) without starting
  acls      create, list and delete ACLs (brokers started with --authorizer)
  users     create, list and delete SCRAM users in a stopped broker's data dir
  bench     measure produce, consume, latency, mixed and startup workloads

Run 'millrace <command> --help' for the options of each command; 'millrace --version' prints the version.
`

const START_USAGE = `Usage: millrace start [options]

Runs a Kafka-compatible broker until SIGINT or SIGTERM.

Options:
  --data DIR,...   data directories, comma-separated (default ./data); new partitions
                   are spread over them
  --memory         keep everything in memory (no data directory)
  --workers N      partition worker threads (default: one per core but one)
  --port N         Kafka listener port (default 9092; 0 picks a free port)
  --host HOST      address to listen on (default 127.0.0.1)
  --http-port N    HTTP endpoint port: /health, /ready, /metrics (default 9644; 0 picks a free port)
  --http-host HOST address of the HTTP endpoint (default: --host)
  --no-http        serve no HTTP endpoint
  --advertised-host HOST   host put in Metadata (default: the address the client reached)
  --advertised-port N      port put in Metadata (default: the port the client reached)
${LISTENER_HELP}
  --config FILE    Kafka server.properties file, or JSON of broker options (flags
                   override it; see 'millrace config check --help')
  --authorizer     check every request against ACLs (manage them with 'millrace acls')
  --super-users LIST       principals allowed everything, e.g. 'User:admin;User:ops'
  --allow-everyone-if-no-acl true|false   a resource without any ACL is open to all (default false)
  --log-level L    fatal, error, warn, info (default), debug or trace
  --log-format F   json (default when stderr is not a terminal) or pretty; logs go to stderr
  -h, --help       show this help
`

function fail (message: string): never {
  process.stderr.write(`millrace: ${message}\n`)
  process.exit(2)
}

/** The version in the package's own package.json (dist/src/cli → the package root). */
function packageVersion (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** The HTTP endpoint's port: Redpanda's admin API port, which operators' probes and scrapers already know. */
const DEFAULT_HTTP_PORT = 9644

function readConfigFile (path: string): LoadedConfig {
  try {
    return loadConfigFile(path)
  } catch (err) {
    fail(`--config ${path}: ${(err as Error).message}`)
  }
}

function integerFlag (name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n)) fail(`--${name} must be an integer, got '${value}'`)
  return n
}

function booleanFlag (name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  if (value !== 'true' && value !== 'false') fail(`--${name} must be true or false, got '${value}'`)
  return value === 'true'
}

const START_OPTIONS = {
  data: { type: 'string' },
  memory: { type: 'boolean' },
  workers: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'http-port': { type: 'string' },
  'http-host': { type: 'string' },
  'no-http': { type: 'boolean' },
  'advertised-host': { type: 'string' },
  'advertised-port': { type: 'string' },
  config: { type: 'string' },
  authorizer: { type: 'boolean' },
  'super-users': { type: 'string' },
  'allow-everyone-if-no-acl': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...LISTENER_OPTIONS
} as const

async function start (argv: string[]): Promise<void> {
  let values
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv, START_OPTIONS), options: START_OPTIONS, strict: true }))
  } catch (err) {
    fail(`${(err as Error).message}\n\n${START_USAGE}`)
  }
  if (values.help === true) { process.stdout.write(START_USAGE); return }
  if (values['no-http'] === true && (values['http-port'] !== undefined || values['http-host'] !== undefined)) fail('--no-http cannot be used with --http-port or --http-host')
  const file = values.config === undefined ? undefined : readConfigFile(values.config)
  const options: BrokerOptions = file?.options ?? {}
  const dataDirProblem = applyDataDirFlags(options, values.data, values.memory === true)
  if (dataDirProblem !== null) fail(dataDirProblem)
  const flags: BrokerOptions = {
    workers: integerFlag('workers', values.workers),
    port: integerFlag('port', values.port),
    host: values.host,
    httpPort: integerFlag('http-port', values['http-port']),
    httpHost: values['http-host'],
    advertisedHost: values['advertised-host'],
    advertisedPort: integerFlag('advertised-port', values['advertised-port']),
    authorizer: values.authorizer,
    superUsers: values['super-users']?.split(';').map((p) => p.trim()).filter((p) => p.length > 0),
    allowEveryoneIfNoAcl: booleanFlag('allow-everyone-if-no-acl', values['allow-everyone-if-no-acl'])
  }
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) (options as Record<string, unknown>)[key] = value
  try {
    Object.assign(options, listenerFlags(values))
  } catch (err) {
    fail((err as Error).message)
  }
  if (options.listeners === undefined) options.port ??= DEFAULT_PORT
  // A config file turns the endpoint off with "httpPort": null; an absent key means the default.
  if (values['no-http'] === true) options.httpPort = null
  else if (options.httpPort === undefined) options.httpPort = DEFAULT_HTTP_PORT
  const level = values['log-level'] ?? 'info'
  const format = values['log-format']
  const { createLogOutput, isLogFormat, isLogLevel } = await import('../log-output.js')
  if (!isLogLevel(level)) fail(`--log-level must be one of fatal, error, warn, info, debug, trace; got '${level}'`)
  if (format !== undefined && !isLogFormat(format)) fail(`--log-format must be json or pretty; got '${format}'`)
  const logger = await createLogOutput({ level, format })
  for (const warning of file?.warnings ?? []) logger.warn({ config: values.config }, `config file: ${warning}`)
  // Signals are handled from here on, start-up included: the process always ends within a bounded time.
  const shutdown = new Shutdown({
    logger,
    exit: (code) => process.exit(code),
    writeNotice: (line) => process.stdout.write(line + '\n'),
    writeError: (line) => process.stderr.write(line + '\n')
  })
  process.on('SIGINT', () => shutdown.signal('SIGINT'))
  process.on('SIGTERM', () => shutdown.signal('SIGTERM'))
  // SIGHUP reloads the TLS certificate (Kafka does it through its admin API; a signal is the Unix
  // way for a server). Handled from here on: left to its default, it would end the process.
  let running: Broker | null = null
  process.on('SIGHUP', () => {
    if (running === null) { logger.warn({}, 'SIGHUP during start-up: nothing to reload yet'); return }
    running.reloadTls().catch((err: Error) => logger.error({ code: (err as MillraceError).code }, `TLS reload failed, keeping the old certificate: ${err.message}`))
  })
  // Whoever started us may stop reading our output; a closed stdout must not stop the broker.
  process.stdout.on('error', () => {})
  logger.info({ dataDir: options.dataDir, dataDirs: options.dataDirs, port: options.port, listeners: options.listeners, httpPort: options.httpPort }, 'starting')
  let broker: Broker
  try {
    broker = await Broker.start({ ...options, logger })
  } catch (err) {
    const message = err instanceof MillraceError ? err.message : `could not start: ${(err as Error).message}`
    // A refused option is the operator's to fix: its message says everything, a stack would not help.
    logger.fatal(err instanceof MillraceError ? { code: err.code } : { err }, message)
    fail(message)
  }
  running = broker
  if (!shutdown.stopping) {
    const dataDir = broker.config.dataDir
    const where = dataDir === null ? 'in memory' : `data in ${broker.config.dataDirs.join(', ')}`
    const listening = broker.listeners.map((l) => `listening on ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port} (${l.protocol})`).join(', ')
    const http = broker.httpAddress === undefined ? '' : `, http on ${broker.httpAddress}`
    process.stdout.write(`millrace ready: ${listening}${http}, ${broker.config.workers} partition workers, ${where}\n`)
    logger.info({ address: broker.address, listeners: broker.listeners, httpAddress: broker.httpAddress, workers: broker.config.workers, dataDirs: broker.config.dataDirs }, 'broker ready')
  }
  shutdown.started(broker)
}

/** Runs a client command; its errors become one line on stderr and a non-zero exit code. */
async function client (run: (argv: string[]) => Promise<void>, argv: string[]): Promise<void> {
  // A reader that went away (`millrace consume ... | head`) ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    process.stderr.write(`millrace: cannot write output: ${err.message}\n`)
    process.exit(EXIT_FAILURE)
  })
  try {
    await run(argv)
  } catch (err) {
    const exitCode = err instanceof CliError ? err.exitCode : EXIT_FAILURE
    process.stderr.write(`millrace: ${(err as Error).message}\n`)
    process.exitCode = exitCode
  }
}

const [command, ...rest] = process.argv.slice(2)
switch (command) {
  case 'start': await start(rest); break
  case 'topics': await client(async (argv) => { await (await import('./topics.js')).runTopics(argv) }, rest); break
  case 'produce': await client(async (argv) => { await (await import('./produce.js')).runProduce(argv) }, rest); break
  case 'consume': await client(async (argv) => { await (await import('./consume.js')).runConsume(argv) }, rest); break
  case 'groups': await client(async (argv) => { await (await import('./groups.js')).runGroups(argv) }, rest); break
  case 'config': await client(async (argv) => { await (await import('./config-check.js')).runConfig(argv) }, rest); break
  case 'acls': await client(async (argv) => { await (await import('./acls.js')).runAcls(argv) }, rest); break
  case 'users': await client(async (argv) => { await (await import('./users.js')).runUsers(argv) }, rest); break
  case 'bench': await client(async (argv) => { await (await import('../bench/run.js')).runBench(argv) }, rest); break
  case '-V': case '--version': case 'version': process.stdout.write(`millrace ${packageVersion()}\n`); break
  case undefined: case '-h': case '--help': case 'help': process.stdout.write(USAGE); break
  default: fail(`unknown command '${command}'\n\n${USAGE}`)
}
