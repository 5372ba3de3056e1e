/**
 * `millrace config check FILE`: reads a config file as `millrace start --config FILE` would,
 * without starting anything, and prints the effective settings (Kafka keys, where each came
 * from), then the warnings. Exits 0 when the file is valid, 1 when it is not.
 */
import { resolveBrokerConfig } from '../config/broker-config.js'
import { loadConfigFile } from '../config/config-file.js'
import { effectiveSettings } from '../config/server-properties.js'
import { CliError, DEFAULT_PORT, EXIT_USAGE, parseFlags, usageError } from './args.js'

export const CONFIG_USAGE = `Usage: millrace config check FILE

Reads FILE as 'millrace start --config FILE' would, without starting a broker, and prints
each setting Millrace honours as a Kafka key with its effective value and where it came
from (the file, with its line, or the default), then a warning for each key it ignores.
Exits 0 when the file is valid and 1 when it is not.

FILE is Kafka's server.properties format, or JSON of broker options: '.json' files and files
whose text starts with '{' are JSON, everything else is properties.

Options:
  -h, --help   show this help
`

const OPTIONS = { help: { type: 'boolean', short: 'h' } } as const

export async function runConfig (argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, 'config')
  if (values.help === true) { write(CONFIG_USAGE); return }
  const [sub, file, ...extra] = positionals
  if (sub !== 'check') throw usageError(sub === undefined ? 'config needs a subcommand: check FILE' : `unknown config subcommand '${sub}'`, 'config')
  if (file === undefined) throw usageError('config check needs a FILE', 'config')
  if (extra.length > 0) throw new CliError(`config check takes one FILE, got ${positionals.length - 1}`, EXIT_USAGE)
  let loaded
  try {
    loaded = loadConfigFile(file)
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`)
  }
  // As `millrace start` does: without listeners in the file, one on the default port.
  const config = resolveBrokerConfig(loaded.options.listeners === undefined ? { ...loaded.options, port: loaded.options.port ?? DEFAULT_PORT } : loaded.options)
  const settings = effectiveSettings(config)
  const keyWidth = Math.max(...settings.map((s) => s.key.length))
  const valueWidth = Math.max(...settings.map((s) => s.value.length))
  let out = `${file}: ${loaded.format === 'json' ? 'JSON broker options' : 'server.properties'}\n\n`
  for (const { key, value } of settings) {
    const origin = loaded.origins.get(key)
    out += `${key.padEnd(keyWidth)} = ${value.padEnd(valueWidth)}  # ${origin ?? 'default'}\n`
  }
  out += '\n'
  for (const warning of loaded.warnings) out += `warning: ${warning}\n`
  out += `${file} is valid (${loaded.warnings.length} warning${loaded.warnings.length === 1 ? '' : 's'})\n`
  write(out)
}
