/**
 * `millrace users create|list|delete`: SCRAM credentials of the SASL listeners, either written
 * straight into a stopped broker's data dir (`--data DIR`, to bootstrap the first user, as Kafka's
 * `kafka-storage format --add-scram` does; refused while a broker holds the dir) or sent to a
 * running broker (`-b HOST:PORT [--command-config FILE]`) with AlterUserScramCredentials and
 * DescribeUserScramCredentials; the password is salted and hashed here, before it travels.
 * Passwords come from stdin only, never from the command line (where `ps` would show them).
 */
import { DataDirLock } from '../data-dir/lock.js'
import { prepareDataDir } from '../data-dir/prepare.js'
import { CredentialStore } from '../server/sasl/credential-store.js'
import { DEFAULT_ITERATIONS, isScramMechanism, MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISMS, type ScramMechanism } from '../server/sasl/scram.js'
import { MillraceError } from '../errors.js'
import { randomBytes } from 'node:crypto'
import { ApiKey } from '../protocol/api-keys.js'
import type { AlterUserScramCredentialsResponse } from '../protocol/apis/alter-user-scram-credentials.js'
import type { DescribeUserScramCredentialsResponse } from '../protocol/apis/describe-user-scram-credentials.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { saltPassword } from '../server/sasl/scram.js'
import { CliError, COMMON_OPTIONS, intFlag, parseFlags, usageError } from './args.js'
import { describeKafkaError, withClient } from './kafka-client.js'

export const USERS_USAGE = `Usage: millrace users <subcommand> (--data DIR | -b HOST:PORT) [options]

Subcommands:
  create NAME --mechanism M --password-stdin   create NAME's SCRAM credential (or set a new password)
  list                                         print each user and its mechanisms
  delete NAME [--mechanism M]                  remove NAME's credential (every mechanism by default)

Options:
  --data DIR            data directory of a stopped broker (refused while a broker runs on it)
  -b, --bootstrap HOST:PORT   a running broker instead (AlterUserScramCredentials)
  --command-config FILE       Kafka client properties for that connection (TLS, SASL)
  --mechanism M         SCRAM-SHA-256 or SCRAM-SHA-512
  --password-stdin      read the password from the first line of stdin
  --iterations N        PBKDF2 iterations, ${MIN_ITERATIONS} to ${MAX_ITERATIONS} (default ${DEFAULT_ITERATIONS})
  -h, --help            show this help
`

const COMMAND = 'users'

const OPTIONS = {
  ...COMMON_OPTIONS,
  data: { type: 'string' },
  mechanism: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  iterations: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

async function readPassword (stdin: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stdin) text += String(chunk)
  const password = text.split(/\r?\n/)[0] ?? ''
  if (password.length === 0) throw new CliError('no password on stdin (give it as the first line)')
  return password
}

function mechanismFlag (value: string | undefined): ScramMechanism | undefined {
  if (value === undefined) return undefined
  if (!isScramMechanism(value)) throw usageError(`--mechanism must be one of ${SCRAM_MECHANISMS.join(', ')}, got '${value}'`, COMMAND)
  return value
}

