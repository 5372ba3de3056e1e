/**
 * A broker config file, as `millrace start --config` and `millrace config check` read it:
 * either JSON of BrokerOptions or Kafka's server.properties. The format follows the extension
 * (`.json`, `.properties`) and otherwise the content: a text whose first non-blank character is
 * `{` is JSON, anything else is properties.
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { resolveBrokerConfig, type BrokerOptions } from './broker-config.js'
import { parseProperties } from './properties-file.js'
import { mapServerProperties, originsOfOptions } from './server-properties.js'

export type ConfigFormat = 'json' | 'properties'

export interface LoadedConfig {
  format: ConfigFormat
  options: BrokerOptions
  /** Keys set but not honoured, each a line for the log and for `config check`. */
  warnings: string[]
  /** Kafka key → where the file set it (keys absent here have their default). */
  origins: Map<string, string>
}

export function configFormat (path: string, text: string): ConfigFormat {
  const ext = extname(path).toLowerCase()
  if (ext === '.json') return 'json'
  if (ext === '.properties') return 'properties'
  return text.trimStart().startsWith('{') ? 'json' : 'properties'
}

/** Parses and checks a config file's text; throws an Error saying what is wrong (MR_ERR_INVALID_OPTION for a refused value). */
export function parseConfigText (path: string, text: string): LoadedConfig {
  const format = configFormat(path, text)
  if (format === 'properties') return { format, ...mapServerProperties(parseProperties(text)) }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('must hold a JSON object of broker options')
  const options = parsed as BrokerOptions
  resolveBrokerConfig(options)
  return { format, options, warnings: [], origins: originsOfOptions(options) }
}

export function loadConfigFile (path: string): LoadedConfig {
  return parseConfigText(path, readFileSync(path, 'utf8'))
}
