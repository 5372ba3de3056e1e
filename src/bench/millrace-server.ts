/**
 * A `millrace start` child process on a free port for one run: a fresh temp data dir (or
 * memory, or the --data dir), optionally under clinic (--profile). Stopped with SIGINT so it
 * closes cleanly and clinic writes its report.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { MillraceError } from '../errors.js'
import type { BenchOptions } from './options.js'
import { replicaLayout } from './replica-layout.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'

const MAIN_JS = new URL('../cli/main.js', import.meta.url).pathname
/** The package root (this file runs from dist/src/bench/). */
const ROOT = new URL('../../../', import.meta.url).pathname
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 120_000

export interface ServerProcess {
  child: ChildProcess
  port: number
  /** ms from spawn to the "ready" line. */
  readyMs: number
  /** clinic's report, once stopped under --profile. */
  reportPath: string | undefined
  stop: () => Promise<void>
}

function clinicBin (): string {
  const local = join(ROOT, 'node_modules', '.bin', 'clinic')
  return existsSync(local) ? local : 'clinic'
}

export async function startMillraceServer (options: BenchOptions, spawnedAt = performance.now()): Promise<ServerProcess> {
  const tempDir = options.dataDir === undefined ? makeTempDir('millrace-bench-') : undefined
  const layout = options.dataDir === null ? null : replicaLayout(tempDir ?? options.dataDir!, options.replicationFactor)
  const storage = layout === null ? ['--memory'] : ['--data', layout.dataDirs.join(',')]
  const workers = layout?.workers === undefined ? [] : ['--workers', String(layout.workers)]
  const args = [MAIN_JS, 'start', '--port', '0', '--http-port', '0', '--host', '127.0.0.1', ...storage, ...workers]
  const profiling = options.profile !== undefined
  const child = profiling
    // Its own process group: clinic expects Ctrl+C, which reaches clinic and the broker together.
    ? spawn(clinicBin(), [options.profile!, '--dest', options.outDir, '--open', 'false', '--', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_INSIGHT: '1' }, detached: true })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const cleanUp = (): void => { child.kill('SIGKILL'); if (tempDir !== undefined) removeTempDir(tempDir) }
  process.once('exit', cleanUp)
  let output = ''
  const lines = createInterface({ input: child.stdout! })
  const errLines = createInterface({ input: child.stderr! })
  let reportPath: string | undefined
  const watch = (line: string): void => {
    output += line + '\n'
    const html = /(?:file:\/\/)?(\S+\.clinic-[\w-]+\.html)/.exec(line)
    if (html !== null) reportPath = html[1]
  }
  errLines.on('line', watch)
  let readyMs = 0
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new MillraceError('MR_ERR_INVALID_OPTION', `the Millrace server was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS)
    lines.on('line', (line) => {
      watch(line)
      const m = /listening on \S+:(\d+)/.exec(line)
      if (m !== null) { readyMs = performance.now() - spawnedAt; clearTimeout(timer); resolve(Number(m[1])) }
    })
    child.once('error', (err) => { clearTimeout(timer); reject(new MillraceError('MR_ERR_INVALID_OPTION', profiling ? `cannot run clinic (${err.message}): run 'npm ci' in the project (clinic is a dev dependency) or 'npm install -g clinic'` : `cannot start the Millrace server: ${err.message}`)) })
    child.once('exit', (code) => { clearTimeout(timer); reject(new MillraceError('MR_ERR_INVALID_OPTION', `the Millrace server exited with ${String(code)} before it was ready:\n${output}`)) })
  })
  const server: ServerProcess = {
    child,
    port,
    readyMs,
    reportPath: undefined,
    stop: async () => {
      let timer: NodeJS.Timeout | undefined
      if (child.exitCode === null && child.signalCode === null) {
        if (profiling) process.kill(-child.pid!, 'SIGINT')
        else child.kill('SIGINT')
        timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      }
      // clinic prints the report's path as its last line: wait for its output, not just its exit.
      await closed
      clearTimeout(timer)
      process.off('exit', cleanUp)
      if (tempDir !== undefined) removeTempDir(tempDir)
      server.reportPath = reportPath
    }
  }
  return server
}
