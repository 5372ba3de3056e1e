import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SaslExchange, type SaslFailure } from '../../../../src/server/sasl/sasl-exchange.js'
import { CredentialStore } from '../../../../src/server/sasl/credential-store.js'
import { ScramClient } from '../../../../src/server/sasl/scram.js'
import { ApiKey } from '../../../../src/protocol/api-keys.js'
import { KafkaCode } from '../../../../src/protocol/error-codes.js'
import { xorshift } from '../../../helpers/seeded-random.js'

interface Ctx { store: CredentialStore }

async function aliceStore (): Promise<CredentialStore> {
  const store = CredentialStore.inMemory()
  await store.upsert('alice', 'SCRAM-SHA-256', 'alice-secret')
  await store.upsert('alice', 'SCRAM-SHA-512', 'alice-secret')
  return store
}

const flow = suite<Ctx>('SASL exchange of one connection')
flow.before(async (ctx) => { ctx.store = await aliceStore() })

flow('before the handshake only ApiVersions and SaslHandshake are admitted; then only SaslAuthenticate', ({ store }) => {
  const x = new SaslExchange(store, () => {})
  assert.ok(x.admits(ApiKey.ApiVersions))
  assert.ok(x.admits(ApiKey.SaslHandshake))
  assert.not.ok(x.admits(ApiKey.Metadata))
  assert.not.ok(x.admits(ApiKey.SaslAuthenticate))
  assert.is(x.handshake({ mechanism: 'PLAIN' }, 1).errorCode, KafkaCode.NONE)
  assert.ok(x.admits(ApiKey.SaslAuthenticate))
  assert.not.ok(x.admits(ApiKey.ApiVersions))
  assert.not.ok(x.admits(ApiKey.Produce))
})

flow('PLAIN with the right password authenticates as User:alice; a second handshake is ILLEGAL_SASL_STATE', async ({ store }) => {
  const x = new SaslExchange(store, () => {})
  x.handshake({ mechanism: 'PLAIN' }, 1)
  const res = await x.authenticate(Buffer.from('\0alice\0alice-secret'))
  assert.is(res.errorCode, KafkaCode.NONE)
  assert.ok(x.authenticated)
  assert.is(x.principal, 'User:alice')
  assert.ok(x.admits(ApiKey.Metadata))
  assert.is(x.handshake({ mechanism: 'PLAIN' }, 1).errorCode, KafkaCode.ILLEGAL_SASL_STATE)
})

flow('a wrong password answers SASL_AUTHENTICATION_FAILED and reports the failure', async ({ store }) => {
  const failures: SaslFailure[] = []
  const x = new SaslExchange(store, (f) => failures.push(f))
  x.handshake({ mechanism: 'PLAIN' }, 1)
  const res = await x.authenticate(Buffer.from('\0alice\0nope'))
  assert.is(res.errorCode, KafkaCode.SASL_AUTHENTICATION_FAILED)
  assert.ok(x.failed)
  assert.is(x.principal, null)
  assert.equal(failures, [{ mechanism: 'PLAIN', user: 'alice', reason: 'invalid credentials' }])
})

flow('an unknown mechanism answers UNSUPPORTED_SASL_MECHANISM with the list, and fails the exchange', ({ store }) => {
  const failures: SaslFailure[] = []
  const x = new SaslExchange(store, (f) => failures.push(f))
  assert.equal(x.handshake({ mechanism: 'GSSAPI' }, 1), { errorCode: KafkaCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] })
  assert.ok(x.failed)
  assert.is(failures.length, 1)
})

flow('a v0 handshake switches to bare tokens (the legacy flow)', async ({ store }) => {
  const x = new SaslExchange(store, () => {})
  x.handshake({ mechanism: 'SCRAM-SHA-512' }, 0)
  assert.ok(x.expectsRawToken)
  const client = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-secret')
  const first = await x.rawToken(client.first())
  const final = await x.rawToken(await client.final(first!))
  assert.ok(client.verify(final!))
  assert.ok(x.authenticated)
  assert.not.ok(x.expectsRawToken)
})

flow.run()

// ---

const fuzz = suite<Ctx>('seeded fuzz of the SASL exchange: never authenticates, never throws')
fuzz.before(async (ctx) => { ctx.store = await aliceStore() })

