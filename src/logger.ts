/**
 * Structured logging. `millrace start` logs through pino (./log-output.ts); library mode logs
 * nothing unless the host passes a logger (pino's, or anything with the same level methods).
 *
 * Worker threads never write log lines themselves: they post log records on their parent port
 * (`workerLogger`), and the thread that owns the Worker hands them to the broker's logger
 * (`relayWorkerLogs`). Nothing logs per record or per batch on the hot path.
 */
import { parentPort, type Worker } from 'node:worker_threads'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const
export type LogLevel = typeof LOG_LEVELS[number]

export type LogFn = (fields: object, msg: string) => void

/** The subset of pino's logger the broker uses; a pino logger is one. */
export interface Logger {
  fatal: LogFn
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  trace: LogFn
  child: (bindings: Record<string, unknown>) => Logger
}

const ignore: LogFn = () => {}

/** Library mode's default: logs nothing. */
export const silentLogger: Logger = {
  fatal: ignore,
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  trace: ignore,
  child: () => silentLogger
}

/** Tag of a log record posted by a worker thread. */
const kLogMessage = 'millrace:log'

interface WorkerLogRecord {
  type: typeof kLogMessage
  level: LogLevel
  bindings: Record<string, unknown>
  fields: object
  msg: string
}

function isWorkerLogRecord (message: unknown): message is WorkerLogRecord {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === kLogMessage
}

/**
 * A logger for code running on a worker thread: each call posts one record to the parent, which
 * relays it (`relayWorkerLogs`). On the main thread (tests that run worker code in-process) it
 * logs nothing.
 */
export function workerLogger (bindings: Record<string, unknown>): Logger {
  const port = parentPort
  if (port === null) return silentLogger
  const post = (level: LogLevel): LogFn => (fields, msg) => {
    const record: WorkerLogRecord = { type: kLogMessage, level, bindings, fields: plainFields(fields), msg }
    port.postMessage(record)
  }
  return {
    fatal: post('fatal'),
    error: post('error'),
    warn: post('warn'),
    info: post('info'),
    debug: post('debug'),
    trace: post('trace'),
    child: (more) => workerLogger({ ...bindings, ...more })
  }
}

/** Errors do not survive structured cloning with their message intact as a field: flatten them. */
function plainFields (fields: object): object {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { type: value.name, message: value.message, code: (value as NodeJS.ErrnoException).code } : value
  }
  return out
}

/** Logs the records a worker thread posts through `logger`; returns a function that stops relaying. */
export function relayWorkerLogs (worker: Worker, logger: Logger): () => void {
  const onMessage = (message: unknown): void => {
    if (!isWorkerLogRecord(message)) return
    const target = Object.keys(message.bindings).length === 0 ? logger : logger.child(message.bindings)
    target[message.level](message.fields, message.msg)
  }
  worker.on('message', onMessage)
  return () => { worker.off('message', onMessage) }
}

/**
 * Lets through the first call per key and then at most one per `intervalMs`, counting what it
 * held back, so a storm of identical events costs one log line a second, not one each.
 */
export class LogRateLimiter {
  readonly #intervalMs: number
  readonly #maxKeys: number
  readonly #last = new Map<string, { at: number, suppressed: number }>()

  constructor (intervalMs = 1000, maxKeys = 1000) {
    this.#intervalMs = intervalMs
    this.#maxKeys = maxKeys
  }

  /** Returns null when this event should not be logged, else how many were held back since the last one logged. */
  admit (key: string, now = Date.now()): number | null {
    const entry = this.#last.get(key)
    if (entry !== undefined && now - entry.at < this.#intervalMs) {
      entry.suppressed++
      return null
    }
    const suppressed = entry?.suppressed ?? 0
    if (entry === undefined && this.#last.size >= this.#maxKeys) this.#last.delete(this.#last.keys().next().value as string)
    this.#last.set(key, { at: now, suppressed: 0 })
    return suppressed
  }
}
