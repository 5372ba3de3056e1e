/**
 * `millrace start --data DIR` or `--data DIR1,DIR2,…` (Kafka's log.dirs, comma-separated) and
 * `--memory`: they replace whatever data dirs a config file named, in either of its forms.
 */
import type { BrokerOptions } from '../config/broker-config.js'

/** Sets the data dir options of `options` from the flags; returns an error message, or null. */
export function applyDataDirFlags (options: BrokerOptions, data: string | undefined, memory: boolean): string | null {
  if (memory && data !== undefined) return '--memory and --data cannot be used together'
  if (!memory && data === undefined) return null
  delete options.dataDir
  delete options.dataDirs
  if (memory) { options.dataDir = null; return null }
  const dirs = data!.split(',').map((d) => d.trim())
  if (dirs.some((d) => d.length === 0)) return `--data must name directories separated by commas; got '${data!}'`
  if (dirs.length === 1) options.dataDir = dirs[0]
  else options.dataDirs = dirs
  return null
}
