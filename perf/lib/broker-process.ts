/**
 * A `millrace start` child process on 127.0.0.1 with a fresh temp data dir, for the perf
 * scripts that measure real clients over TCP. The data dir goes with the broker, also when
 * the script dies early.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { removeDir, tmpDir } from '../../test/helpers/tmp-dir.js'

/** The CLI entry point (these scripts run from dist/perf/). */
const MAIN_JS = new URL('../../src/cli/main.js', import.meta.url).pathname
const STOP_GRACE_MS = 10_000

export interface BrokerProcess { child: ChildProcess, pid: number, port: number, dataDir: string }

/** `extraArgs` go to `millrace start`; `prepare` may write into the fresh data dir before it starts. */
export async function startBrokerProcess (dataDirPrefix: string, extraArgs: string[] = [], prepare?: (dataDir: string) => void): Promise<BrokerProcess> {
  const dataDir = tmpDir(dataDirPrefix)
  prepare?.(dataDir)
  const child = spawn(process.execPath, [MAIN_JS, 'start', '--port', '0', '--http-port', '0', '--data', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
  const cleanUp = (): void => { child.kill('SIGKILL'); removeDir(dataDir) }
  process.once('exit', cleanUp)
  child.once('exit', () => process.off('exit', cleanUp))
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const m = /listening on \S+:(\d+)/.exec(line)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`broker exited with ${String(code)} before it was ready`)))
  })
  child.stdout!.resume()
  return { child, pid: child.pid!, port, dataDir }
}

/** SIGTERM (a clean close), SIGKILL if it takes longer than 10 s; then removes the data dir. */
export async function stopBrokerProcess (b: BrokerProcess): Promise<void> {
  if (b.child.exitCode === null) {
    const exited = new Promise<void>((resolve) => b.child.once('exit', () => resolve()))
    b.child.kill('SIGTERM')
    const timer = setTimeout(() => b.child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }
  removeDir(b.dataDir)
}
