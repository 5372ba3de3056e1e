/**
 * Listeners, TLS and SASL against real clients: kcat (librdkafka) with SASL_SSL + SCRAM-SHA-512
 * and SASL_PLAINTEXT + PLAIN, kafkajs with SCRAM over TLS, kafka-python's legacy unframed flow
 * (SaslHandshake v0, bare tokens), wrong passwords, requests before authentication, client
 * certificates, and a certificate reload that leaves open connections alone. Certificates are
 * made with openssl in a temp dir.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { readFileSync } from 'node:fs'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { CaptureLogger } from '../helpers/capture-logger.js'
import { makeCerts, renewServer, type TestCerts } from '../helpers/certs.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { until } from '../helpers/until.js'
import { kcat, WireClient } from './kafka-wire.js'

interface Ctx { dir: string, certs: TestCerts, broker: Broker, log: CaptureLogger }

function portOf (broker: Broker, protocol: string): number {
  return broker.listeners.find((l) => l.protocol === protocol)!.port
}

function saslArgs (port: number, protocol: 'SASL_SSL' | 'SASL_PLAINTEXT', mechanism: string, user: string, password: string, certs: TestCerts): string[] {
  const args = ['-b', `127.0.0.1:${port}`, '-X', `security.protocol=${protocol}`, '-X', `sasl.mechanism=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`]
  if (protocol === 'SASL_SSL') args.push('-X', `ssl.ca.location=${certs.caFile}`)
  return args
}

/** Runs a command to its end; resolves with its exit status and output (never rejects). */
function runCommand (file: string, args: string[], input = ''): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
    child.stdin!.end(input)
  })
}

const sasl = suite<Ctx>('SASL listeners with real clients')

sasl.before(async (ctx) => {
  ctx.dir = tmpDir('millrace-sasl-')
  ctx.certs = await makeCerts(ctx.dir)
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({
    dataDir: null,
    workers: 1,
    listeners: [
      { protocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 },
      { protocol: 'SASL_PLAINTEXT', host: '127.0.0.1', port: 0 },
      { protocol: 'SASL_SSL', host: '127.0.0.1', port: 0 }
    ],
    advertisedListeners: [{ name: 'PLAINTEXT', host: 'plain.example', port: 19092 }],
    tls: { certFile: ctx.certs.certFile, keyFile: ctx.certs.keyFile },
    logger: ctx.log.logger
  })
  await ctx.broker.users.create('alice', { mechanism: 'SCRAM-SHA-512', password: 'alice-secret' })
  await ctx.broker.users.create('alice', { mechanism: 'SCRAM-SHA-256', password: 'alice-secret' })
})

sasl.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

sasl('kcat with SASL_SSL and SCRAM-SHA-512 produces and consumes', async ({ broker, certs, log }) => {
  const topic = uniqueTopic('sasl-ssl')
  const args = saslArgs(portOf(broker, 'SASL_SSL'), 'SASL_SSL', 'SCRAM-SHA-512', 'alice', 'alice-secret', certs)
  await kcat([...args, '-P', '-t', topic], 'one\ntwo\nthree\n')
  const out = await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-c', '3', '-e'])
  assert.equal(out.trim().split('\n'), ['one', 'two', 'three'])
  assert.ok(log.find('client authenticated by SASL', 'debug').some((l) => l.fields.principal === 'User:alice' && l.fields.mechanism === 'SCRAM-SHA-512'))
})

sasl('kcat with SASL_PLAINTEXT and PLAIN produces and consumes (PLAIN checks against the SCRAM credential)', async ({ broker, certs }) => {
  const topic = uniqueTopic('sasl-plain')
  const args = saslArgs(portOf(broker, 'SASL_PLAINTEXT'), 'SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret', certs)
  await kcat([...args, '-P', '-t', topic], 'a\nb\n')
  const out = await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-c', '2', '-e'])
  assert.equal(out.trim().split('\n'), ['a', 'b'])
})

