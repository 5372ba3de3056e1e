/**
 * The console's message browser: reads a window of a topic with a library-mode consumer
 * (assign(), no group, nothing committed) from an offset, a timestamp or the end, optionally
 * keeping only records whose key, value or a header value contains a text. Bytes go out as
 * base64; the page decides how to show them. Every bound it hits is said in the answer.
 */
import type { Broker } from '../../broker.js'
import type { ConsumerMessage } from '../../client/consumer.js'
import { MillraceError } from '../../errors.js'

export const MAX_BROWSE_LIMIT = 500
/** Records read per request at most, filter or not, so one request cannot read a whole log. */
export const MAX_SCANNED_RECORDS = 20_000
/** Bytes of a key, value or header value sent to the page; the rest is cut and said so. */
export const MAX_SHOWN_BYTES = 64 * 1024

export type BrowseFrom =
  | { kind: 'offset', offset: number }
  | { kind: 'timestamp', timestamp: number }
  | { kind: 'end' }

export interface BrowseRequest {
  topic: string
  /** null: every partition. */
  partition: number | null
  from: BrowseFrom
  limit: number
  /** '' keeps everything; else a case-insensitive substring of key, value or a header value. */
  filter: string
}

export interface ShownBytes {
  base64: string
  /** Size of the whole field; more than the bytes sent when truncated. */
  size: number
  truncated: boolean
}

export interface BrowsedMessage {
  partition: number
  offset: number
  timestamp: number
  key: ShownBytes | null
  value: ShownBytes | null
  headers: Array<{ key: string, value: ShownBytes | null }>
}

export interface BrowseResult {
  messages: BrowsedMessage[]
  /** Records read to find them. */
  scanned: number
  /** True when MAX_SCANNED_RECORDS stopped the scan before the window was read. */
  scanLimitReached: boolean
  /** Partitions that could not be read to their end (offline or restarting). */
  incompletePartitions: number[]
}

interface Range { partition: number, start: number, stop: number }

export async function browseMessages (broker: Broker, request: BrowseRequest): Promise<BrowseResult> {
  const ranges = await rangesOf(broker, request)
  const wanted = ranges.filter((r) => r.start < r.stop)
  const result: BrowseResult = { messages: [], scanned: 0, scanLimitReached: false, incompletePartitions: [] }
  if (wanted.length === 0) return result
  const needle = request.filter.toLowerCase()
  const stops = new Map(wanted.map((r) => [r.partition, r.stop]))
  const fromEnd = request.from.kind === 'end'
  const consumer = broker.consumer({ maxWaitMs: 0, autoOffsetReset: 'earliest' })
  try {
    consumer.assign(wanted.map((r) => ({ topic: request.topic, partition: r.partition, offset: r.start })))
    const open = new Set(stops.keys())
    while (open.size > 0) {
      const batch = await consumer.poll()
      for (const m of batch) {
        const stop = stops.get(m.partition)!
        if (m.offset >= BigInt(stop)) continue
        result.scanned++
        if (needle === '' || matches(m, needle)) result.messages.push(shown(m))
      }
      let moved = batch.length > 0
      for (const pos of consumer.positions()) {
        if (typeof pos.offset === 'bigint' && pos.offset >= BigInt(stops.get(pos.partition)!) && open.delete(pos.partition)) moved = true
      }
      // From an offset or a time the first `limit` matches read are the answer (every round reads
      // each open partition, so across partitions they are the earliest rounds'); from the end, the last ones.
      if (!fromEnd && result.messages.length >= request.limit) break
      if (result.scanned >= MAX_SCANNED_RECORDS) { result.scanLimitReached = open.size > 0; break }
      if (!moved) break // nothing read and no position moved: the rest cannot be read now
    }
    if (!result.scanLimitReached && result.messages.length < request.limit) result.incompletePartitions = [...open].sort((a, b) => a - b)
  } finally {
    // The broker keeps every client it handed out until it closes: drop the positions (one per
    // partition read) so a closed browse consumer holds next to nothing.
    consumer.assign([])
    await consumer.close()
  }
  result.messages.sort(request.partition === null
    ? (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset
    : (a, b) => a.offset - b.offset)
  result.messages = fromEnd ? result.messages.slice(-request.limit) : result.messages.slice(0, request.limit)
  return result
}

/** Per partition, the offsets to read: [start, stop) with stop the high watermark at the start. */
async function rangesOf (broker: Broker, request: BrowseRequest): Promise<Range[]> {
  const described = await broker.describeTopic(request.topic)
  let partitions = described.partitions
  if (request.partition !== null) {
    const p = partitions[request.partition]
    if (p === undefined) throw new MillraceError('MR_ERR_UNKNOWN_PARTITION', `partition ${request.partition} does not exist: topic '${request.topic}' has ${partitions.length} partitions`)
    partitions = [p]
  }
  const from = request.from
  return await Promise.all(partitions.map(async (p): Promise<Range> => {
    const first = Number(p.logStartOffset)
    const stop = Number(p.highWatermark)
    switch (from.kind) {
      case 'offset': return { partition: p.partition, start: Math.min(Math.max(from.offset, first), stop), stop }
      case 'end': return { partition: p.partition, start: Math.max(first, stop - request.limit), stop }
      case 'timestamp': {
        const found = await broker.offsetForTimestamp({ topic: request.topic, partition: p.partition, timestamp: from.timestamp })
        return { partition: p.partition, start: found === null ? stop : Math.max(Number(found.offset), first), stop }
      }
    }
  }))
}

function matches (m: ConsumerMessage, needle: string): boolean {
  if (contains(m.key, needle) || contains(m.value, needle)) return true
  for (const k in m.headers) {
    if (k.toLowerCase().includes(needle) || contains(m.headers[k], needle)) return true
  }
  return false
}

function contains (bytes: Buffer | null, needle: string): boolean {
  return bytes !== null && bytes.toString('utf8').toLowerCase().includes(needle)
}

function shownBytes (bytes: Buffer | null): ShownBytes | null {
  if (bytes === null) return null
  const truncated = bytes.length > MAX_SHOWN_BYTES
  return { base64: (truncated ? bytes.subarray(0, MAX_SHOWN_BYTES) : bytes).toString('base64'), size: bytes.length, truncated }
}

function shown (m: ConsumerMessage): BrowsedMessage {
  return {
    partition: m.partition,
    offset: Number(m.offset),
    timestamp: m.timestamp,
    key: shownBytes(m.key),
    value: shownBytes(m.value),
    headers: Object.entries(m.headers).map(([key, value]) => ({ key, value: shownBytes(value) }))
  }
}
