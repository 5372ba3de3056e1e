/**
 * Where ACL bindings live: `acls.json` in the data dir, or memory only for an in-memory broker.
 *
 * A change is durable before it is visible: the whole new set is written to a temporary file,
 * fsynced, renamed over the old one and the directory fsynced; only then does `update` resolve
 * and the caller swap its index. Changes run one at a time, so two CreateAcls never lose each
 * other's bindings. A file that does not parse or holds an invalid binding stops the start with
 * MR_ERR_STORAGE naming the file: starting with fewer ACLs than the operator wrote could grant
 * what a Deny was meant to refuse.
 *
 * Thread: the dispatcher's; async fs calls only, and only when ACLs change or at start.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { MillraceError } from '../errors.js'
import { describeErrno } from '../data-dir/prepare.js'
import { bindingProblem, type AclBinding } from './acl.js'

export const ACL_FILE = 'acls.json'
const FORMAT_VERSION = 1

interface AclFile {
  version: number
  acls: readonly AclBinding[]
}

export class AclStore {
  readonly #path: string | null
  #bindings: readonly AclBinding[]
  #queue: Promise<unknown> = Promise.resolve()

  private constructor (path: string | null, bindings: readonly AclBinding[]) {
    this.#path = path
    this.#bindings = bindings
  }

  /** Loads the data dir's ACLs (none when the file does not exist yet); `null` keeps them in memory. */
  static async open (dataDir: string | null): Promise<AclStore> {
    if (dataDir === null) return new AclStore(null, [])
    const path = join(dataDir, ACL_FILE)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new AclStore(path, [])
      throw new MillraceError('MR_ERR_STORAGE', `cannot read the ACL file ${path} (${describeErrno(err)})`, { cause: err })
    }
    return new AclStore(path, parseAclFile(path, text))
  }

  /** Where the bindings are kept; null in memory. */
  get path (): string | null { return this.#path }

  get bindings (): readonly AclBinding[] { return this.#bindings }

  /**
   * Replaces the bindings with `change(current)` once earlier updates are done, durably when
   * the store has a file; resolves with the new set. A failed write leaves the old set.
   */
  update (change: (current: readonly AclBinding[]) => readonly AclBinding[]): Promise<readonly AclBinding[]> {
    const run = this.#queue.then(async () => {
      const next = Object.freeze(change(this.#bindings).map((b) => Object.freeze({ ...b })))
      if (this.#path !== null) await writeAtomically(this.#path, JSON.stringify({ version: FORMAT_VERSION, acls: next } satisfies AclFile, null, 1) + '\n')
      this.#bindings = next
      return next
    })
    this.#queue = run.catch(() => {})
    return run
  }
}

function parseAclFile (path: string, text: string): AclBinding[] {
  const corrupt = (problem: string): MillraceError =>
    new MillraceError('MR_ERR_STORAGE', `the ACL file ${path} is damaged (${problem}); restore it from a backup or remove it to start with no ACLs`)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw corrupt((err as Error).message)
  }
  const file = parsed as Partial<AclFile> | null
  if (file === null || typeof file !== 'object' || file.version !== FORMAT_VERSION || !Array.isArray(file.acls)) {
    throw corrupt(`expected {"version": ${FORMAT_VERSION}, "acls": [...]}`)
  }
  return file.acls.map((a, i) => {
    const b = a as AclBinding
    const binding: AclBinding = {
      resourceType: b?.resourceType,
      resourceName: b?.resourceName,
      patternType: b?.patternType,
      principal: b?.principal,
      host: b?.host,
      operation: b?.operation,
      permission: b?.permission
    }
    const problem = bindingProblem(binding)
    if (problem !== null) throw corrupt(`binding ${i}: ${problem}`)
    return binding
  })
}

/** tmp + fsync + rename + directory fsync: after a crash the file is the old set or the new one, whole. */
async function writeAtomically (path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`
  try {
    const file = await open(tmp, 'w')
    try {
      await file.writeFile(text, 'utf8')
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, path)
    const dir = await open(join(path, '..'), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw new MillraceError('MR_ERR_STORAGE', `cannot write the ACL file ${path} (${describeErrno(err)})`, { cause: err })
  }
}
