/**
 * SCRAM (RFC 5802, with SHA-256/SHA-512 as RFC 7677 and Kafka use them): the credential a
 * password becomes, and the server side of one exchange. Pure apart from the random nonce.
 *
 *   client-first  n,[a=authzid],n=user,r=cnonce          (gs2 flag 'n': no channel binding)
 *   server-first  r=cnonce+snonce,s=salt,i=iterations
 *   client-final  c=base64(gs2 header),r=cnonce+snonce,p=proof
 *   server-final  v=server signature
 *
 * The proof is checked as RFC 5802 says: ClientKey = proof XOR HMAC(StoredKey, AuthMessage) and
 * H(ClientKey) must equal StoredKey, compared in constant time. Every failure is returned, never
 * thrown, and names no secret.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']

/** Kafka's bounds: RFC 7677 asks for at least 4096 iterations; Kafka refuses more than 16384. */
export const MIN_ITERATIONS = 4096
export const MAX_ITERATIONS = 16384
export const DEFAULT_ITERATIONS = 4096

const pbkdf2Async = promisify(pbkdf2)

export interface ScramCredential {
  readonly salt: Buffer
  readonly iterations: number
  readonly storedKey: Buffer
  readonly serverKey: Buffer
}

export function isScramMechanism (name: string): name is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(name)
}

function digest (mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512'
}

function hmac (mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(digest(mechanism), key).update(text).digest()
}

function hash (mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(digest(mechanism)).update(data).digest()
}

/** SaltedPassword = PBKDF2(password, salt, iterations): async, so a login never blocks the dispatcher's thread. */
export async function saltPassword (mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const d = digest(mechanism)
  return await pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, d === 'sha256' ? 32 : 64, d)
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSalted (mechanism: ScramMechanism, salt: Buffer, iterations: number, saltedPassword: Buffer): ScramCredential {
  const clientKey = hmac(mechanism, saltedPassword, 'Client Key')
  return {
    salt,
    iterations,
    storedKey: hash(mechanism, clientKey),
    serverKey: hmac(mechanism, saltedPassword, 'Server Key')
  }
}

export async function deriveCredential (mechanism: ScramMechanism, password: string, iterations = DEFAULT_ITERATIONS, salt = randomBytes(32)): Promise<ScramCredential> {
  return credentialFromSalted(mechanism, salt, iterations, await saltPassword(mechanism, password, salt, iterations))
}

/** Whether `password` is the one `credential` was derived from (PLAIN checks passwords this way). */
export async function passwordMatches (mechanism: ScramMechanism, credential: ScramCredential, password: string): Promise<boolean> {
  const salted = await saltPassword(mechanism, password, credential.salt, credential.iterations)
  return timingSafeEqual(credentialFromSalted(mechanism, credential.salt, credential.iterations, salted).storedKey, credential.storedKey)
}

export type ScramStep =
  | { readonly kind: 'challenge', readonly response: Buffer }
  | { readonly kind: 'success', readonly response: Buffer, readonly user: string }
  | { readonly kind: 'failure', readonly reason: string, readonly user: string | null }

