/**
 * Runs the built `millrace` CLI as a user would: a child process, spawned asynchronously (the
 * broker under test usually runs in this process), killed if it hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const CHILD_KILL_MS = 60_000

export interface CliRun { code: number | null, stdout: string, stderr: string }

/** Runs `millrace ...args`, feeding `input` on stdin; resolves when it exits. */
export function millrace (args: string[], input = ''): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS)
    child.once('error', reject)
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
  })
}

export interface StartedCli {
  child: ChildProcess
  /** The ready line; rejects if the process exits first. */
  ready: Promise<string>
  /** Exit code (null when ended by a signal) and the signal. */
  exit: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Everything written so far. */
  output: () => { stdout: string, stderr: string }
  /** Resolves when stderr holds `text`. */
  stderrHas: (text: string) => Promise<void>
}

/**
 * Runs `millrace start ...args` in a child process, SIGKILLed if it outlives `killAfterMs`. Its
 * HTTP endpoint takes a free port unless `args` name an --http flag: tests run in parallel and
 * must not meet on the default 9644.
 */
export function startCli (args: string[], killAfterMs = CHILD_KILL_MS): StartedCli {
  const http = args.some((a) => a === '--http-port' || a === '--http-host' || a === '--no-http') ? [] : ['--http-port', '0']
  const child = spawn(process.execPath, [CLI_MAIN, 'start', ...http, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const stderrWaiters: Array<{ text: string, resolve: () => void }> = []
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  const exit = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }) })
  })
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString()
      const line = stdout.split('\n').find((l) => l.includes('millrace ready'))
      if (line !== undefined) resolve(line)
    })
    child.once('exit', (code, signal) => reject(new Error(`exited (${code ?? signal}) before ready: ${stdout}${stderr}`)))
  })
  ready.catch(() => {})
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString()
    for (const w of stderrWaiters.splice(0)) {
      if (stderr.includes(w.text)) w.resolve()
      else stderrWaiters.push(w)
    }
  })
  const stderrHas = (text: string): Promise<void> => stderr.includes(text)
    ? Promise.resolve()
    : new Promise((resolve) => stderrWaiters.push({ text, resolve }))
  return { child, ready, exit, output: () => ({ stdout, stderr }), stderrHas }
}
