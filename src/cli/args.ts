/**
 * Flag handling shared by the client commands (`topics`, `produce`, `consume`): the options
 * every command takes, integer flags, and CliError, the one error type those commands throw.
 * main.ts prints its message on one line and exits with its exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>

/** Exit code for bad flags and arguments, the same as `millrace start` uses. */
export const EXIT_USAGE = 2
/** Exit code for everything that goes wrong once the flags are accepted. */
export const EXIT_FAILURE = 1

export class CliError extends Error {
  readonly exitCode: number

  constructor (message: string, exitCode = EXIT_FAILURE) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export function usageError (message: string, command: string): CliError {
  return new CliError(`${message} (see 'millrace ${command} --help')`, EXIT_USAGE)
}

/** Kafka's usual port, where `millrace start` listens unless told otherwise. */
export const DEFAULT_PORT = 9092

/** Kafka's usual listener. */
export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092'
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** Options every client command accepts. */
export const COMMON_OPTIONS = {
  bootstrap: { type: 'string', short: 'b' },
  'request-timeout-ms': { type: 'string' },
  'command-config': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export const COMMON_HELP = `  -b, --bootstrap HOST:PORT   broker to connect to (default ${DEFAULT_BOOTSTRAP})
  --request-timeout-ms N      give up on a request after N ms (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --command-config FILE       Kafka client properties: security.protocol, sasl.mechanism,
                              sasl.username, sasl.password, ssl.ca.location
  -h, --help                  show this help`

type StrictConfig<T extends ParseArgsOptions> = { args: string[], options: T, strict: true, allowPositionals: true }
export type ParsedFlags<T extends ParseArgsOptions> = ReturnType<typeof parseArgs<StrictConfig<T>>>

/**
 * Joins a string flag and a following negative number (`--partitions -3` → `--partitions=-3`):
 * parseArgs takes `-3` for an option and reports an "ambiguous" argument, where the range check
 * of the flag's own parser says what is wrong.
 */
export function joinNegativeValues (argv: readonly string[], options: ParseArgsOptions): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = argv[i + 1]
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}

/** parseArgs in strict mode, turning its errors into usage errors that name the command. */
export function parseFlags<T extends ParseArgsOptions> (argv: string[], options: T, command: string): ParsedFlags<T> {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: true })
  } catch (err) {
    // Node appends a long hint about '--' to unknown options; the first sentence says it all.
    const message = (err as Error).message
    throw usageError(message.startsWith('Unknown option') ? message.split('. ')[0] : message, command)
  }
}

/** The value of an integer flag, or `fallback` when absent; checks the range. */
export function intFlag (name: string, value: string | undefined, fallback: number, min: number, max: number, command: string): number {
  if (value === undefined) return fallback
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`, command)
  return n
}

export interface Endpoint { host: string, port: number }

/** `HOST:PORT`, `HOST` (port 9092) or `[IPv6]:PORT`. */
export function parseEndpoint (text: string, command: string): Endpoint {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(text.trim())
  if (match === null) throw usageError(`--bootstrap must be HOST:PORT, got '${text}'`, command)
  const port = match[3] === undefined ? 9092 : Number(match[3])
  if (port < 1 || port > 65535) throw usageError(`--bootstrap port must be from 1 to 65535, got '${match[3]}'`, command)
  return { host: match[1] ?? match[2], port }
}

export function formatEndpoint ({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** `k=v` pairs of repeated `--config` flags, in order; a key given twice keeps the last value. */
export function parseConfigPairs (pairs: readonly string[] | undefined, command: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`--config must be KEY=VALUE, got '${pair}'`, command)
    out.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  return out
}
