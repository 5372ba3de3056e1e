/**
 * `millrace start` as clients see it: one ready line with the real port, kcat can talk to it,
 * --config supplies options, SIGTERM closes it cleanly with exit code 0.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'
import { kcat } from './kafka-wire.js'
import { millrace } from '../helpers/cli.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const cli = suite('millrace start with a Kafka listener')

function start (args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess, ready: Promise<string>, exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, 'start', '--http-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let out = ''
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.includes('listening on'))
      if (line !== undefined) resolve(line)
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready: ${out}`)))
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, ready, exit }
}

cli('--port 0 prints the real port; kcat produces and consumes; SIGTERM exits 0', async () => {
  const dir = tmpDir()
  try {
    const config = join(dir, 'broker.json')
    writeFileSync(config, JSON.stringify({ workers: 1, defaultPartitions: 3 }))
    const { child, ready, exit } = start(['--data', join(dir, 'data'), '--port', '0', '--config', config])
    const line = await ready
    const match = /listening on ([^\s,]+):(\d+)/.exec(line)
    assert.ok(match !== null, line)
    const port = Number(match![2])
    assert.ok(port > 0)
    const address = `127.0.0.1:${port}`
    await kcat(['-b', address, '-P', '-t', 'cli-topic', '-p', '0'], 'one\ntwo\n')
    const listing = await kcat(['-b', address, '-L', '-t', 'cli-topic'])
    assert.match(listing, 'with 3 partitions')
    const out = await kcat(['-b', address, '-C', '-t', 'cli-topic', '-p', '0', '-e', '-o', 'beginning', '-f', '%s\n'])
    assert.is(out, 'one\ntwo\n')
    child.kill('SIGTERM')
    assert.is(await exit, 0)
  } finally {
    removeDir(dir)
  }
})

cli('--advertised-host and --advertised-port go into Metadata', async () => {
  const { child, ready, exit } = start(['--memory', '--port', '0', '--workers', '1', '--advertised-host', 'kafka.example', '--advertised-port', '19092'])
  const line = await ready
  const port = Number(/listening on [^\s,]+:(\d+)/.exec(line)![1])
  const listing = await kcat(['-b', `127.0.0.1:${port}`, '-L'])
  assert.match(listing, 'broker 1 at kafka.example:19092')
  child.kill('SIGINT')
  assert.is(await exit, 0)
})

cli('a module NODE_OPTIONS preloads runs on the main thread only, not in the broker\'s worker threads', async () => {
  const dir = tmpDir()
  try {
    const log = join(dir, 'preload.log')
    const preload = join(dir, 'preload.cjs')
    writeFileSync(preload, `require('node:fs').appendFileSync(${JSON.stringify(log)}, require('node:worker_threads').isMainThread ? 'main\\n' : 'worker\\n')`)
    const { child, ready, exit } = start(['--data', join(dir, 'data'), '--port', '0', '--workers', '2'], { ...process.env, NODE_OPTIONS: `--require ${preload}` })
    const port = Number(/listening on \S+:(\d+)/.exec(await ready)![1])
    // Threads of every kind: partition workers, the job pool (a topic's directory is deleted
    // there) and the coordinator (started by FindCoordinator).
    await kcat(['-b', `127.0.0.1:${port}`, '-P', '-t', 'preloaded'], 'one\ntwo\n')
    await kcat(['-b', `127.0.0.1:${port}`, '-G', 'preload-group', '-o', 'beginning', '-e', '-q', 'preloaded'])
    assert.is((await millrace(['topics', 'delete', 'preloaded', '-b', `127.0.0.1:${port}`])).code, 0)
    child.kill('SIGTERM')
    assert.is(await exit, 0)
    assert.equal(readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''), ['main'])
  } finally {
    removeDir(dir)
  }
})

cli.run()
