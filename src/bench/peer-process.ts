/**
 * Starting a peer server (nats-server, redis-server) for one run: find its binary, pick a free
 * port, give it a temp dir, and stop it afterwards. A peer that is not installed is skipped
 * with a message saying how to install it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { makeTempDir, removeTempDir } from './temp-dir.js'

const STOP_TIMEOUT_MS = 10_000

/** The binary's path on PATH (or the usual Debian places), or undefined. */
export function findBinary (name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin']
  for (const dir of dirs) {
    if (dir === '') continue
    const path = join(dir, name)
    try { accessSync(path, constants.X_OK); return path } catch {}
  }
  return undefined
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

export interface PeerProcess {
  child: ChildProcess
  port: number
  dir: string
  /** The server's output so far, for error messages. */
  output: () => string
  stop: () => Promise<void>
}

export async function spawnPeer (binary: string, args: (port: number, dir: string) => string[], prefix: string): Promise<PeerProcess> {
  const dir = makeTempDir(prefix)
  const port = await freePort()
  const child = spawn(binary, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] })
  const cleanUp = (): void => { child.kill('SIGKILL'); removeTempDir(dir) }
  process.once('exit', cleanUp)
  let output = ''
  const keep = (chunk: Buffer): void => { if (output.length < 64 * 1024) output += chunk.toString() }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  child.once('error', (err) => { output += `\n${err.message}` })
  return {
    child,
    port,
    dir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
        await exited
        clearTimeout(timer)
      }
      process.off('exit', cleanUp)
      removeTempDir(dir)
    }
  }
}

/** Retries `connect` until it works or `timeoutMs` passes (the server is still starting). */
export async function connectWithRetry<T> (connect: () => Promise<T>, peer: PeerProcess, what: string, timeoutMs = 10_000): Promise<T> {
  const until = performance.now() + timeoutMs
  for (;;) {
    try {
      return await connect()
    } catch (err) {
      if (peer.child.exitCode !== null || performance.now() > until) {
        throw new Error(`cannot connect to ${what}: ${(err as Error).message}\n${peer.output()}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }
}
