import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CliError, EXIT_USAGE } from '../../../src/cli/args.js'
import { parseClientProperties, tlsOptions } from '../../../src/cli/client-security.js'

const props = suite('--command-config: Kafka client properties')

function rejects (text: string, message: string): void {
  try {
    parseClientProperties(text, 'client.properties', 'topics')
  } catch (err) {
    assert.ok(err instanceof CliError)
    assert.is((err as CliError).exitCode, EXIT_USAGE)
    assert.is((err as Error).message, `${message} (see 'millrace topics --help')`)
    return
  }
  assert.unreachable(message)
}

props('SASL_SSL with SCRAM: comments and both separators are read', () => {
  const s = parseClientProperties('# ours\n! also a comment\nsecurity.protocol = SASL_SSL\nsasl.mechanism: SCRAM-SHA-512\nsasl.username=ops\nsasl.password=p=w\nssl.ca.location=/etc/ca.pem\n', 'f', 'topics')
  assert.equal(s, { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', username: 'ops', password: 'p=w', caFile: '/etc/ca.pem' })
  // The CA file is read when connecting: a missing one is a clear error, not a plaintext fallback.
  assert.throws(() => tlsOptions(s, 'broker.example'), /ssl\.ca\.location \/etc\/ca\.pem/)
})

props('an empty file is PLAINTEXT; SSL needs no SASL settings and skips SNI for an IP', () => {
  assert.is(parseClientProperties('', 'f', 'topics').protocol, 'PLAINTEXT')
  const ssl = parseClientProperties('security.protocol=SSL', 'f', 'topics')
  assert.equal({ protocol: ssl.protocol, mechanism: ssl.mechanism }, { protocol: 'SSL', mechanism: null })
  assert.is(tlsOptions(ssl, '127.0.0.1')!.servername, undefined)
  assert.is(tlsOptions(parseClientProperties('', 'f', 'topics'), 'h'), null)
})

props('each bad property is named', () => {
  rejects('security.protocol=TLS', 'client.properties: security.protocol must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL')
  rejects('security.protocol=SASL_PLAINTEXT\nsasl.mechanism=GSSAPI\nsasl.username=a\nsasl.password=b', 'client.properties: sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512')
  rejects('security.protocol=SASL_PLAINTEXT\nsasl.username=a', 'client.properties: SASL_PLAINTEXT needs sasl.username and sasl.password')
  rejects('sasl.jaas.config=x', 'client.properties: unknown property sasl.jaas.config (known: security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, bootstrap.servers, client.id)')
  rejects('justakey', "client.properties: 'justakey' is not KEY=VALUE")
})

props.run()
