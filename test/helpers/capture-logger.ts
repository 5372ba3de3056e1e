import type { Logger, LogLevel } from '../../src/logger.js'

export interface LogLine {
  level: LogLevel
  msg: string
  fields: Record<string, unknown>
}

/** A Logger that keeps every line (with its bindings merged into the fields), for tests to assert on. */
export class CaptureLogger {
  readonly lines: LogLine[] = []
  readonly logger: Logger

  constructor () {
    this.logger = this.#bound({})
  }

  #bound (bindings: Record<string, unknown>): Logger {
    const at = (level: LogLevel) => (fields: object, msg: string): void => {
      this.lines.push({ level, msg, fields: { ...bindings, ...fields } })
    }
    return {
      fatal: at('fatal'),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      trace: at('trace'),
      child: (more) => this.#bound({ ...bindings, ...more })
    }
  }

  /** Lines whose message contains `text` (and, when given, at `level`). */
  find (text: string, level?: LogLevel): LogLine[] {
    return this.lines.filter((l) => l.msg.includes(text) && (level === undefined || l.level === level))
  }
}
