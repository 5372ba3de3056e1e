/**
 * Security settings of our own Kafka client (`--command-config FILE`, Kafka client properties:
 * security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location), and the
 * client side of a SASL exchange over an open connection (SaslHandshake v1, then framed
 * SaslAuthenticate tokens: PLAIN, or SCRAM with the server signature checked).
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { ApiKey } from '../protocol/api-keys.js'
import type { SaslHandshakeResponse } from '../protocol/apis/sasl-handshake.js'
import type { SaslAuthenticateResponse } from '../protocol/apis/sasl-authenticate.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { isSaslProtocol, isTlsProtocol, SECURITY_PROTOCOLS, type SecurityProtocol } from '../config/listeners.js'
import { isScramMechanism, ScramClient } from '../server/sasl/scram.js'
import { CliError, usageError } from './args.js'

export interface ClientSecurity {
  protocol: SecurityProtocol
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | null
  username: string | null
  password: string | null
  caFile: string | null
}

export const PLAINTEXT_SECURITY: ClientSecurity = { protocol: 'PLAINTEXT', mechanism: null, username: null, password: null, caFile: null }

const KNOWN = new Set(['security.protocol', 'sasl.mechanism', 'sasl.username', 'sasl.password', 'ssl.ca.location', 'bootstrap.servers', 'client.id'])

/** Java-properties lines `key=value` (or `key: value`); `#` and `!` start comments. */
export function parseClientProperties (text: string, path: string, command: string): ClientSecurity {
  const props = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line.length === 0 || line.startsWith('#') || line.startsWith('!')) continue
    const at = line.search(/[=:]/)
    if (at <= 0) throw usageError(`${path}: '${line}' is not KEY=VALUE`, command)
    const key = line.slice(0, at).trim()
    if (!KNOWN.has(key)) throw usageError(`${path}: unknown property ${key} (known: ${[...KNOWN].join(', ')})`, command)
    props.set(key, line.slice(at + 1).trim())
  }
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) throw usageError(`${path}: security.protocol must be one of ${SECURITY_PROTOCOLS.join(', ')}`, command)
  const security: ClientSecurity = { protocol: protocol as SecurityProtocol, mechanism: null, username: props.get('sasl.username') ?? null, password: props.get('sasl.password') ?? null, caFile: props.get('ssl.ca.location') ?? null }
  if (isSaslProtocol(security.protocol)) {
    const mechanism = (props.get('sasl.mechanism') ?? 'PLAIN').toUpperCase()
    if (mechanism !== 'PLAIN' && !isScramMechanism(mechanism)) throw usageError(`${path}: sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`, command)
    security.mechanism = mechanism
    if (security.username === null || security.password === null) throw usageError(`${path}: ${protocol} needs sasl.username and sasl.password`, command)
  }
  return security
}

export function readClientSecurity (path: string | undefined, command: string): ClientSecurity {
  if (path === undefined) return PLAINTEXT_SECURITY
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw usageError(`--command-config ${path}: ${(err as Error).message}`, command)
  }
  return parseClientProperties(text, path, command)
}

/** node:tls options for a TLS protocol, else null. */
export function tlsOptions (security: ClientSecurity, host: string): ConnectionOptions | null {
  if (!isTlsProtocol(security.protocol)) return null
  let ca: Buffer | undefined
  if (security.caFile !== null) {
    try {
      ca = readFileSync(security.caFile)
    } catch (err) {
      throw new CliError(`ssl.ca.location ${security.caFile}: ${(err as Error).message}`)
    }
  }
  return { ca, minVersion: 'TLSv1.2', servername: isIP(host) === 0 ? host : undefined }
}

interface Requester {
  readonly address: string
  request<T> (apiKey: number, body: unknown): Promise<{ response: T }>
}

/** Authenticates an open connection; throws CliError naming the broker's reason. */
export async function authenticate (conn: Requester, security: ClientSecurity): Promise<void> {
  if (!isSaslProtocol(security.protocol)) return
  const mechanism = security.mechanism!
  const { response: hs } = await conn.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, { mechanism })
  if (hs.errorCode !== KafkaCode.NONE) throw new CliError(`the broker at ${conn.address} does not offer SASL ${mechanism} (it offers ${hs.mechanisms.join(', ')})`)
  const step = async (token: Buffer): Promise<Buffer> => {
    const { response } = await conn.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, { authBytes: token })
    if (response.errorCode !== KafkaCode.NONE) throw new CliError(`authentication to ${conn.address} failed: ${response.errorMessage ?? `error ${response.errorCode}`}`)
    return response.authBytes
  }
  if (mechanism === 'PLAIN') {
    await step(Buffer.from(`\0${security.username!}\0${security.password!}`, 'utf8'))
    return
  }
  const scram = new ScramClient(mechanism, security.username!, security.password!)
  const serverFirst = await step(scram.first())
  const serverFinal = await step(await scram.final(serverFirst))
  if (!scram.verify(serverFinal)) throw new CliError(`the broker at ${conn.address} failed to prove it knows the SCRAM credential`)
}