type Mutation = (token: Buffer, next: () => number) => Buffer

/** Each of these always yields a token that must not authenticate. */
const MUTATIONS: Array<[string, Mutation]> = [
  ['truncated', (t, n) => t.subarray(0, n() % Math.max(1, t.length))],
  ['oversized', (t) => Buffer.concat([t, Buffer.alloc(9000, 0x41)])],
  ['one byte flipped', (t, n) => { const c = Buffer.from(t); const i = n() % c.length; c[i] = c[i]! ^ (1 + (n() % 255)); return c }],
  ['random bytes', (t, n) => Buffer.from(Array.from({ length: n() % 300 }, () => n() & 0xff))],
  ['bad base64 in the proof', (t) => Buffer.from(t.toString('latin1').replace(/p=.*/, 'p=!!not*base64!!'), 'latin1')],
  ['empty', () => Buffer.alloc(0)],
  ['wrong nonce', (t) => Buffer.from(t.toString('latin1').replace(/r=([^,]*)/, (_m, r: string) => `r=${r.slice(0, -2)}xx`), 'latin1')]
]

fuzz('2000 exchanges with one mutated message each (seed 14)', async ({ store }) => {
  const next = xorshift(14)
  let authenticated = 0
  for (let i = 0; i < 2000; i++) {
    const mechanism = (['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)[next() % 3]!
    const [name, mutate] = MUTATIONS[next() % MUTATIONS.length]!
    const framed = next() % 2 === 0
    const x = new SaslExchange(store, () => {})
    x.handshake({ mechanism }, framed ? 1 : 0)
    const send = async (token: Buffer): Promise<Buffer | null> => {
      if (!framed) return await x.rawToken(token)
      const res = await x.authenticate(token)
      return res.errorCode === KafkaCode.NONE ? res.authBytes : null
    }
    if (mechanism === 'PLAIN') {
      // Each mutation of the one PLAIN message: wrong password (flipped, truncated) or malformed.
      const good = Buffer.from('\0alice\0alice-secret')
      let bad = mutate(good, next)
      if (bad.equals(good)) bad = Buffer.from('\0alice\0')
      await send(bad)
    } else {
      const client = new ScramClient(mechanism, 'alice', 'alice-secret')
      const mutateFirst = next() % 2 === 0 && name !== 'wrong nonce' && name !== 'bad base64 in the proof'
      if (mutateFirst) {
        const first = client.first()
        const bad = mutate(first, next)
        const challenge = await send(bad.equals(first) ? Buffer.alloc(0) : bad)
        // A mutated first message may still name alice and be well-formed (a changed nonce):
        // then the genuine final message must not match the exchange it started.
        if (challenge !== null) await send(await client.final(challenge).catch(() => Buffer.from('c=biws,r=x,p=AAAA')))
      } else {
        const challenge = await send(client.first())
        assert.ok(challenge !== null, 'the genuine first message gets a challenge')
        const final = await client.final(challenge!)
        const bad = mutate(final, next)
        await send(bad.equals(final) ? Buffer.alloc(0) : bad)
      }
    }
    if (x.authenticated) {
      authenticated++
      assert.unreachable(`exchange ${i} (${mechanism}, ${name}, ${framed ? 'framed' : 'raw'}) authenticated`)
    }
  }
  assert.is(authenticated, 0)
})

fuzz('a final message replayed into another exchange fails', async ({ store }) => {
  const a = new SaslExchange(store, () => {})
  a.handshake({ mechanism: 'SCRAM-SHA-256' }, 1)
  const client = new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret', 'fixed-client-nonce')
  const final = await client.final((await a.authenticate(client.first())).authBytes)
  assert.is((await a.authenticate(final)).errorCode, KafkaCode.NONE)
  const b = new SaslExchange(store, () => {})
  b.handshake({ mechanism: 'SCRAM-SHA-256' }, 1)
  assert.is((await b.authenticate(client.first())).errorCode, KafkaCode.NONE)
  assert.is((await b.authenticate(final)).errorCode, KafkaCode.SASL_AUTHENTICATION_FAILED)
  assert.not.ok(b.authenticated)
})

fuzz.run()
