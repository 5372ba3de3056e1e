/**
 * What a handler may use while it serves one request: the dispatcher, the broker config, the
 * address the client connected to, and a signal that aborts when waiting should stop (the
 * connection closed or the server is shutting down).
 */
import type { BrokerConfig } from '../config/broker-config.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import type { RequestAccess } from './access.js'
import type { SaslExchange } from './sasl/sasl-exchange.js'
import type { CredentialStore } from './sasl/credential-store.js'

/** Kafka node id of this (single) broker. */
export const NODE_ID = 1
export const CLUSTER_ID = 'millrace-single-node'
/** Kafka's principal of a client that has not authenticated (a PLAINTEXT or SSL listener without client certificates). */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS'

export interface RequestContext {
  readonly dispatcher: Dispatcher
  readonly config: BrokerConfig
  readonly apiVersion: number
  readonly clientId: string | null
  /** The socket's local address and port: what the client reached. */
  readonly localHost: string
  readonly localPort: number
  /** The client's address (DescribeGroups reports it per member). */
  readonly remoteHost: string
  /** The authenticated principal, `User:NAME`; ANONYMOUS_PRINCIPAL without authentication. */
  readonly principal: string
  /** What the principal may do (the authorizer's answers; every check passes without one). */
  readonly access: RequestAccess
  /** The listener the client connected to (Metadata advertises its advertised listener); PLAINTEXT by default. */
  readonly listenerName?: string
  /** The connection's SASL exchange on a SASL listener; null or absent elsewhere. */
  readonly sasl?: SaslExchange | null
  /** The broker's SCRAM credentials (APIs 50 and 51); absent where no listener layer set it. */
  readonly credentials?: CredentialStore
  /**
   * Aborts when a long-poll should give up waiting and answer now. A signal, not a promise: a
   * listener added for one short wait is removed when the wait ends, whereas a `.then` on a
   * connection-long promise stays until the connection closes.
   */
  readonly stopWaiting: AbortSignal
}
