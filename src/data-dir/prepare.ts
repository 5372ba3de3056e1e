/**
 * Makes sure a data dir can be used before the broker spawns anything for it: every missing
 * directory is created one level at a time, and anything in the way (a regular file, a
 * read-only or virtual file system) is refused with a message that names the path.
 *
 * Runs on the calling thread (the dispatcher's) with async fs calls only, once at start.
 * Not `mkdir({ recursive: true })`: on Linux it never returns for a path under /proc, where
 * mkdir answers ENOENT and Node retries the parent forever.
 */
import { mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { MillraceError } from '../errors.js'

/** Creates `dataDir` (and missing parents) if needed; throws MR_ERR_DATA_DIR_UNUSABLE when it cannot be a data dir. */
export async function prepareDataDir (dataDir: string): Promise<void> {
  const missing: string[] = []
  let path = resolve(dataDir)
  for (;;) {
    const kind = await kindOf(dataDir, path)
    if (kind === 'directory') break
    if (kind === 'other') throw unusable(dataDir, `${path} exists and is not a directory`)
    missing.push(path)
    const parent = dirname(path)
    if (parent === path) throw unusable(dataDir, `the root ${path} does not exist`)
    path = parent
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && await kindOf(dataDir, dir) === 'directory') continue
      throw unusable(dataDir, `cannot create ${dir} (${describeErrno(err)})`, err)
    }
  }
}

async function kindOf (dataDir: string, path: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // ENOTDIR: a parent is a file; the walk up reaches it and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing'
    throw unusable(dataDir, `cannot inspect ${path} (${describeErrno(err)})`, err)
  }
}

export function unusable (dataDir: string, problem: string, cause?: unknown): MillraceError {
  return new MillraceError('MR_ERR_DATA_DIR_UNUSABLE', `data dir ${dataDir} cannot be used: ${problem}`, { cause })
}

/** "EACCES: permission denied" from a Node fs error, without the repeated path. */
export function describeErrno (err: unknown): string {
  const e = err as NodeJS.ErrnoException
  if (typeof e?.code !== 'string') return String((err as Error)?.message ?? err)
  const text = /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1]
  return text === undefined ? e.code : `${e.code}: ${text}`
}
