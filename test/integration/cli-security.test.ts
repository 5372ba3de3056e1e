/**
 * The CLI side of listeners and SASL: `millrace users` bootstraps a user in a stopped broker's
 * data dir (and refuses a running broker's), `millrace start --listeners` prints each listener
 * with its protocol and authenticates that user, and SIGHUP reloads the TLS certificate.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/index.js'
import { millrace, startCli } from '../helpers/cli.js'
import { makeCerts } from '../helpers/certs.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { kcat } from './kafka-wire.js'

const cli = suite<{ dir: string }>('millrace users and start --listeners')
cli.before.each((ctx) => { ctx.dir = tmpDir('millrace-cli-sec-') })
cli.after.each((ctx) => { removeDir(ctx.dir) })

cli('users create writes a hashed credential that a broker started on the dir authenticates over SASL', async ({ dir }) => {
  const data = join(dir, 'data')
  const created = await millrace(['users', 'create', 'admin', '--mechanism', 'SCRAM-SHA-256', '--password-stdin', '--data', data], 'admin-pw\n')
  assert.is(created.code, 0, created.stderr)
  assert.not.ok(readFileSync(join(data, 'scram-credentials.json'), 'utf8').includes('admin-pw'))
  const listed = await millrace(['users', 'list', '--data', data])
  assert.is(listed.stdout, 'admin\tSCRAM-SHA-256(iterations=4096)\n')
  const broker = startCli(['--data', data, '--workers', '1', '--listeners', 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0'])
  try {
    const line = await broker.ready
    const ports = [...line.matchAll(/listening on 127\.0\.0\.1:(\d+) \((\w+)\)/g)].map((m) => [m[2], Number(m[1])] as const)
    assert.equal(ports.map(([protocol]) => protocol), ['PLAINTEXT', 'SASL_PLAINTEXT'])
    const sasl = ports[1]![1]
    const topic = uniqueTopic('cli-sasl')
    const args = ['-b', `127.0.0.1:${sasl}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=SCRAM-SHA-256', '-X', 'sasl.username=admin', '-X', 'sasl.password=admin-pw']
    await kcat([...args, '-P', '-t', topic], 'hello\n')
    assert.is(await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-c', '1', '-e']), 'hello\n')
  } finally {
    broker.child.kill('SIGTERM')
    await broker.exit
  }
})

cli('users refuses a data dir a running broker holds, and bad flags get usage errors', async ({ dir }) => {
  const broker = await Broker.start({ dataDir: dir, workers: 1 })
  try {
    const refused = await millrace(['users', 'create', 'x', '--mechanism', 'SCRAM-SHA-512', '--password-stdin', '--data', dir], 'pw\n')
    assert.is(refused.code, 1)
    assert.match(refused.stderr, 'is in use by another broker')
    assert.match(refused.stderr, 'users of a running broker are managed through the broker')
  } finally {
    await broker.close()
  }
  const noMechanism = await millrace(['users', 'create', 'x', '--password-stdin', '--data', dir], 'pw\n')
  assert.is(noMechanism.code, 2)
  assert.match(noMechanism.stderr, 'create needs --mechanism SCRAM-SHA-256 or SCRAM-SHA-512')
  const noStdin = await millrace(['users', 'create', 'x', '--mechanism', 'SCRAM-SHA-512', '--data', dir])
  assert.is(noStdin.code, 2)
  assert.match(noStdin.stderr, 'create needs --password-stdin')
  const empty = await millrace(['users', 'create', 'x', '--mechanism', 'SCRAM-SHA-512', '--password-stdin', '--data', dir], '\n')
  assert.is(empty.code, 1)
  assert.match(empty.stderr, 'no password on stdin')
  const missing = await millrace(['users', 'delete', 'nobody', '--data', dir])
  assert.is(missing.code, 1)
  assert.match(missing.stderr, 'user nobody has no SCRAM credential')
})

cli('start --listeners with SSL reloads the certificate on SIGHUP; a bad key fails start', async ({ dir }) => {
  const certs = await makeCerts(dir)
  const broker = startCli(['--memory', '--workers', '1', '--listeners', 'SSL://127.0.0.1:0', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--log-format', 'json'])
  try {
    assert.match(await broker.ready, /listening on 127\.0\.0\.1:\d+ \(SSL\)/)
    broker.child.kill('SIGHUP')
    await broker.stderrHas('TLS certificate reloaded')
  } finally {
    broker.child.kill('SIGTERM')
    await broker.exit
  }
  const bad = await millrace(['start', '--memory', '--listeners', 'SSL://127.0.0.1:0', '--tls-cert', certs.certFile, '--tls-key', certs.clientKeyFile])
  assert.is(bad.code, 2)
  assert.match(bad.stderr, `tls: the key ${certs.clientKeyFile} does not fit the certificate ${certs.certFile}`)
})

cli('client commands speak SASL_SSL with --command-config; a wrong password fails with the broker\'s reason', async ({ dir }) => {
  const certs = await makeCerts(dir)
  const broker = await Broker.start({ dataDir: null, workers: 1, listeners: [{ protocol: 'SASL_SSL', host: '127.0.0.1', port: 0 }], tls: { certFile: certs.certFile, keyFile: certs.keyFile } })
  try {
    await broker.users.create('ops', { mechanism: 'SCRAM-SHA-512', password: 'ops-pw' })
    const config = join(dir, 'client.properties')
    const properties = (password: string): string => `# test client\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=ops\nsasl.password=${password}\nssl.ca.location=${certs.caFile}\n`
    writeFileSync(config, properties('ops-pw'))
    const bootstrap = `127.0.0.1:${broker.port!}`
    const topic = uniqueTopic('cli-sasl-ssl')
    const created = await millrace(['topics', 'create', topic, '--partitions', '1', '-b', bootstrap, '--command-config', config])
    assert.is(created.code, 0, created.stderr)
    const produced = await millrace(['produce', '--topic', topic, '-b', bootstrap, '--command-config', config], 'over-tls\n')
    assert.is(produced.code, 0, produced.stderr)
    const consumed = await millrace(['consume', '--topic', topic, '--from-beginning', '--count', '1', '-b', bootstrap, '--command-config', config])
    assert.is(consumed.code, 0, consumed.stderr)
    assert.is(consumed.stdout, 'over-tls\n')
    // users over the wire: the password is salted here and sent as AlterUserScramCredentials.
    const viaWire = await millrace(['users', 'create', 'app', '--mechanism', 'SCRAM-SHA-256', '--password-stdin', '-b', bootstrap, '--command-config', config], 'app-pw\n')
    assert.is(viaWire.code, 0, viaWire.stderr)
    const listed = await millrace(['users', 'list', '-b', bootstrap, '--command-config', config])
    assert.is(listed.stdout, 'app\tSCRAM-SHA-256(iterations=4096)\nops\tSCRAM-SHA-512(iterations=4096)\n')
    const removed = await millrace(['users', 'delete', 'app', '-b', bootstrap, '--command-config', config])
    assert.is(removed.code, 0, removed.stderr)
    assert.equal(broker.users.list().map((u) => u.user), ['ops'])
    writeFileSync(config, properties('wrong'))
    const refused = await millrace(['topics', 'list', '-b', bootstrap, '--command-config', config])
    assert.is(refused.code, 1)
    assert.match(refused.stderr, `authentication to ${bootstrap} failed: Authentication failed`)
  } finally {
    await broker.close()
  }
})

cli.run()
