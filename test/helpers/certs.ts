/**
 * Test certificates made with openssl in a temp dir: a CA, a server certificate for localhost and
 * 127.0.0.1, and a client certificate, all signed by the CA. `renewServer` writes a new server
 * certificate (another organisation in its subject) over the same files, for reload tests.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCerts {
  dir: string
  caFile: string
  certFile: string
  keyFile: string
  clientCertFile: string
  clientKeyFile: string
}

async function openssl (dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir })
}

async function signed (dir: string, name: string, subject: string, ext: string): Promise<void> {
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
  writeFileSync(join(dir, `${name}.ext`), ext)
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`])
}

export async function makeCerts (dir: string): Promise<TestCerts> {
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=millrace-test-ca'])
  await signed(dir, 'server', '/O=Millrace/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  await signed(dir, 'client', '/C=NO/O=Millrace Tests/CN=app', 'extendedKeyUsage=clientAuth\n')
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key')
  }
}

/** A new server certificate and key over the same files, its subject naming `organisation`. */
export async function renewServer (certs: TestCerts, organisation: string): Promise<void> {
  await signed(certs.dir, 'server', `/O=${organisation}/CN=localhost`, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
}
