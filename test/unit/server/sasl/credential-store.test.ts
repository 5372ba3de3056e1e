import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CREDENTIALS_FILE, CredentialStore } from '../../../../src/server/sasl/credential-store.js'
import { passwordMatches } from '../../../../src/server/sasl/scram.js'
import { MillraceError } from '../../../../src/errors.js'
import { removeDir, tmpDir } from '../../../helpers/tmp-dir.js'

const store = suite<{ dir: string }>('SCRAM credential store in a data dir')
store.before.each((ctx) => { ctx.dir = tmpDir('millrace-creds-') })
store.after.each((ctx) => { removeDir(ctx.dir) })

store('credentials survive a reopen, hashed: the file never holds the password', async ({ dir }) => {
  const a = await CredentialStore.open(dir)
  await a.upsert('alice', 'SCRAM-SHA-512', 'correct horse battery', 8192)
  await a.upsert('bob', 'SCRAM-SHA-256', 'hunter2hunter2')
  const text = readFileSync(join(dir, CREDENTIALS_FILE), 'utf8')
  assert.not.ok(text.includes('correct horse'))
  assert.not.ok(text.includes('hunter2'))
  assert.equal(readdirSync(dir).sort(), [CREDENTIALS_FILE])
  const b = await CredentialStore.open(dir)
  assert.equal(b.list(), [
    { user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
    { user: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] }
  ])
  assert.ok(await passwordMatches('SCRAM-SHA-512', b.get('alice', 'SCRAM-SHA-512')!, 'correct horse battery'))
  assert.ok(await b.delete('bob', 'SCRAM-SHA-256'))
  assert.not.ok(await b.delete('bob', 'SCRAM-SHA-256'))
  assert.equal((await CredentialStore.open(dir)).list().map((u) => u.user), ['alice'])
})

store('bad input is refused with its rule; a damaged file refuses to open', async ({ dir }) => {
  const s = await CredentialStore.open(dir)
  const refuses = async (run: () => Promise<unknown>, message: string): Promise<void> => {
    try { await run() } catch (err) {
      assert.ok(err instanceof MillraceError)
      assert.is((err as Error).message, message)
      return
    }
    assert.unreachable(message)
  }
  await refuses(() => s.upsert('', 'SCRAM-SHA-256', 'pw'), 'a user name must be a non-empty string')
  await refuses(() => s.upsert('a', 'SCRAM-SHA-1' as never, 'pw'), "mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got 'SCRAM-SHA-1'")
  await refuses(() => s.upsert('a', 'SCRAM-SHA-256', 'pw', 100), 'iterations must be an integer from 4096 to 16384, got 100')
  await refuses(() => s.upsert('a', 'SCRAM-SHA-256', ''), 'a password must be a non-empty string')
  writeFileSync(join(dir, CREDENTIALS_FILE), '{"version":1,"users":{"a":{"SCRAM-SHA-256":{"salt":1}}}}')
  await refuses(() => CredentialStore.open(dir), `${join(dir, CREDENTIALS_FILE)} is damaged (user 'a' has a malformed SCRAM-SHA-256 credential); restore it from a backup or remove it and create the users again`)
})

store.run()
