/**
 * What a handler may use while it serves one request: the dispatcher, the broker config, the
 * address the client connected to, and a promise that settles when waiting should stop (the
 * connection closed or the server is shutting down).
 */
import type { BrokerConfig } from '../config/broker-config.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'

/** Kafka node id of this (single) broker. */
export const NODE_ID = 1
export const CLUSTER_ID = 'millrace-single-node'

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
  /** Settles when a long-poll should give up waiting and answer now. */
  readonly stopWaiting: Promise<void>
}
