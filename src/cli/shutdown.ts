/**
 * How `millrace start` stops on SIGINT/SIGTERM, from the moment it begins to start.
 *
 * The first signal closes the broker (during start-up: as soon as it has started) and exits 0
 * once the close is done. A second signal, or a close still running after SHUTDOWN_TIMEOUT_MS,
 * exits 1 at once with a fatal log line: whoever sent SIGTERM always sees the process end
 * within a bounded time. Exiting without a clean close loses nothing acknowledged (recovery
 * replays the log; the kernel drops the data dir lock with the process).
 */
import type { Logger } from '../logger.js'

/** How long a clean close may take before the process exits anyway (systemd's own stop timeout is 90 s). */
export const SHUTDOWN_TIMEOUT_MS = 10_000

export interface Closable { close (): Promise<void> }

export interface ShutdownOptions {
  logger: Logger
  /** process.exit, or a stand-in in tests. */
  exit: (code: number) => void
  /** One line for people: stdout in the CLI. */
  writeNotice: (line: string) => void
  /** One line about a failure: stderr in the CLI. */
  writeError: (line: string) => void
  timeoutMs?: number
}

export class Shutdown {
  readonly #options: ShutdownOptions
  #broker: Closable | null = null
  #signal: string | null = null
  #closing = false
  #deadline: NodeJS.Timeout | undefined = undefined

  constructor (options: ShutdownOptions) {
    this.#options = options
  }

  /** Whether a signal has asked the process to stop. */
  get stopping (): boolean { return this.#signal !== null }

  /** The broker is up: from now on a signal closes it (at once, if one came during start-up). */
  started (broker: Closable): void {
    this.#broker = broker
    if (this.#signal !== null) this.#close()
  }

  signal (name: string): void {
    const { logger, writeNotice, writeError } = this.#options
    if (this.#signal !== null) {
      logger.fatal({ signal: name, first: this.#signal }, 'second signal while shutting down; exiting without a clean close')
      writeError(`millrace: ${name} again, exiting without a clean close`)
      this.#exit(1)
      return
    }
    this.#signal = name
    writeNotice(`millrace: ${name}, shutting down`)
    logger.info({ signal: name, starting: this.#broker === null }, 'shutting down')
    const timeoutMs = this.#options.timeoutMs ?? SHUTDOWN_TIMEOUT_MS
    // Not unref'd: a close that hangs on a promise alone must still end in exit(1).
    this.#deadline = setTimeout(() => {
      logger.fatal({ signal: name, timeoutMs }, `shutdown did not finish within ${timeoutMs} ms; exiting without a clean close`)
      writeError(`millrace: shutdown did not finish within ${timeoutMs} ms, exiting`)
      this.#exit(1)
    }, timeoutMs)
    if (this.#broker !== null) this.#close()
  }

  #close (): void {
    if (this.#closing) return
    this.#closing = true
    const { logger, writeError } = this.#options
    this.#broker!.close().then(() => this.#exit(0), (err: Error) => {
      logger.error({ err }, 'shutdown failed')
      writeError(`millrace: shutdown failed: ${err.message}`)
      this.#exit(1)
    })
  }

  #exit (code: number): void {
    clearTimeout(this.#deadline)
    this.#options.exit(code)
  }
}
