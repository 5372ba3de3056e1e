/**
 * TLS for the SSL and SASL_SSL listeners: reads the certificate, key and CA files into a secure
 * context (TLS 1.2 at least), checked before any listener opens so a bad file fails start with a
 * message naming it, and again on reload. Also names the principal of a client certificate the
 * way Kafka does: `User:` and the subject in RFC 2253 form (`CN=app,O=Org,C=US`).
 *
 * Thread: the dispatcher's; the files are read with async I/O (start and reload only).
 */
import { readFile } from 'node:fs/promises'
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { MillraceError } from '../errors.js'
import type { TlsConfig } from '../config/tls-options.js'
import { ANONYMOUS_PRINCIPAL } from './context.js'

export interface LoadedTls {
  readonly context: SecureContextOptions
  /** Subject of the broker's certificate, for the log. */
  readonly subject: string
  readonly validTo: string
}

async function readPem (path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new MillraceError('MR_ERR_INVALID_OPTION', `tls: cannot read the ${what} file ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** Reads and checks the files; throws MR_ERR_INVALID_OPTION naming the file that is wrong. */
export async function loadTls (config: TlsConfig): Promise<LoadedTls> {
  const cert = await readPem(config.certFile, 'certificate')
  const key = await readPem(config.keyFile, 'key')
  const ca = config.caFile === null ? undefined : await readPem(config.caFile, 'CA')
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch (err) {
    throw new MillraceError('MR_ERR_INVALID_OPTION', `tls: ${config.certFile} holds no PEM certificate: ${(err as Error).message}`, { cause: err })
  }
  const context: SecureContextOptions = { cert, key, ca, minVersion: 'TLSv1.2' }
  try {
    // Throws when the key does not parse or does not belong to the certificate.
    createSecureContext(context)
  } catch (err) {
    throw new MillraceError('MR_ERR_INVALID_OPTION', `tls: the key ${config.keyFile} does not fit the certificate ${config.certFile} (or a file is not PEM): ${(err as Error).message}`, { cause: err })
  }
  return { context, subject: certificate.subject.replace(/\n/g, ', '), validTo: certificate.validTo }
}

/** `tls.createServer` options for a listener: the context plus Kafka's ssl.client.auth. */
export function serverOptions (config: TlsConfig, loaded: LoadedTls): SecureContextOptions & { requestCert: boolean, rejectUnauthorized: boolean } {
  return {
    ...loaded.context,
    requestCert: config.clientAuth !== 'none',
    // 'requested': a client without a certificate is let in (anonymous); one with a bad certificate is not.
    rejectUnauthorized: config.clientAuth === 'required'
  }
}

/**
 * The principal of a TLS connection: its verified client certificate's subject, or anonymous.
 * With `requested`, an unverified certificate is refused (Kafka rejects a certificate it cannot trust).
 */
export function tlsPrincipal (socket: TLSSocket): string | null {
  const peer = socket.getPeerX509Certificate()
  if (peer === undefined) return ANONYMOUS_PRINCIPAL
  if (!socket.authorized) return null
  return `User:${rfc2253(peer.subject)}`
}

/**
 * Node lists the subject's attributes one a line in certificate order; RFC 2253 (Java's
 * X500Principal.getName, which Kafka uses) writes them last first, comma-separated, escaping
 * `,+"\<>;` and a leading `#` or space.
 */
export function rfc2253 (subject: string): string {
  return subject.split('\n').filter((l) => l.length > 0).reverse().map((line) => {
    const eq = line.indexOf('=')
    const value = line.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1').replace(/^([#\s])/, '\\$1').replace(/(\s)$/, '\\$1')
    return `${line.slice(0, eq)}=${value}`
  }).join(',')
}
