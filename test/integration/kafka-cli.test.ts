/**
 * `millrace start` as clients see it: one ready line with the real port, kcat can talk to it,
 * --config supplies options, SIGTERM closes it cleanly with exit code 0.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'
import { kcat } from './kafka-wire.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const cli = suite('millrace start with a Kafka listener')

function start (args: string[]): { child: ChildProcess, ready: Promise<string>, exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
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

cli.run()
