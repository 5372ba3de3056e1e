/**
 * TLS options of the SSL and SASL_SSL listeners, validated eagerly. The files themselves are read
 * when the listener starts (server/tls-context.ts), and again on reload.
 */
import { invalidOption } from '../errors.js'

/** Kafka's ssl.client.auth. */
export type ClientAuth = 'required' | 'requested' | 'none'

export interface TlsOptions {
  /** PEM certificate chain the broker presents. */
  certFile: string
  /** PEM private key of that certificate. */
  keyFile: string
  /** PEM CA bundle that client certificates must chain to; default: the system's CAs. */
  caFile?: string
  /** Kafka's ssl.client.auth: whether clients must (required) or may (requested) present a certificate. Default none. */
  clientAuth?: ClientAuth
}

export interface TlsConfig {
  readonly certFile: string
  readonly keyFile: string
  readonly caFile: string | null
  readonly clientAuth: ClientAuth
}

const CLIENT_AUTH: readonly ClientAuth[] = ['required', 'requested', 'none']

export function resolveTls (value: unknown, path = 'options.tls'): TlsConfig {
  if (value === null || typeof value !== 'object') throw invalidOption(path, 'must be an object { certFile, keyFile, caFile?, clientAuth? }')
  const t = value as Partial<TlsOptions>
  for (const key of Object.keys(t)) {
    if (!['certFile', 'keyFile', 'caFile', 'clientAuth'].includes(key)) throw invalidOption(`${path}.${key}`, 'is not a known option')
  }
  const file = (key: 'certFile' | 'keyFile' | 'caFile'): string => {
    const v = t[key]
    if (typeof v !== 'string' || v.length === 0) throw invalidOption(`${path}.${key}`, 'must be a path to a PEM file')
    return v
  }
  const clientAuth = t.clientAuth ?? 'none'
  if (!CLIENT_AUTH.includes(clientAuth)) throw invalidOption(`${path}.clientAuth`, `must be one of ${CLIENT_AUTH.join(', ')}`)
  return Object.freeze({ certFile: file('certFile'), keyFile: file('keyFile'), caFile: t.caFile === undefined ? null : file('caFile'), clientAuth })
}
