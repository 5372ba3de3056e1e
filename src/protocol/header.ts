/**
 * Request and response headers (../shared/kafka/PROTOCOL.md §3), and which header version each
 * API version uses.
 *
 * Request header, field order:
 *   requestApiKey int16 | requestApiVersion int16 | correlationId int32   (v0+)
 *   clientId nullable string, always INT16-length, never compact           (v1+)
 *   tagged fields                                                          (v2)
 * Response header: correlationId int32 (v0), then tagged fields (v1).
 *
 * Flexible API versions use request header v2 and response header v1, the others v1 and v0.
 * ApiVersions responses are the exception: always response header v0, so that a client that
 * does not yet know the broker's versions can read the reply.
 */
import { ApiKey, apiByKey } from './api-keys.js'
import { ProtocolDecodeError, Reader } from './reader.js'
import { Writer } from './writer.js'

export type RequestHeaderVersion = 0 | 1 | 2
export type ResponseHeaderVersion = 0 | 1

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

/** ControlledShutdown v0, the one request that uses header v0; never served here. */
const CONTROLLED_SHUTDOWN_KEY = 7

function flexible (apiKey: number, apiVersion: number): boolean {
  const first = apiByKey(apiKey)?.firstFlexibleVersion ?? null
  return first !== null && apiVersion >= first
}

/**
 * Header version of a request. Flexibility is a property of the version number, so a known API
 * at a version above the served maximum (an ApiVersions probe from a newer client) still gets
 * the right answer. Unknown APIs are taken as v1: the broker closes those connections anyway.
 */
export function requestHeaderVersion (apiKey: number, apiVersion: number): RequestHeaderVersion {
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0
  return flexible(apiKey, apiVersion) ? 2 : 1
}

export function responseHeaderVersion (apiKey: number, apiVersion: number): ResponseHeaderVersion {
  if (apiKey === ApiKey.ApiVersions) return 0
  return flexible(apiKey, apiVersion) ? 1 : 0
}

export interface DecodedRequestHeader extends RequestHeader {
  headerVersion: RequestHeaderVersion
}

/**
 * Reads a request header and leaves `r` at the start of the body. The header version comes
 * from the API key and version unless given. Unknown header tags are skipped.
 */
export function decodeRequestHeader (r: Reader, headerVersion?: RequestHeaderVersion): DecodedRequestHeader {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const hv = headerVersion ?? requestHeaderVersion(apiKey, apiVersion)
  const clientId = hv >= 1 ? r.nullableString() : null
  if (hv >= 2) r.taggedFields()
  return { apiKey, apiVersion, correlationId, clientId, headerVersion: hv }
}

/**
 * Reads only key, version and correlation id, without moving `r`: enough to answer or refuse a
 * request whose body (or even header tags) this broker cannot parse.
 */
export function peekRequestHeader (r: Reader): { apiKey: number, apiVersion: number, correlationId: number } {
  if (r.remaining < 8) throw new ProtocolDecodeError(`a request header needs 8 bytes, ${r.remaining} left`)
  const at = r.pos
  return { apiKey: r.buf.readInt16BE(at), apiVersion: r.buf.readInt16BE(at + 2), correlationId: r.buf.readInt32BE(at + 4) }
}

/**
 * The client id of a request whose header may not decode in full (an API or version this broker
 * does not serve), or null when the bytes cannot hold one. Does not move `r`. For log lines only.
 */
export function peekClientId (r: Reader): string | null {
  const { apiKey, apiVersion } = peekRequestHeader(r)
  if (requestHeaderVersion(apiKey, apiVersion) === 0) return null
  const at = r.pos + 8
  if (at + 2 > r.end) return null
  const length = r.buf.readInt16BE(at)
  if (length < 0 || at + 2 + length > r.end) return null
  return r.buf.toString('utf8', at + 2, at + 2 + length)
}

export function encodeRequestHeader (w: Writer, header: RequestHeader, headerVersion?: RequestHeaderVersion): void {
  const hv = headerVersion ?? requestHeaderVersion(header.apiKey, header.apiVersion)
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId)
  if (hv >= 1) w.nullableString(header.clientId)
  if (hv >= 2) w.unsignedVarint(0)
}

export function decodeResponseHeader (r: Reader, headerVersion: ResponseHeaderVersion): { correlationId: number } {
  const correlationId = r.int32()
  if (headerVersion >= 1) r.taggedFields()
  return { correlationId }
}

export function encodeResponseHeader (w: Writer, correlationId: number, headerVersion: ResponseHeaderVersion): void {
  w.int32(correlationId)
  if (headerVersion >= 1) w.unsignedVarint(0)
}