sasl('Metadata advertises the listener the client reached (its advertised listener when one is named)', async ({ broker, certs }) => {
  const args = saslArgs(portOf(broker, 'SASL_PLAINTEXT'), 'SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret', certs)
  const sasl = await kcat([...args, '-L'])
  assert.match(sasl, `broker 1 at 127.0.0.1:${portOf(broker, 'SASL_PLAINTEXT')}`)
  const plain = await WireClient.connect(portOf(broker, 'PLAINTEXT'))
  try {
    const res = await plain.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    assert.equal(res.brokers.map((b: { host: string, port: number }) => [b.host, b.port]), [['plain.example', 19092]])
  } finally {
    plain.close()
  }
})

for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
  sasl(`kafkajs with ${mechanism} over TLS produces and consumes`, async ({ broker, certs }) => {
    const topic = uniqueTopic(`kafkajs-${mechanism}`)
    const kafka = new Kafka({
      clientId: 'sasl-test',
      brokers: [`127.0.0.1:${portOf(broker, 'SASL_SSL')}`],
      ssl: { ca: [readFileSync(certs.caFile, 'utf8')], servername: 'localhost' },
      sasl: { mechanism, username: 'alice', password: 'alice-secret' } as SASLOptions,
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 }
    })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x1' }, { value: 'x2' }] })
    await producer.disconnect()
    const consumer = kafka.consumer({ groupId: uniqueTopic('kafkajs-sasl-group') })
    const seen: string[] = []
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)) } })
    try {
      await until('both records consumed', () => seen.length >= 2)
    } finally {
      await consumer.disconnect()
    }
    assert.equal(seen, ['x1', 'x2'])
  })
}

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256'] as const) {
  sasl(`kafka-python (SaslHandshake v0, bare tokens) with ${mechanism} produces`, async ({ broker, certs }) => {
    const topic = uniqueTopic('kafka-python-sasl')
    const script = `
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers='127.0.0.1:${portOf(broker, 'SASL_PLAINTEXT')}', security_protocol='SASL_PLAINTEXT',
                  sasl_mechanism='${mechanism}', sasl_plain_username='alice', sasl_plain_password='alice-secret', api_version=(2, 0, 0))
p.send('${topic}', b'from-python').get(timeout=30)
p.close()
`
    const result = await runCommand('/usr/bin/python3', ['-c', script])
    assert.is(result.code, 0, result.stderr)
    const read = await kcat([...saslArgs(portOf(broker, 'SASL_PLAINTEXT'), 'SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret', certs), '-C', '-t', topic, '-o', 'beginning', '-c', '1', '-e'])
    assert.is(read.trim(), 'from-python')
  })
}

sasl('a wrong password is refused: the client sees the failure, the broker logs it with the address', async ({ broker, certs, log }) => {
  const before = broker.server!.counters.authenticationFailures
  const args = saslArgs(portOf(broker, 'SASL_SSL'), 'SASL_SSL', 'SCRAM-SHA-512', 'alice', 'wrong-password', certs)
  const result = await runCommand('kcat', [...args, '-L', '-m', '5'])
  assert.is.not(result.code, 0)
  assert.match(result.stderr, 'Authentication failed')
  assert.ok(broker.server!.counters.authenticationFailures > before)
  const line = log.find('SASL authentication failed', 'warn').at(-1)
  assert.ok(line !== undefined)
  assert.match(String(line.fields.client), /^127\.0\.0\.1:\d+$/)
  assert.is(line.fields.user, 'alice')
  assert.is(line.fields.reason, 'invalid credentials')
})

sasl('a framed SaslAuthenticate failure answers SASL_AUTHENTICATION_FAILED, then the connection closes', async ({ broker }) => {
  const client = await WireClient.connect(portOf(broker, 'SASL_PLAINTEXT'))
  const hs = await client.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
  assert.is(hs.errorCode, KafkaCode.NONE)
  const res = await client.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0nope') })
  assert.is(res.errorCode, KafkaCode.SASL_AUTHENTICATION_FAILED)
  assert.match(res.errorMessage, 'invalid credentials')
  await client.closed
})

