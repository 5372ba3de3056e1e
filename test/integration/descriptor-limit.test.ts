/**
 * A broker whose open-file limit is below maxConnections says so at start: past the limit, the
 * runtime closes new connections itself (libuv's EMFILE handling) and the broker never hears of
 * them. The broker runs as `millrace start` under prlimit(1) so this process keeps its limits.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { CLI_MAIN } from '../helpers/cli.js'

const limit = suite('open-file limit check at start')

interface Run { stdout: string, stderr: string }

/** Starts `millrace start` with the given open-file limit, stops it once it is ready, and returns its output. */
function startAndStop (openFiles: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('prlimit', [`--nofile=${openFiles}:${openFiles}`, '--', process.execPath, CLI_MAIN,
      'start', '--memory', '--port', '0', '--http-port', '0', '--host', '127.0.0.1', '--workers', '1', '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
      if (stdout.includes('millrace ready')) child.kill('SIGTERM')
    })
    child.once('error', reject)
    child.once('close', () => { clearTimeout(timer); resolve({ stdout, stderr }) })
  })
}

const warnings = (stderr: string): Array<Record<string, unknown>> => stderr.split('\n')
  .filter((l) => l.includes('open-file limit'))
  .map((l) => JSON.parse(l) as Record<string, unknown>)

limit('a limit of 200 against the default 10,000 connections is logged once, as a warning', async () => {
  const run = await startAndStop(200)
  assert.match(run.stdout, 'millrace ready')
  const lines = warnings(run.stderr)
  assert.is(lines.length, 1, run.stderr)
  assert.equal([lines[0].level, lines[0].subsystem, lines[0].openFilesLimit, lines[0].maxConnections], [40, 'server', 200, 10_000])
  assert.match(String(lines[0].msg), 'raise ulimit -n')
})

limit('a limit with room for every connection logs nothing', async () => {
  const run = await startAndStop(20_000)
  assert.match(run.stdout, 'millrace ready')
  assert.equal(warnings(run.stderr), [])
})

limit.run()
