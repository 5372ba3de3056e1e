/**
 * `millrace start` flags for listeners and TLS, in Kafka's terms: `--listeners
 * PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093` (replaces --host/--port),
 * `--listener-security-protocol-map CLIENT:SASL_SSL`, `--advertised-listeners`, and the
 * certificate files of the SSL and SASL_SSL listeners. Throws MillraceError on a bad value.
 */
import type { BrokerOptions } from '../config/broker-config.js'
import { parseAdvertisedListeners, parseListeners, parseProtocolMap } from '../config/listeners.js'
import type { ClientAuth } from '../config/tls-options.js'
import { invalidOption } from '../errors.js'

export const LISTENER_OPTIONS = {
  listeners: { type: 'string' },
  'listener-security-protocol-map': { type: 'string' },
  'advertised-listeners': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'ssl-client-auth': { type: 'string' }
} as const

export const LISTENER_HELP = `  --listeners LIST         Kafka listeners, e.g. PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093
                           (replaces --host and --port; port 0 picks a free port)
  --listener-security-protocol-map MAP   NAME:PROTOCOL pairs for named listeners, e.g. CLIENT:SASL_SSL
  --advertised-listeners LIST   NAME://HOST:PORT put in Metadata for clients of that listener
  --tls-cert FILE          PEM certificate of the SSL and SASL_SSL listeners (SIGHUP reloads it)
  --tls-key FILE           PEM private key of that certificate
  --tls-ca FILE            PEM CAs that client certificates must chain to
  --ssl-client-auth MODE   required, requested or none (default): ask clients for a certificate`

type ListenerFlagValues = { [K in keyof typeof LISTENER_OPTIONS]?: string } & { host?: string, port?: string }

export function listenerFlags (values: ListenerFlagValues): Pick<BrokerOptions, 'listeners' | 'advertisedListeners' | 'tls'> {
  const out: Pick<BrokerOptions, 'listeners' | 'advertisedListeners' | 'tls'> = {}
  if (values.listeners !== undefined) {
    if (values.host !== undefined || values.port !== undefined) throw invalidOption('--listeners', 'replaces --host and --port; give one or the other')
    const map = values['listener-security-protocol-map'] === undefined ? undefined : parseProtocolMap(values['listener-security-protocol-map'], '--listener-security-protocol-map')
    out.listeners = parseListeners(values.listeners, map, '--listeners')
  } else if (values['listener-security-protocol-map'] !== undefined) {
    throw invalidOption('--listener-security-protocol-map', 'needs --listeners')
  }
  if (values['advertised-listeners'] !== undefined) out.advertisedListeners = parseAdvertisedListeners(values['advertised-listeners'], '--advertised-listeners')
  const cert = values['tls-cert']
  const key = values['tls-key']
  if (cert !== undefined || key !== undefined || values['tls-ca'] !== undefined || values['ssl-client-auth'] !== undefined) {
    if (cert === undefined || key === undefined) throw invalidOption('--tls-cert and --tls-key', 'go together')
    out.tls = { certFile: cert, keyFile: key, caFile: values['tls-ca'], clientAuth: values['ssl-client-auth'] as ClientAuth | undefined }
    if (out.tls.caFile === undefined) delete out.tls.caFile
    if (out.tls.clientAuth === undefined) delete out.tls.clientAuth
  }
  return out
}