sasl('Metadata before authentication on a SASL listener closes the connection and is logged', async ({ broker, log }) => {
  const before = broker.server!.counters.unauthenticatedRequests
  const client = await WireClient.connect(portOf(broker, 'SASL_PLAINTEXT'))
  const versions = await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
  assert.is(versions.errorCode, KafkaCode.NONE)
  let answered = false
  await client.request(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    .then(() => { answered = true }, () => {})
  await client.closed
  assert.not.ok(answered)
  assert.is(broker.server!.counters.unauthenticatedRequests, before + 1)
  assert.ok(log.find('refused a request before SASL authentication completed', 'warn').some((l) => l.fields.api === 'Metadata'))
})

sasl('before authentication a frame over 512 KiB closes the connection (Kafka\'s sasl.server.max.receive.size)', async ({ broker, log }) => {
  const client = await WireClient.connect(portOf(broker, 'SASL_PLAINTEXT'))
  const header = Buffer.alloc(4)
  header.writeInt32BE(600 * 1024)
  client.write(header)
  await client.closed
  assert.ok(log.find('frame size out of range', 'warn').some((l) => String(l.fields.detail).includes(`at most ${512 * 1024}`)))
})

sasl('after authentication the same connection is served; a second handshake is ILLEGAL_SASL_STATE', async ({ broker }) => {
  const client = await WireClient.connect(portOf(broker, 'SASL_PLAINTEXT'))
  try {
    await client.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
    const auth = await client.request(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('alice\0alice\0alice-secret') })
    assert.is(auth.errorCode, KafkaCode.NONE)
    const md = await client.request(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    assert.is(md.brokers[0].port, portOf(broker, 'SASL_PLAINTEXT'))
    const again = await client.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
    assert.is(again.errorCode, KafkaCode.ILLEGAL_SASL_STATE)
  } finally {
    client.close()
  }
})

sasl('seeded fuzz over the wire: garbage SASL frames never authenticate and the broker keeps serving', async ({ broker, certs }) => {
  let s = 1414
  const next = (): number => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s }
  for (let i = 0; i < 60; i++) {
    const client = await WireClient.connect(portOf(broker, 'SASL_PLAINTEXT'))
    const mechanism = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'][next() % 3]!
    const v0 = next() % 2 === 0
    await client.request(ApiKey.SaslHandshake, v0 ? 0 : 1, { mechanism })
    const garbage = Buffer.from(Array.from({ length: next() % 400 }, () => next() & 0xff))
    if (v0) {
      const size = Buffer.alloc(4)
      size.writeInt32BE(garbage.length)
      client.write(Buffer.concat([size, garbage]))
    } else {
      client.request(ApiKey.SaslAuthenticate, next() % 3, { authBytes: garbage }).catch(() => {})
    }
    // A metadata request right behind: it must never be answered (not authenticated).
    let answered = false
    client.request(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
      .then(() => { answered = true }, () => {})
    await client.closed
    assert.not.ok(answered, `round ${i}`)
  }
  const out = await kcat([...saslArgs(portOf(broker, 'SASL_PLAINTEXT'), 'SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', 'alice-secret', certs), '-L'])
  assert.match(out, 'broker 1 at')
})

sasl.run()

// ---

const tls = suite<Ctx>('SSL listeners: client certificates and reload')

tls.before(async (ctx) => {
  ctx.dir = tmpDir('millrace-tls-')
  ctx.certs = await makeCerts(ctx.dir)
  ctx.log = new CaptureLogger()
  ctx.broker = await Broker.start({
    dataDir: null,
    workers: 1,
    listeners: [{ protocol: 'SSL', host: '127.0.0.1', port: 0 }],
    tls: { certFile: ctx.certs.certFile, keyFile: ctx.certs.keyFile, caFile: ctx.certs.caFile, clientAuth: 'required' },
    logger: ctx.log.logger
  })
})

tls.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

tls('ssl.client.auth=required: without a certificate refused (and logged); with one the principal is its subject', async ({ broker, certs, log }) => {
  const port = portOf(broker, 'SSL')
  const without = await runCommand('kcat', ['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-L', '-m', '5'])
  assert.is.not(without.code, 0)
  await until('the refused handshake is logged', () => log.find('TLS handshake failed', 'warn').length > 0)
  const withCert = await kcat(['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`,
    '-X', `ssl.certificate.location=${certs.clientCertFile}`, '-X', `ssl.key.location=${certs.clientKeyFile}`, '-L'])
  assert.match(withCert, `broker 1 at 127.0.0.1:${port}`)
  assert.ok(log.find('client authenticated by its TLS certificate', 'debug').some((l) => l.fields.principal === 'User:CN=app,O=Millrace Tests,C=NO'))
})

tls('reloadTls serves a renewed certificate to new connections while an open one keeps working', async ({ broker, certs, log }) => {
  const port = portOf(broker, 'SSL')
  const options = { ca: readFileSync(certs.caFile), cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile), servername: 'localhost' }
  const old = await WireClient.connectTls(port, options)
  try {
    assert.match((old.socket as import('node:tls').TLSSocket).getPeerX509Certificate()!.subject, 'O=Millrace')
    await renewServer(certs, 'Renewed')
    await broker.reloadTls()
    assert.ok(log.find('TLS certificate reloaded', 'info').length > 0)
    const fresh = await WireClient.connectTls(port, options)
    try {
      assert.match((fresh.socket as import('node:tls').TLSSocket).getPeerX509Certificate()!.subject, 'O=Renewed')
    } finally {
      fresh.close()
    }
    const res = await old.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
    assert.is(res.errorCode, KafkaCode.NONE)
  } finally {
    old.close()
  }
})

