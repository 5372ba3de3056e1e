/**
 * The server's log output: pino, writing to stderr (stdout carries the ready line), as JSON
 * lines or, for a person at a terminal, pino-pretty's coloured lines. Library mode never loads
 * this file; a host passes its own logger.
 */
import { pino } from 'pino'
import { LOG_LEVELS, type Logger, type LogLevel } from './logger.js'

export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = typeof LOG_FORMATS[number]

export interface LogOutputOptions {
  level: LogLevel
  /** Default: pretty on a TTY, json otherwise. */
  format?: LogFormat
  /** File descriptor to write to; default 2 (stderr). */
  fd?: number
}

export function isLogLevel (value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value)
}

export function isLogFormat (value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value)
}

export async function createLogOutput (options: LogOutputOptions): Promise<Logger> {
  const fd = options.fd ?? 2
  const format = options.format ?? (process.stderr.isTTY ? 'pretty' : 'json')
  const settings = { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }
  if (format === 'pretty') {
    // Loaded only when wanted: pino-pretty and its colours are most of a start-up's module load.
    const { default: pretty } = await import('pino-pretty')
    // Synchronous, so a fatal line is written before the process exits.
    const prettyLogger: Logger = pino(settings, pretty({ destination: fd, sync: true, ignore: 'pid,hostname' }))
    return prettyLogger
  }
  const jsonLogger: Logger = pino(settings, pino.destination({ dest: fd, sync: true }))
  return jsonLogger
}