export async function runUsers (argv: string[], io: { stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream } = { stdin: process.stdin, stdout: process.stdout }): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) { io.stdout.write(USERS_USAGE); return }
  const [sub, name, ...extra] = positionals
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]!}'`, COMMAND)
  if ((values.data === undefined) === (values.bootstrap === undefined)) throw usageError('give --data DIR (a stopped broker) or -b HOST:PORT (a running one)', COMMAND)
  const mechanism = mechanismFlag(values.mechanism)
  const iterations = intFlag('iterations', values.iterations, DEFAULT_ITERATIONS, MIN_ITERATIONS, MAX_ITERATIONS, COMMAND)
  if (sub !== 'create' && sub !== 'list' && sub !== 'delete') throw usageError(sub === undefined ? 'a subcommand is required: create, list or delete' : `unknown subcommand '${sub}'`, COMMAND)
  if (sub !== 'list' && (name === undefined || name.length === 0)) throw usageError(`${sub} needs a user NAME`, COMMAND)
  if (sub === 'create' && mechanism === undefined) throw usageError('create needs --mechanism SCRAM-SHA-256 or SCRAM-SHA-512', COMMAND)
  if (sub === 'create' && values['password-stdin'] !== true) throw usageError('create needs --password-stdin (a password is never taken from the command line)', COMMAND)
  const password = sub === 'create' ? await readPassword(io.stdin) : ''
  if (values.bootstrap !== undefined) {
    await overTheWire(values, sub, name, mechanism, password, iterations, io.stdout)
    return
  }
  const data = values.data!
  let lock: DataDirLock
  try {
    await prepareDataDir(data)
    lock = await DataDirLock.acquire(data)
  } catch (err) {
    if (err instanceof MillraceError && err.code === 'MR_ERR_DATA_DIR_LOCKED') throw new CliError(`${err.message}; users of a running broker are managed through the broker`)
    throw new CliError((err as Error).message)
  }
  try {
    const store = await CredentialStore.open(data)
    if (sub === 'create') {
      await store.upsert(name!, mechanism!, password, iterations)
      io.stdout.write(`created ${mechanism!} credential of ${name!}\n`)
    } else if (sub === 'delete') {
      const mechanisms = mechanism === undefined ? store.mechanismsOf(name!) : [mechanism]
      let removed = 0
      for (const m of mechanisms) if (await store.delete(name!, m)) removed++
      if (removed === 0) throw new CliError(`user ${name!} has no ${mechanism ?? 'SCRAM'} credential`)
      io.stdout.write(`deleted ${removed} credential${removed === 1 ? '' : 's'} of ${name!}\n`)
    } else {
      for (const u of store.list()) io.stdout.write(`${u.user}\t${u.credentials.map((c) => `${c.mechanism}(iterations=${c.iterations})`).join(',')}\n`)
    }
  } catch (err) {
    if (err instanceof MillraceError) throw new CliError(err.message)
    throw err
  } finally {
    await lock.release()
  }
}

const MECHANISM_IDS: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 }

async function overTheWire (flags: { bootstrap?: string, 'request-timeout-ms'?: string, 'command-config'?: string }, sub: 'create' | 'list' | 'delete', name: string | undefined, mechanism: ScramMechanism | undefined, password: string, iterations: number, stdout: NodeJS.WritableStream): Promise<void> {
  await withClient(flags, COMMAND, async (client) => {
    const conn = client.bootstrap
    if (sub === 'list' || (sub === 'delete' && mechanism === undefined)) {
      const { response } = await conn.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, { users: sub === 'list' ? null : [{ name }] })
      if (response.errorCode !== KafkaCode.NONE) throw new CliError(`cannot list users: ${describeKafkaError(response.errorCode, response.errorMessage)}`)
      if (sub === 'list') {
        for (const r of response.results) stdout.write(`${r.user}\t${r.credentialInfos.map((c) => `${c.mechanism === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512'}(iterations=${c.iterations})`).join(',')}\n`)
        return
      }
      const found = response.results[0]
      if (found === undefined || found.errorCode !== KafkaCode.NONE || found.credentialInfos.length === 0) throw new CliError(`user ${name!} has no SCRAM credential`)
      await alter(conn, found.credentialInfos.map((c) => ({ name: name!, mechanism: c.mechanism })), [])
      stdout.write(`deleted ${found.credentialInfos.length} credential${found.credentialInfos.length === 1 ? '' : 's'} of ${name!}\n`)
      return
    }
    if (sub === 'delete') {
      await alter(conn, [{ name: name!, mechanism: MECHANISM_IDS[mechanism!] }], [])
      stdout.write(`deleted 1 credential of ${name!}\n`)
      return
    }
    const salt = randomBytes(32)
    const saltedPassword = await saltPassword(mechanism!, password, salt, iterations)
    await alter(conn, [], [{ name: name!, mechanism: MECHANISM_IDS[mechanism!], iterations, salt, saltedPassword }])
    stdout.write(`created ${mechanism!} credential of ${name!}\n`)
  })
}

async function alter (conn: { request: <T>(apiKey: number, body: unknown) => Promise<{ response: T }> }, deletions: unknown[], upsertions: unknown[]): Promise<void> {
  const { response } = await conn.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, { deletions, upsertions })
  const failed = response.results.find((r) => r.errorCode !== KafkaCode.NONE)
  if (failed !== undefined) throw new CliError(`user ${failed.user}: ${describeKafkaError(failed.errorCode, failed.errorMessage)}`)
}
