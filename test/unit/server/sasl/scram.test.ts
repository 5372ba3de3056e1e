import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { credentialFromSalted, deriveCredential, passwordMatches, saltPassword, ScramClient, ScramServer } from '../../../../src/server/sasl/scram.js'

const rfc = suite('SCRAM-SHA-256: the RFC 7677 example exchange')

// RFC 7677 section 3: user "user", password "pencil".
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO'
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

async function rfcServer (serverNonce = SERVER_NONCE): Promise<ScramServer> {
  const credential = await deriveCredential('SCRAM-SHA-256', 'pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'))
  return new ScramServer('SCRAM-SHA-256', (user) => user === 'user' ? credential : undefined, serverNonce)
}

rfc('the server answers the RFC messages byte for byte and proves itself', async () => {
  const server = await rfcServer()
  const first = server.step(Buffer.from(CLIENT_FIRST))
  assert.is(first.kind, 'challenge')
  assert.is((first as { response: Buffer }).response.toString(), SERVER_FIRST)
  const final = server.step(Buffer.from(CLIENT_FINAL))
  assert.equal(final.kind, 'success')
  assert.is((final as { response: Buffer }).response.toString(), SERVER_FINAL)
  assert.is((final as { user: string }).user, 'user')
})

rfc('a wrong proof, a foreign nonce, channel binding or a replayed final message fail', async () => {
  const proofByte = CLIENT_FINAL.replace('p=dHzb', 'p=dHzc')
  const cases: Array<[string, string, string]> = [
    [CLIENT_FIRST, proofByte, 'invalid credentials'],
    [CLIENT_FIRST, CLIENT_FINAL.replace('r=rOpr', 'r=XOpr').replace(SERVER_NONCE, 'other'), 'the nonce differs from the one the server sent'],
    [CLIENT_FIRST, CLIENT_FINAL.replace('c=biws', 'c=eSws'), 'the channel binding differs from the client-first message'],
    ['y,,n=user,r=rOprNGfwEbeRWgbNEkqO', CLIENT_FINAL, 'channel binding is not supported (the gs2 flag must be n)'],
    ['n,,n=nobody,r=abc', CLIENT_FINAL, 'unknown user or no credential for this mechanism']
  ]
  for (const [first, final, reason] of cases) {
    const server = await rfcServer()
    const a = server.step(Buffer.from(first))
    const b = a.kind === 'failure' ? a : server.step(Buffer.from(final))
    assert.is(b.kind, 'failure', `${first} / ${final}`)
    assert.is((b as { reason: string }).reason, reason)
  }
  // Replaying the good final message on a new exchange fails: the server nonce differs.
  const fresh = await rfcServer('another-nonce')
  assert.is(fresh.step(Buffer.from(CLIENT_FIRST)).kind, 'challenge')
  assert.is(fresh.step(Buffer.from(CLIENT_FINAL)).kind, 'failure')
  // A finished exchange takes no further message.
  const done = await rfcServer()
  done.step(Buffer.from(CLIENT_FIRST))
  assert.is(done.step(Buffer.from(CLIENT_FINAL)).kind, 'success')
  assert.equal(done.step(Buffer.from(CLIENT_FINAL)), { kind: 'failure', reason: 'the exchange is already over', user: 'user' })
})

rfc.run()

// ---

const roundTrip = suite('SCRAM client and server, both mechanisms')

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  roundTrip(`${mechanism}: the client authenticates and verifies the server signature`, async () => {
    const credential = await deriveCredential(mechanism, 'sécret')
    const server = new ScramServer(mechanism, () => credential)
    const client = new ScramClient(mechanism, 'a,b=c', 'sécret')
    const first = server.step(client.first())
    assert.is(first.kind, 'challenge')
    const final = server.step(await client.final((first as { response: Buffer }).response))
    assert.is(final.kind, 'success')
    assert.is((final as { user: string }).user, 'a,b=c')
    assert.ok(client.verify((final as { response: Buffer }).response))
    assert.not.ok(client.verify(Buffer.from('v=AAAA')))
  })
}

roundTrip('PLAIN-style checks derive the credential again from the stored salt', async () => {
  const credential = await deriveCredential('SCRAM-SHA-512', 'right', 4096)
  assert.ok(await passwordMatches('SCRAM-SHA-512', credential, 'right'))
  assert.not.ok(await passwordMatches('SCRAM-SHA-512', credential, 'wrong'))
  const salted = await saltPassword('SCRAM-SHA-512', 'right', credential.salt, 4096)
  assert.equal(credentialFromSalted('SCRAM-SHA-512', credential.salt, 4096, salted), credential)
})

roundTrip.run()
