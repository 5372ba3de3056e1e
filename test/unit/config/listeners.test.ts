import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseAdvertisedListeners, parseListeners, parseProtocolMap } from '../../../src/config/listeners.js'
import { resolveBrokerConfig } from '../../../src/config/broker-config.js'
import { listenerFlags } from '../../../src/cli/listener-flags.js'
import { MillraceError } from '../../../src/errors.js'

function rejects (run: () => unknown, message: string): void {
  try {
    run()
  } catch (err) {
    assert.ok(err instanceof MillraceError)
    assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
    assert.is((err as Error).message, message)
    return
  }
  assert.unreachable(`accepted; expected: ${message}`)
}

const parse = suite('Kafka listener syntax')

parse('protocols as names, several listeners, IPv6 and an empty host (every interface)', () => {
  assert.equal(parseListeners('PLAINTEXT://127.0.0.1:9092, SASL_SSL://[::1]:9093,SSL://:0'), [
    { name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
    { name: 'SASL_SSL', protocol: 'SASL_SSL', host: '::1', port: 9093 },
    { name: 'SSL', protocol: 'SSL', host: '0.0.0.0', port: 0 }
  ])
})

parse('named listeners take their protocol from listener.security.protocol.map', () => {
  const map = parseProtocolMap('CLIENT:SASL_SSL,internal:plaintext')
  assert.equal(parseListeners('CLIENT://0.0.0.0:9093,INTERNAL://127.0.0.1:9092', map), [
    { name: 'CLIENT', protocol: 'SASL_SSL', host: '0.0.0.0', port: 9093 },
    { name: 'INTERNAL', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }
  ])
})

parse('advertised listeners need a real port', () => {
  assert.equal(parseAdvertisedListeners('SASL_SSL://broker.example:9093'), [{ name: 'SASL_SSL', host: 'broker.example', port: 9093 }])
  rejects(() => parseAdvertisedListeners('SSL://h:0'), "advertised.listeners advertises port 0 for SSL; clients need a real port")
})

parse('each malformed value is named with its rule', () => {
  rejects(() => parseListeners(''), 'listeners must name at least one listener, e.g. PLAINTEXT://127.0.0.1:9092')
  rejects(() => parseListeners('PLAINTEXT://127.0.0.1'), "listeners must be NAME://HOST:PORT entries separated by commas, got 'PLAINTEXT://127.0.0.1'")
  rejects(() => parseListeners('PLAINTEXT://h:70000'), "listeners port must be from 0 to 65535, got 70000 in 'PLAINTEXT://h:70000'")
  rejects(() => parseListeners('CLIENT://h:1'), 'listeners names listener CLIENT, which is not a protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) and not in listener.security.protocol.map')
  rejects(() => parseProtocolMap('CLIENT:TLS'), "listener.security.protocol.map maps CLIENT to 'TLS'; the protocols are PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
  rejects(() => parseProtocolMap('CLIENT'), "listener.security.protocol.map must be NAME:PROTOCOL pairs separated by commas, got 'CLIENT'")
})

parse.run()

// ---

const options = suite('listener options of the broker')

options('host and port alone make one PLAINTEXT listener; no port, no listener', () => {
  assert.equal(resolveBrokerConfig({ port: 0, host: '127.0.0.1' }).listeners, [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }])
  assert.equal(resolveBrokerConfig({}).listeners, [])
})

options('the first listener is what port and host name', () => {
  const config = resolveBrokerConfig({ listeners: [{ protocol: 'SASL_PLAINTEXT', host: '::1', port: 9095 }, { protocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }] })
  assert.is(config.port, 9095)
  assert.is(config.host, '::1')
  assert.is(config.listeners[0]!.name, 'SASL_PLAINTEXT')
})

options('each bad listener option is named with its rule', () => {
  rejects(() => resolveBrokerConfig({ listeners: [], dataDir: null }), 'options.listeners must be a non-empty array of { name?, protocol, host, port }')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'TLS' as never, host: 'h', port: 1 }] }), 'options.listeners[0].protocol must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'PLAINTEXT', host: 'h', port: -1 }] }), 'options.listeners[0].port must be an integer from 0 to 65535')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'PLAINTEXT', host: 'h', port: 1 }, { protocol: 'PLAINTEXT', host: 'h', port: 2 }] }), 'options.listeners[1].name repeats listener name PLAINTEXT; each listener needs its own name')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'PLAINTEXT', host: 'h', port: 1 }], port: 9092 }), 'options.listeners replaces options.host and options.port; give one or the other')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'SSL', host: 'h', port: 1 }] }), 'options.tls is needed by listener SSL (SSL): give { certFile, keyFile }')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'SSL', host: 'h', port: 1 }], tls: { certFile: 'c', keyFile: 'k', clientAuth: 'maybe' as never } }), 'options.tls.clientAuth must be one of required, requested, none')
  rejects(() => resolveBrokerConfig({ listeners: [{ protocol: 'SSL', host: 'h', port: 1 }], tls: { certFile: 'c' } as never }), 'options.tls.keyFile must be a path to a PEM file')
  rejects(() => resolveBrokerConfig({ port: 0, advertisedListeners: [{ name: 'SSL', host: 'h', port: 1 }] }), "options.advertisedListeners[0].name must name a listener (PLAINTEXT), got 'SSL'")
})

options.run()

// ---

const flags = suite('millrace start listener flags')

flags('--listeners, the protocol map and TLS files become broker options', () => {
  assert.equal(listenerFlags({ listeners: 'CLIENT://127.0.0.1:0', 'listener-security-protocol-map': 'CLIENT:SSL', 'tls-cert': 'c.pem', 'tls-key': 'k.pem', 'ssl-client-auth': 'required' }), {
    listeners: [{ name: 'CLIENT', protocol: 'SSL', host: '127.0.0.1', port: 0 }],
    tls: { certFile: 'c.pem', keyFile: 'k.pem', clientAuth: 'required' }
  })
})

flags('--listeners replaces --host/--port; a certificate needs its key', () => {
  rejects(() => listenerFlags({ listeners: 'PLAINTEXT://h:1', port: '9092' }), '--listeners replaces --host and --port; give one or the other')
  rejects(() => listenerFlags({ 'tls-cert': 'c.pem' }), '--tls-cert and --tls-key go together')
  rejects(() => listenerFlags({ 'listener-security-protocol-map': 'A:SSL' }), '--listener-security-protocol-map needs --listeners')
})

flags.run()
