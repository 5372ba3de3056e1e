/**
 * Runs the built `millrace` CLI as a user would: a child process, spawned asynchronously (the
 * broker under test usually runs in this process), killed if it hangs.
 */
import { spawn } from 'node:child_process'
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