/** `=2C` → `,` and `=3D` → `=`; null when another `=` escape appears (RFC 5802 saslname). */
function decodeSaslName (text: string): string | null {
  if (/=(?!2C|3D)/.test(text)) return null
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

/** Printable ASCII but ',' (RFC 5802 `printable`). */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function attributes (text: string): Map<string, string> | null {
  const out = new Map<string, string>()
  for (const part of text.split(',')) {
    if (part.length < 2 || part[1] !== '=' || !/[a-zA-Z]/.test(part[0]!) || out.has(part[0]!)) return null
    out.set(part[0]!, part.slice(2))
  }
  return out
}

/**
 * The server side of one SCRAM exchange: `step` takes the client-first message, then the
 * client-final one. `lookup` finds a user's credential (undefined for an unknown user).
 */
export class ScramServer {
  readonly #mechanism: ScramMechanism
  readonly #lookup: (user: string) => ScramCredential | undefined
  readonly #serverNonce: string
  #state: 'first' | 'final' | 'done' = 'first'
  #user: string | null = null
  #credential: ScramCredential | null = null
  #gs2Header = ''
  #clientFirstBare = ''
  #serverFirst = ''
  #nonce = ''

  constructor (mechanism: ScramMechanism, lookup: (user: string) => ScramCredential | undefined, serverNonce = randomBytes(24).toString('base64')) {
    this.#mechanism = mechanism
    this.#lookup = lookup
    this.#serverNonce = serverNonce
  }

  step (token: Buffer): ScramStep {
    const state = this.#state
    this.#state = 'done'
    // Tokens are UTF-8 text; anything else is no SCRAM message.
    const text = token.toString('utf8')
    if (!Buffer.from(text, 'utf8').equals(token)) return this.#fail('the message is not UTF-8')
    if (state === 'first') return this.#clientFirst(text)
    if (state === 'final') return this.#clientFinal(text)
    return this.#fail('the exchange is already over')
  }

  #fail (reason: string): ScramStep {
    this.#state = 'done'
    return { kind: 'failure', reason, user: this.#user }
  }

  #clientFirst (text: string): ScramStep {
    // gs2-header: flag, optional authzid, then the bare message.
    const match = /^([npy])(?:=[^,]*)?,(a=[^,]*)?,(.*)$/s.exec(text)
    if (match === null) return this.#fail('malformed client-first message')
    if (match[1] !== 'n') return this.#fail('channel binding is not supported (the gs2 flag must be n)')
    const bare = match[3]!
    const attrs = attributes(bare)
    const name = attrs?.get('n')
    const clientNonce = attrs?.get('r')
    if (attrs === null || name === undefined || clientNonce === undefined || bare.startsWith('m=')) return this.#fail('malformed client-first message')
    const user = decodeSaslName(name)
    if (user === null || user.length === 0) return this.#fail('malformed user name')
    this.#user = user
    if (match[2] !== undefined && decodeSaslName(match[2].slice(2)) !== user) return this.#fail('the authorization id differs from the user name')
    if (!NONCE.test(clientNonce)) return this.#fail('malformed client nonce')
    const credential = this.#lookup(user)
    if (credential === undefined) return this.#fail('unknown user or no credential for this mechanism')
    this.#credential = credential
    this.#gs2Header = text.slice(0, text.length - bare.length)
    this.#clientFirstBare = bare
    this.#nonce = clientNonce + this.#serverNonce
    this.#serverFirst = `r=${this.#nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`
    this.#state = 'final'
    return { kind: 'challenge', response: Buffer.from(this.#serverFirst, 'utf8') }
  }

  #clientFinal (text: string): ScramStep {
    const proofAt = text.lastIndexOf(',p=')
    if (proofAt < 0) return this.#fail('malformed client-final message')
    const withoutProof = text.slice(0, proofAt)
    const attrs = attributes(withoutProof)
    const proofText = text.slice(proofAt + 3)
    if (attrs === null || !withoutProof.startsWith('c=') || !BASE64.test(proofText)) return this.#fail('malformed client-final message')
    if (attrs.get('c') !== Buffer.from(this.#gs2Header, 'utf8').toString('base64')) return this.#fail('the channel binding differs from the client-first message')
    // The nonce must end with the one the server sent (the client's own, then the server's). Kafka
    // checks endsWith, not equality: librdkafka sends its nonce again in front of the server's.
    const nonce = attrs.get('r')
    if (nonce === undefined || !nonce.endsWith(this.#nonce)) return this.#fail('the nonce differs from the one the server sent')
    const credential = this.#credential!
    const proof = Buffer.from(proofText, 'base64')
    // Only the canonical spelling: base64 has spare bits that would let two texts carry one proof.
    if (proof.toString('base64') !== proofText) return this.#fail('malformed client-final message')
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`
    const clientSignature = hmac(this.#mechanism, credential.storedKey, authMessage)
    if (proof.length !== clientSignature.length) return this.#fail('invalid credentials')
    for (let i = 0; i < proof.length; i++) proof[i]! ^= clientSignature[i]!
    if (!timingSafeEqual(hash(this.#mechanism, proof), credential.storedKey)) return this.#fail('invalid credentials')
    const serverSignature = hmac(this.#mechanism, credential.serverKey, authMessage)
    return { kind: 'success', response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: this.#user! }
  }
}

/** The client side, for our own CLI client and for tests: client-first, then the final message from server-first. */
export class ScramClient {
  readonly #mechanism: ScramMechanism
  readonly #user: string
  readonly #password: string
  readonly #clientNonce: string
  #clientFirstBare = ''
  #serverSignature: Buffer | null = null

  constructor (mechanism: ScramMechanism, user: string, password: string, clientNonce = randomBytes(24).toString('base64')) {
    this.#mechanism = mechanism
    this.#user = user
    this.#password = password
    this.#clientNonce = clientNonce
  }

  first (): Buffer {
    this.#clientFirstBare = `n=${this.#user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.#clientNonce}`
    return Buffer.from(`n,,${this.#clientFirstBare}`, 'utf8')
  }

  async final (serverFirst: Buffer): Promise<Buffer> {
    const text = serverFirst.toString('utf8')
    const attrs = attributes(text)
    const nonce = attrs?.get('r')
    const salt = attrs?.get('s')
    const iterations = Number(attrs?.get('i'))
    if (nonce === undefined || salt === undefined || !nonce.startsWith(this.#clientNonce) || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new Error('the server sent a malformed SCRAM challenge')
    }
    const salted = await saltPassword(this.#mechanism, this.#password, Buffer.from(salt, 'base64'), iterations)
    const clientKey = hmac(this.#mechanism, salted, 'Client Key')
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`
    const authMessage = `${this.#clientFirstBare},${text},${withoutProof}`
    const signature = hmac(this.#mechanism, hash(this.#mechanism, clientKey), authMessage)
    for (let i = 0; i < clientKey.length; i++) clientKey[i]! ^= signature[i]!
    this.#serverSignature = hmac(this.#mechanism, hmac(this.#mechanism, salted, 'Server Key'), authMessage)
    return Buffer.from(`${withoutProof},p=${clientKey.toString('base64')}`, 'utf8')
  }

  /** Whether the server-final message proves the server knows the credential. */
  verify (serverFinal: Buffer): boolean {
    const text = serverFinal.toString('utf8')
    if (!text.startsWith('v=') || this.#serverSignature === null) return false
    const got = Buffer.from(text.slice(2), 'base64')
    return got.length === this.#serverSignature.length && timingSafeEqual(got, this.#serverSignature)
  }
}
