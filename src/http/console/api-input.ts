/**
 * Checks what a page sends the console's API (query strings and JSON bodies) and turns it into
 * the broker's request shapes; anything malformed is a 400 that names the field and the rule.
 */
import { badRequest } from './api-errors.js'
import { MAX_BROWSE_LIMIT, type BrowseRequest } from './message-browser.js'
import type { ProducerMessage } from '../../client/producer.js'

const DIGITS = /^\d+$/
const MAX_FILTER_CHARS = 200
const DEFAULT_BROWSE_LIMIT = 50

type Fields = Record<string, unknown>

function text (fields: Fields, name: string): string | undefined {
  const v = fields[name]
  if (v === undefined || v === '') return undefined
  if (typeof v !== 'string') throw badRequest(`${name} must be a string`)
  return v
}

function offsetOf (value: string, name: string): number {
  const n = Number(value)
  if (!DIGITS.test(value) || !Number.isSafeInteger(n)) throw badRequest(`${name} must be a non-negative integer, not '${value}'`)
  return n
}

function fieldsOf (body: unknown, what: string): Fields {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`${what} must be a JSON object`)
  return body as Fields
}

/** GET /api/topics/:topic/messages?from=end|beginning|offset|timestamp&offset=&timestamp=&partition=&limit=&filter= */
export function browseRequestOf (topic: string, query: unknown): BrowseRequest {
  const q = fieldsOf(query ?? {}, 'the query')
  const partitionText = text(q, 'partition')
  const partition = partitionText === undefined || partitionText === 'all' ? null : offsetOf(partitionText, 'partition')
  const limitText = text(q, 'limit')
  const limit = limitText === undefined ? DEFAULT_BROWSE_LIMIT : offsetOf(limitText, 'limit')
  if (limit < 1 || limit > MAX_BROWSE_LIMIT) throw badRequest(`limit must be from 1 to ${MAX_BROWSE_LIMIT}`)
  const filter = text(q, 'filter') ?? ''
  if (filter.length > MAX_FILTER_CHARS) throw badRequest(`filter must be at most ${MAX_FILTER_CHARS} characters`)
  const fromText = text(q, 'from') ?? 'end'
  let from: BrowseRequest['from']
  switch (fromText) {
    case 'end': from = { kind: 'end' }; break
    case 'beginning': from = { kind: 'offset', offset: 0 }; break
    case 'offset': {
      const offset = text(q, 'offset')
      if (offset === undefined) throw badRequest("from=offset needs offset")
      from = { kind: 'offset', offset: offsetOf(offset, 'offset') }
      break
    }
    case 'timestamp': {
      const value = text(q, 'timestamp')
      if (value === undefined) throw badRequest('from=timestamp needs timestamp (ms since the epoch or an ISO date)')
      const timestamp = DIGITS.test(value) ? Number(value) : Date.parse(value)
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw badRequest(`timestamp must be ms since the epoch or an ISO date, not '${value}'`)
      from = { kind: 'timestamp', timestamp }
      break
    }
    default: throw badRequest(`from must be 'end', 'beginning', 'offset' or 'timestamp', not '${fromText}'`)
  }
  return { topic, partition, from, limit, filter }
}

/** POST /api/topics/:topic/messages { key?, value, headers?: [{ key, value }], partition? } */
export function producedMessageOf (body: unknown): ProducerMessage {
  const b = fieldsOf(body, 'the message')
  const stringOrNull = (v: unknown, name: string): string | null => {
    if (v === undefined || v === null) return null
    if (typeof v !== 'string') throw badRequest(`${name} must be a string or null`)
    return v
  }
  const message: ProducerMessage = { key: stringOrNull(b.key, 'key'), value: stringOrNull(b.value, 'value') }
  if (b.headers !== undefined && b.headers !== null) {
    if (!Array.isArray(b.headers)) throw badRequest('headers must be an array of { key, value }')
    const headers: Record<string, string | null> = {}
    for (const [i, h] of (b.headers as unknown[]).entries()) {
      const hf = fieldsOf(h, `headers[${i}]`)
      if (typeof hf.key !== 'string' || hf.key === '') throw badRequest(`headers[${i}].key must be a non-empty string`)
      if (Object.hasOwn(headers, hf.key)) throw badRequest(`headers[${i}].key '${hf.key}' appears twice`)
      headers[hf.key] = stringOrNull(hf.value, `headers[${i}].value`)
    }
    message.headers = headers
  }
  if (b.partition !== undefined && b.partition !== null && b.partition !== '') {
    const p = typeof b.partition === 'string' ? offsetOf(b.partition, 'partition') : b.partition
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) throw badRequest('partition must be a non-negative integer')
    message.partition = p
  }
  return message
}

/** PUT /api/topics/:topic/config { set?: { key: value }, remove?: [key] } → the edit to merge. */
export function configEditOf (body: unknown): { set: Record<string, string>, remove: string[] } {
  const b = fieldsOf(body, 'the config edit')
  const set: Record<string, string> = {}
  if (b.set !== undefined) {
    for (const [k, v] of Object.entries(fieldsOf(b.set, 'set'))) {
      if (typeof v !== 'string') throw badRequest(`set['${k}'] must be a string`)
      set[k] = v
    }
  }
  const remove = b.remove ?? []
  if (!Array.isArray(remove) || remove.some((k) => typeof k !== 'string')) throw badRequest('remove must be an array of config names')
  if (Object.keys(set).length === 0 && remove.length === 0) throw badRequest('the config edit sets and removes nothing')
  return { set, remove: remove as string[] }
}

/** POST /api/groups/:group/reset-offsets { topic, to: 'earliest' | 'latest' | offset, partitions? } */
export function resetRequestOf (groupId: string, body: unknown): { groupId: string, topic: string, to: 'earliest' | 'latest' | bigint, partitions?: number[] } {
  const b = fieldsOf(body, 'the reset request')
  if (typeof b.topic !== 'string' || b.topic === '') throw badRequest('topic must be a non-empty string')
  let to: 'earliest' | 'latest' | bigint
  if (b.to === 'earliest' || b.to === 'latest') to = b.to
  else if (typeof b.to === 'string' && DIGITS.test(b.to)) to = BigInt(b.to)
  else if (typeof b.to === 'number' && Number.isSafeInteger(b.to) && b.to >= 0) to = BigInt(b.to)
  else throw badRequest(`to must be 'earliest', 'latest' or a non-negative offset, not ${JSON.stringify(b.to)}`)
  const request: { groupId: string, topic: string, to: 'earliest' | 'latest' | bigint, partitions?: number[] } = { groupId, topic: b.topic, to }
  if (b.partitions !== undefined && b.partitions !== null) {
    if (!Array.isArray(b.partitions) || b.partitions.some((p) => !Number.isInteger(p) || (p as number) < 0)) throw badRequest('partitions must be an array of partition numbers')
    request.partitions = b.partitions as number[]
  }
  return request
}
