/**
 * SASL PLAIN (RFC 4616): one message `authzid NUL authcid NUL password`. The password is checked
 * against the user's SCRAM credential by deriving it again with the stored salt and iterations,
 * so no password is ever stored. An unknown user costs the same derivation as a known one.
 */
import { randomBytes } from 'node:crypto'
import type { CredentialStore } from './credential-store.js'
import { DEFAULT_ITERATIONS, deriveCredential, passwordMatches } from './scram.js'

export type PlainResult =
  | { readonly kind: 'success', readonly response: Buffer, readonly user: string }
  | { readonly kind: 'failure', readonly reason: string, readonly user: string | null }

export async function checkPlain (store: CredentialStore, token: Buffer): Promise<PlainResult> {
  const parts = token.toString('utf8').split('\0')
  if (parts.length !== 3 || !Buffer.from(parts.join('\0'), 'utf8').equals(token)) return { kind: 'failure', reason: 'malformed PLAIN message', user: null }
  const [authzid, user, password] = parts as [string, string, string]
  if (user.length === 0 || password.length === 0) return { kind: 'failure', reason: 'empty user name or password', user: null }
  if (authzid.length > 0 && authzid !== user) return { kind: 'failure', reason: 'the authorization id differs from the user name', user }
  const mechanism = store.mechanismsOf(user).sort().pop()
  if (mechanism === undefined) {
    await deriveCredential('SCRAM-SHA-512', password, DEFAULT_ITERATIONS, randomBytes(32))
    return { kind: 'failure', reason: 'unknown user', user }
  }
  if (!await passwordMatches(mechanism, store.get(user, mechanism)!, password)) return { kind: 'failure', reason: 'invalid credentials', user }
  return { kind: 'success', response: Buffer.alloc(0), user }
}
