/**
 * Warns at start when the process may run out of file descriptors before it reaches
 * maxConnections. Past that point connections fail without a trace: libuv accepts and closes
 * them itself on EMFILE (its reserve-descriptor trick) and Node reports nothing to the server,
 * so the broker could not log them as they happen.
 *
 * Linux only (reads /proc/self/limits, asynchronously, once); elsewhere it stays quiet.
 */
import { readFile } from 'node:fs/promises'
import type { Logger } from '../logger.js'

/** Descriptors the broker needs besides its connections: stdio, epoll, worker ports, log files. */
export const DESCRIPTOR_HEADROOM = 64

/** The soft limit on open files from /proc/self/limits' text, or null when unlimited or absent. */
export function softOpenFilesLimit (limitsText: string): number | null {
  const row = limitsText.split('\n').find((line) => line.startsWith('Max open files'))
  const soft = row?.slice('Max open files'.length).trim().split(/\s+/)[0]
  const n = Number(soft)
  return Number.isSafeInteger(n) ? n : null
}

export async function warnIfFewDescriptors (maxConnections: number, log: Logger): Promise<void> {
  let text: string
  try {
    text = await readFile('/proc/self/limits', 'utf8')
  } catch {
    return
  }
  const limit = softOpenFilesLimit(text)
  if (limit === null || limit >= maxConnections + DESCRIPTOR_HEADROOM) return
  log.warn({ openFilesLimit: limit, maxConnections, headroom: DESCRIPTOR_HEADROOM },
    `the open-file limit (${limit}) is below maxConnections plus headroom: past about ${Math.max(0, limit - DESCRIPTOR_HEADROOM)} connections new ones are closed without a log line; raise ulimit -n (LimitNOFILE) or lower maxConnections`)
}
