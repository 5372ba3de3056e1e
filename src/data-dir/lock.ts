/**
 * The data dir's `.lock` file (Kafka's name): one broker at a time per data dir.
 *
 * Held with flock(2), exclusive and non-blocking, so the kernel arbitrates: between processes,
 * and within one process too (each acquire opens its own file description, and flock locks
 * belong to the description), and a holder that dies, even by SIGKILL, releases it with its
 * last descriptor. A pid file alone could not tell a live holder from a reused pid.
 * The holder writes its pid and start time into the file only so a refused broker can name it.
 *
 * Lives on the thread that starts the broker (the dispatcher's); every call is async, and
 * flock with LOCK_NB never waits for another process.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises'
import { constants } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { MillraceError } from '../errors.js'
import { describeErrno, unusable } from './prepare.js'

export const LOCK_FILE = '.lock'

/** What the holder writes into the lock file (one JSON line). */
export interface LockHolder {
  pid: number
  startedAt: string
  hostname: string
}

type Flock = (fd: number, flag: 'exnb' | 'un') => Promise<void>

async function loadFlock (): Promise<Flock> {
  const { flock } = await import('fs-ext')
  return (fd, flag) => new Promise((resolve, reject) => flock(fd, flag, (err) => err === null || err === undefined ? resolve() : reject(err)))
}

export class DataDirLock {
  readonly path: string
  readonly #file: FileHandle
  readonly #flock: Flock
  #released: Promise<void> | null = null

  private constructor (path: string, file: FileHandle, flock: Flock) {
    this.path = path
    this.#file = file
    this.#flock = flock
  }

  /**
   * Takes the lock of `dataDir` (which must exist). Throws MR_ERR_DATA_DIR_LOCKED naming the
   * holder when another broker has it, MR_ERR_DATA_DIR_UNUSABLE when the file cannot be made.
   */
  static async acquire (dataDir: string): Promise<DataDirLock> {
    const path = join(dataDir, LOCK_FILE)
    const flock = await loadFlock()
    let file: FileHandle
    try {
      file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644)
    } catch (err) {
      throw unusable(dataDir, `cannot create ${path} (${describeErrno(err)})`, err)
    }
    try {
      await flock(file.fd, 'exnb')
    } catch (err) {
      await file.close().catch(() => {})
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        throw new MillraceError('MR_ERR_DATA_DIR_LOCKED', `data dir ${dataDir} is in use by another broker (${describeHolder(await readHolder(path))}); stop it or use another data dir`, { cause: err })
      }
      throw unusable(dataDir, `cannot lock ${path} (${describeErrno(err)})`, err)
    }
    const lock = new DataDirLock(path, file, flock)
    try {
      const holder: LockHolder = { pid: process.pid, startedAt: new Date().toISOString(), hostname: hostname() }
      await file.truncate(0)
      await file.write(JSON.stringify(holder) + '\n', 0)
    } catch (err) {
      await lock.release()
      throw unusable(dataDir, `cannot write ${path} (${describeErrno(err)})`, err)
    }
    return lock
  }

  /** Unlocks and closes the file; the file stays (the next broker reuses it, as Kafka's does). */
  release (): Promise<void> {
    this.#released ??= (async () => {
      try {
        await this.#flock(this.#file.fd, 'un')
      } finally {
        // Closing the last descriptor would release the lock anyway.
        await this.#file.close()
      }
    })()
    return this.#released
  }
}

/** The holder as written into the lock file, or null when it cannot be read (being written, or not ours). */
export async function readHolder (path: string): Promise<LockHolder | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>
    if (typeof parsed.pid !== 'number' || typeof parsed.startedAt !== 'string') return null
    return { pid: parsed.pid, startedAt: parsed.startedAt, hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '' }
  } catch {
    return null
  }
}

function describeHolder (holder: LockHolder | null): string {
  if (holder === null) return 'holder unknown'
  const who = holder.pid === process.pid && holder.hostname === hostname() ? `pid ${holder.pid}, this process` : `pid ${holder.pid}`
  const where = holder.hostname !== '' && holder.hostname !== hostname() ? ` on ${holder.hostname}` : ''
  return `${who}${where}, started ${holder.startedAt}`
}