tls('a reload with a key that does not fit keeps the old certificate and throws a clear error', async ({ broker, certs }) => {
  const { writeFileSync, copyFileSync } = await import('node:fs')
  copyFileSync(certs.keyFile, `${certs.keyFile}.good`)
  writeFileSync(certs.keyFile, readFileSync(certs.clientKeyFile))
  try {
    await broker.reloadTls()
    assert.unreachable('reload accepted a key of another certificate')
  } catch (err) {
    assert.is((err as { code: string }).code, 'MR_ERR_INVALID_OPTION')
    assert.match((err as Error).message, `tls: the key ${certs.keyFile} does not fit the certificate ${certs.certFile}`)
  } finally {
    copyFileSync(`${certs.keyFile}.good`, certs.keyFile)
  }
  const out = await kcat(['-b', `127.0.0.1:${portOf(broker, 'SSL')}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`,
    '-X', `ssl.certificate.location=${certs.clientCertFile}`, '-X', `ssl.key.location=${certs.clientKeyFile}`, '-L'])
  assert.match(out, 'broker 1 at')
})

tls('a client that closes right after the TLS handshake does not hold up close()', async ({ certs }) => {
  const b = await Broker.start({ dataDir: null, workers: 1, listeners: [{ protocol: 'SSL', host: '127.0.0.1', port: 0 }], tls: { certFile: certs.certFile, keyFile: certs.keyFile } })
  const client = await WireClient.connectTls(b.port!, { ca: readFileSync(certs.caFile), servername: 'localhost' })
  client.close()
  let closed = false
  const closing = b.close().then(() => { closed = true })
  await until('the broker closed', () => closed, 10_000)
  await closing
})

tls('a bad certificate or key fails start with a message naming the file', async ({ certs }) => {
  const start = async (tlsOptions: { certFile: string, keyFile: string }): Promise<string> => {
    try {
      const b = await Broker.start({ dataDir: null, workers: 1, listeners: [{ protocol: 'SSL', host: '127.0.0.1', port: 0 }], tls: tlsOptions })
      await b.close()
    } catch (err) {
      assert.is((err as { code: string }).code, 'MR_ERR_INVALID_OPTION')
      return (err as Error).message
    }
    return 'started'
  }
  assert.match(await start({ certFile: `${certs.dir}/missing.pem`, keyFile: certs.keyFile }), `tls: cannot read the certificate file ${certs.dir}/missing.pem`)
  assert.match(await start({ certFile: certs.keyFile, keyFile: certs.keyFile }), `tls: ${certs.keyFile} holds no PEM certificate`)
  assert.match(await start({ certFile: certs.certFile, keyFile: certs.clientKeyFile }), `tls: the key ${certs.clientKeyFile} does not fit the certificate ${certs.certFile}`)
})

tls.run()
