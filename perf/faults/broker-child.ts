/**
 * A `millrace start` child process that a fault case kills and starts again on the same port and
 * data dir. Keeps what the broker logged (stderr) so a case can look for the line a fault must leave.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { freePort } from '../../src/bench/peer-process.js'

export { freePort }

const MAIN_JS = new URL('../../src/cli/main.js', import.meta.url).pathname
const READY_TIMEOUT_MS = 60_000

export interface StartResult {
  /** The broker printed its ready line. */
  ready: boolean
  /** Spawn → ready line (or → exit when it refused to start). */
  elapsedMs: number
  exitCode: number | null
}

export class BrokerChild {
  readonly dataDir: string
  readonly port: number
  readonly extraArgs: string[]
  readonly log: string[] = []
  #child: ChildProcess | null = null
  #exited: Promise<number | null> = Promise.resolve(null)

  constructor (dataDir: string, port: number, extraArgs: string[] = []) {
    this.dataDir = dataDir
    this.port = port
    this.extraArgs = extraArgs
  }

  get running (): boolean { return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null }
  get pid (): number | undefined { return this.#child?.pid }

  /** Starts the broker; resolves when it is ready or has exited (a refusal). */
  async start (): Promise<StartResult> {
    const began = performance.now()
    const child = spawn(process.execPath, [MAIN_JS, 'start', '--data', this.dataDir, '--port', String(this.port), '--http-port', '0', '--log-format', 'json', ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    const killOnExit = (): void => { child.kill('SIGKILL') }
    process.once('exit', killOnExit)
    this.#exited = new Promise((resolve) => child.once('exit', (code) => { process.off('exit', killOnExit); resolve(code) }))
    createInterface({ input: child.stderr! }).on('line', (line) => this.log.push(line))
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('millrace ready')) { clearTimeout(timer); resolve(true) }
      })
      void this.#exited.then(() => { clearTimeout(timer); resolve(false) })
    })
    return { ready, elapsedMs: performance.now() - began, exitCode: ready ? null : await this.#exited }
  }

  /** Sends `signal` and waits for the process to end. */
  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.#child === null) return null
    if (this.running) this.#child.kill(signal)
    return await this.#exited
  }

  /** Log lines (JSON) whose msg contains `text`. */
  logged (text: string): string[] {
    return this.log.filter((line) => line.includes(text))
  }
}
