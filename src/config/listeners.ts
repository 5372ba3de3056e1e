/**
 * Kafka listeners: what each one is called, which security protocol it speaks, and where it
 * binds. Parses Kafka's syntax (`listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093`,
 * names mapped to protocols by `listener.security.protocol.map=CLIENT:SASL_SSL`) and validates
 * the options form. Pure: no sockets, no files.
 */
import { invalidOption } from '../errors.js'

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']

export interface ListenerOptions {
  /** Kafka's listener name; default: the protocol's name. */
  name?: string
  protocol: SecurityProtocol
  host: string
  /** 0 picks a free port. */
  port: number
}

export interface ListenerConfig {
  readonly name: string
  readonly protocol: SecurityProtocol
  readonly host: string
  readonly port: number
}

/** Where clients are told to reach a listener (Kafka's advertised.listeners), matched by name. */
export interface AdvertisedListener {
  readonly name: string
  readonly host: string
  readonly port: number
}

export function isTlsProtocol (protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL'
}

export function isSaslProtocol (protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
}

function isProtocol (text: string): text is SecurityProtocol {
  return (SECURITY_PROTOCOLS as readonly string[]).includes(text)
}

const NAME = /^[A-Za-z0-9_-]+$/

/** `CLIENT:SASL_SSL,INTERNAL:PLAINTEXT` → name → protocol. Throws MR_ERR_INVALID_OPTION naming `path`. */
export function parseProtocolMap (text: string, path = 'listener.security.protocol.map'): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>()
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const [name, protocol, extra] = entry.split(':')
    if (extra !== undefined || name === undefined || protocol === undefined || !NAME.test(name)) throw invalidOption(path, `must be NAME:PROTOCOL pairs separated by commas, got '${entry}'`)
    const upper = protocol.toUpperCase()
    if (!isProtocol(upper)) throw invalidOption(path, `maps ${name} to '${protocol}'; the protocols are ${SECURITY_PROTOCOLS.join(', ')}`)
    map.set(name.toUpperCase(), upper)
  }
  return map
}

interface Endpoint { name: string, host: string, port: number }

function parseEndpoints (text: string, path: string): Endpoint[] {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (entries.length === 0) throw invalidOption(path, 'must name at least one listener, e.g. PLAINTEXT://127.0.0.1:9092')
  return entries.map((entry) => {
    // Kafka: an empty host binds every interface; [v6] brackets an IPv6 address.
    const match = /^([A-Za-z0-9_-]+):\/\/(?:\[([^\]]+)\]|([^:[\]/]*)):(\d+)$/.exec(entry)
    if (match === null) throw invalidOption(path, `must be NAME://HOST:PORT entries separated by commas, got '${entry}'`)
    const port = Number(match[4])
    if (port > 65535) throw invalidOption(path, `port must be from 0 to 65535, got ${match[4]} in '${entry}'`)
    const host = match[2] ?? (match[3] === '' ? '0.0.0.0' : match[3]!)
    return { name: match[1]!.toUpperCase(), host, port }
  })
}

/**
 * Kafka's `listeners` value. A name is its own protocol unless `protocolMap` maps it
 * (`CLIENT://:9093` with `CLIENT:SASL_SSL`).
 */
export function parseListeners (text: string, protocolMap: ReadonlyMap<string, SecurityProtocol> = new Map(), path = 'listeners'): ListenerOptions[] {
  return parseEndpoints(text, path).map(({ name, host, port }) => {
    const protocol = protocolMap.get(name) ?? (isProtocol(name) ? name : undefined)
    if (protocol === undefined) throw invalidOption(path, `names listener ${name}, which is not a protocol (${SECURITY_PROTOCOLS.join(', ')}) and not in listener.security.protocol.map`)
    return { name, protocol, host, port }
  })
}

/** Kafka's `advertised.listeners` value: NAME://HOST:PORT per listener name. */
export function parseAdvertisedListeners (text: string, path = 'advertised.listeners'): AdvertisedListener[] {
  return parseEndpoints(text, path).map(({ name, host, port }) => {
    if (port === 0) throw invalidOption(path, `advertises port 0 for ${name}; clients need a real port`)
    return { name, host, port }
  })
}

/** Validates the options form (library mode and the CLI alike) and returns frozen listeners. */
export function resolveListeners (value: unknown, path = 'options.listeners'): readonly ListenerConfig[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidOption(path, 'must be a non-empty array of { name?, protocol, host, port }')
  const names = new Set<string>()
  return Object.freeze(value.map((l: Partial<ListenerOptions> | null, i) => {
    const at = `${path}[${i}]`
    if (l === null || typeof l !== 'object') throw invalidOption(at, 'must be an object { name?, protocol, host, port }')
    if (typeof l.protocol !== 'string' || !isProtocol(l.protocol)) throw invalidOption(`${at}.protocol`, `must be one of ${SECURITY_PROTOCOLS.join(', ')}`)
    if (typeof l.host !== 'string' || l.host.length === 0) throw invalidOption(`${at}.host`, 'must be a non-empty string')
    if (typeof l.port !== 'number' || !Number.isInteger(l.port) || l.port < 0 || l.port > 65535) throw invalidOption(`${at}.port`, 'must be an integer from 0 to 65535')
    const name = l.name ?? l.protocol
    if (typeof name !== 'string' || !NAME.test(name)) throw invalidOption(`${at}.name`, 'must be letters, digits, - or _')
    if (names.has(name.toUpperCase())) throw invalidOption(`${at}.name`, `repeats listener name ${name}; each listener needs its own name`)
    names.add(name.toUpperCase())
    return Object.freeze({ name: name.toUpperCase(), protocol: l.protocol, host: l.host, port: l.port })
  }))
}

export function resolveAdvertisedListeners (value: unknown, listeners: readonly ListenerConfig[], path = 'options.advertisedListeners'): readonly AdvertisedListener[] {
  if (value === undefined) return Object.freeze([])
  if (!Array.isArray(value)) throw invalidOption(path, 'must be an array of { name, host, port }')
  return Object.freeze(value.map((a: Partial<AdvertisedListener> | null, i) => {
    const at = `${path}[${i}]`
    if (a === null || typeof a !== 'object') throw invalidOption(at, 'must be an object { name, host, port }')
    const name = typeof a.name === 'string' ? a.name.toUpperCase() : ''
    if (!listeners.some((l) => l.name === name)) throw invalidOption(`${at}.name`, `must name a listener (${listeners.map((l) => l.name).join(', ')}), got '${String(a.name)}'`)
    if (typeof a.host !== 'string' || a.host.length === 0) throw invalidOption(`${at}.host`, 'must be a non-empty string')
    if (typeof a.port !== 'number' || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw invalidOption(`${at}.port`, 'must be an integer from 1 to 65535')
    return Object.freeze({ name, host: a.host, port: a.port })
  }))
}
