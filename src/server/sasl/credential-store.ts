/**
 * SCRAM credentials per user and mechanism: salt, iterations, StoredKey and ServerKey, never a
 * password. A data-dir broker keeps them in `scram-credentials.json` in its data dir, replaced
 * atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old file or
 * the new one; an in-memory broker keeps them in memory only.
 *
 * Thread: the dispatcher's (main thread). Lookups are synchronous reads of the map; changes write
 * the file asynchronously (rare, administrative), one at a time, and the map changes only once
 * the file holds the change.
 */
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { MillraceError } from '../../errors.js'
import {
  credentialFromSalted, deriveCredential, isScramMechanism, MAX_ITERATIONS, MIN_ITERATIONS,
  type ScramCredential, type ScramMechanism
} from './scram.js'

export const CREDENTIALS_FILE = 'scram-credentials.json'
const FILE_VERSION = 1

export interface UserCredentialInfo {
  user: string
  /** Each mechanism the user has a credential for, with its iteration count. */
  credentials: Array<{ mechanism: ScramMechanism, iterations: number }>
}

interface StoredCredential { salt: string, iterations: number, storedKey: string, serverKey: string }
interface StoredFile { version: number, users: Record<string, Partial<Record<ScramMechanism, StoredCredential>>> }

type Users = Map<string, Map<ScramMechanism, ScramCredential>>

export function checkIterations (iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new MillraceError('MR_ERR_INVALID_OPTION', `iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}, got ${iterations}`)
  }
}

export function checkUserName (user: unknown): asserts user is string {
  if (typeof user !== 'string' || user.length === 0) throw new MillraceError('MR_ERR_INVALID_OPTION', 'a user name must be a non-empty string')
}

function checkMechanism (mechanism: unknown): asserts mechanism is ScramMechanism {
  if (typeof mechanism !== 'string' || !isScramMechanism(mechanism)) throw new MillraceError('MR_ERR_INVALID_OPTION', `mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got '${String(mechanism)}'`)
}

export class CredentialStore {
  readonly #dataDir: string | null
  #users: Users
  /** Changes go to the file one at a time, in order. */
  #writing: Promise<unknown> = Promise.resolve()

  private constructor (dataDir: string | null, users: Users) {
    this.#dataDir = dataDir
    this.#users = users
  }

  static inMemory (): CredentialStore { return new CredentialStore(null, new Map()) }

  /** Loads the data dir's credentials (none yet is fine); an unreadable file refuses to start. */
  static async open (dataDir: string): Promise<CredentialStore> {
    const path = join(dataDir, CREDENTIALS_FILE)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new CredentialStore(dataDir, new Map())
      throw new MillraceError('MR_ERR_DATA_DIR_UNUSABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
    }
    return new CredentialStore(dataDir, parse(text, path))
  }

  /** The user's credential for `mechanism`, or undefined. */
  get (user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.#users.get(user)?.get(mechanism)
  }

  /** Mechanisms `user` has credentials for (PLAIN checks a password against any of them). */
  mechanismsOf (user: string): ScramMechanism[] {
    return [...(this.#users.get(user)?.keys() ?? [])]
  }

  list (): UserCredentialInfo[] {
    return [...this.#users].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([user, byMechanism]) => ({
      user,
      credentials: [...byMechanism].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations }))
    }))
  }

  /** Creates or replaces `user`'s credential for `mechanism` from a password. */
  async upsert (user: string, mechanism: ScramMechanism, password: string, iterations = MIN_ITERATIONS): Promise<void> {
    checkUserName(user)
    checkMechanism(mechanism)
    checkIterations(iterations)
    if (typeof password !== 'string' || password.length === 0) throw new MillraceError('MR_ERR_INVALID_OPTION', 'a password must be a non-empty string')
    await this.#change(user, mechanism, await deriveCredential(mechanism, password, iterations))
  }

  /** Creates or replaces a credential from a salted password, as AlterUserScramCredentials sends it. */
  async upsertSalted (user: string, mechanism: ScramMechanism, salt: Buffer, saltedPassword: Buffer, iterations: number): Promise<void> {
    checkUserName(user)
    checkMechanism(mechanism)
    checkIterations(iterations)
    await this.#change(user, mechanism, credentialFromSalted(mechanism, salt, iterations, saltedPassword))
  }

  /** Removes `user`'s credential for `mechanism`; false when there was none. */
  async delete (user: string, mechanism: ScramMechanism): Promise<boolean> {
    checkMechanism(mechanism)
    if (this.get(user, mechanism) === undefined) return false
    await this.#change(user, mechanism, null)
    return true
  }

  async #change (user: string, mechanism: ScramMechanism, credential: ScramCredential | null): Promise<void> {
    const run = this.#writing.then(async () => {
      const next: Users = new Map([...this.#users].map(([u, m]) => [u, new Map(m)]))
      const byMechanism = next.get(user) ?? new Map<ScramMechanism, ScramCredential>()
      if (credential === null) byMechanism.delete(mechanism)
      else byMechanism.set(mechanism, credential)
      if (byMechanism.size === 0) next.delete(user)
      else next.set(user, byMechanism)
      if (this.#dataDir !== null) await writeAtomic(this.#dataDir, CREDENTIALS_FILE, serialise(next))
      this.#users = next
    })
    this.#writing = run.catch(() => {})
    await run
  }
}

function serialise (users: Users): string {
  const out: StoredFile = { version: FILE_VERSION, users: {} }
  for (const [user, byMechanism] of users) {
    const entry: Partial<Record<ScramMechanism, StoredCredential>> = {}
    for (const [mechanism, c] of byMechanism) {
      entry[mechanism] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') }
    }
    out.users[user] = entry
  }
  return JSON.stringify(out, null, 2) + '\n'
}

function parse (text: string, path: string): Users {
  const bad = (why: string): MillraceError => new MillraceError('MR_ERR_DATA_DIR_UNUSABLE', `${path} is damaged (${why}); restore it from a backup or remove it and create the users again`)
  let parsed: StoredFile
  try {
    parsed = JSON.parse(text) as StoredFile
  } catch (err) {
    throw bad((err as Error).message)
  }
  if (parsed?.version !== FILE_VERSION || parsed.users === null || typeof parsed.users !== 'object') throw bad(`expected version ${FILE_VERSION} and a users object`)
  const users: Users = new Map()
  for (const [user, entry] of Object.entries(parsed.users)) {
    const byMechanism = new Map<ScramMechanism, ScramCredential>()
    for (const [mechanism, c] of Object.entries(entry ?? {})) {
      if (!isScramMechanism(mechanism) || c === undefined || typeof c.salt !== 'string' || typeof c.storedKey !== 'string' || typeof c.serverKey !== 'string' || !Number.isInteger(c.iterations)) {
        throw bad(`user '${user}' has a malformed ${mechanism} credential`)
      }
      byMechanism.set(mechanism, { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') })
    }
    if (byMechanism.size > 0) users.set(user, byMechanism)
  }
  return users
}

async function writeAtomic (dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`)
  const file = await open(tmp, 'w', 0o600)
  try {
    await file.writeFile(text, 'utf8')
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(tmp, join(dir, name))
  const d = await open(dir, 'r')
  try { await d.sync() } finally { await d.close() }
}
