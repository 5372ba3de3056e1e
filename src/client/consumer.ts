/**
 * Library-mode consumer, for partitions it is given (assign) or that a consumer group hands
 * it (subscribe, with groupId). Long-polls the dispatcher (a fetch that finds nothing waits for
 * the next append, up to maxWaitMs) and decodes batches into messages.
 * Runs on the host's thread; the bytes it decodes were copied out of the ring by the dispatcher.
 * In a group, a GroupMember (./group/group-member.ts) keeps the membership in the background
 * and replaces the positions at each rebalance; committed offsets are the next offset to read.
 */
import { MillraceError, invalidOption } from '../errors.js'
import { LogStatus } from '../log/errors.js'
import { forEachRecord, RecordBatchError } from '../protocol/record-batch.js'
import { DEFAULT_MAX_INFLATED_BYTES, inflateLimit } from '../protocol/compression.js'
import { baseOffsetOf, batchSizeAt, lastOffsetDeltaOf } from '../protocol/batch-header.js'
import { AbortedFilter, type AbortedRange } from './aborted-filter.js'
import { LIST_OFFSET_EARLIEST, LIST_OFFSET_LATEST } from '../partition/frames.js'
import type { Dispatcher } from '../dispatcher/dispatcher.js'
import type { PartitionState } from '../dispatcher/topic-table.js'
import { CHECKS } from '../security/api-operations.js'
import type { LibraryCheck } from '../security/library-access.js'
import { isRetriable, statusError } from './status-error.js'
import type { CoordinatorApi } from '../coordinator/coordinator-api.js'
import type { TopicPartitions } from '../protocol/consumer-protocol.js'
import { ASSIGNOR_NAMES, assignorByName, type AssignorName } from './group/assignors.js'
import { GroupMember, type OffsetToCommit } from './group/group-member.js'
import { countOut } from '../dispatcher/traffic.js'

const NO_ABORTS: AbortedRange[] = []

export interface ConsumerOptions {
  /** Longest a fetch waits for new records. Default 500 ms. */
  maxWaitMs?: number
  /** Most bytes fetched per partition per round. Default 1 MiB (Kafka's max.partition.fetch.bytes). */
  maxPartitionBytes?: number
  /**
   * Where to go when a position falls outside the log, or (in a group) a partition has no
   * committed offset: 'earliest', 'latest', or 'none' (throw). Default 'none', or 'latest' with a groupId (Kafka's default).
   */
  autoOffsetReset?: 'earliest' | 'latest' | 'none'
  /** Consumer group to join with subscribe(). The options below need it. */
  groupId?: string
  /** Static membership (Kafka's group.instance.id): a restart within the session timeout keeps the partitions. */
  groupInstanceId?: string | null
  /** Shown in DescribeGroups. Default 'millrace'. */
  clientId?: string
  /** Commit positions every autoCommitIntervalMs, before a rebalance and on close. Default true. */
  autoCommit?: boolean
  /** Default 5000 ms. */
  autoCommitIntervalMs?: number
  /** The member is removed when the coordinator hears nothing for this long. Default 45000 ms. */
  sessionTimeoutMs?: number
  /** How long the coordinator waits for members to rejoin during a rebalance. Default 300000 ms. */
  rebalanceTimeoutMs?: number
  /** Default 3000 ms; must be below sessionTimeoutMs. */
  heartbeatIntervalMs?: number
  /** Assignors offered, preferred first. Default ['range', 'roundrobin', 'RoundRobinAssigner']. */
  assignors?: AssignorName[]
  /**
   * 'read_committed' reads only up to the last stable offset and skips the records of aborted
   * transactions; 'read_uncommitted' (the default in library mode; Kafka clients default to it
   * too, except librdkafka) reads everything up to the high watermark. Transaction markers
   * are never returned.
   */
  isolationLevel?: 'read_committed' | 'read_uncommitted'
}

/** An offset to commit: the next offset to read, as Kafka commits them. */
export interface CommitOffset {
  topic: string
  partition: number
  offset: bigint | number
  metadata?: string | null
}

interface GroupSettings {
  groupId: string
  groupInstanceId: string | null
  clientId: string
  autoCommit: boolean
  autoCommitIntervalMs: number
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  assignors: AssignorName[]
}

const GROUP_ONLY_OPTIONS = ['groupInstanceId', 'autoCommit', 'autoCommitIntervalMs', 'sessionTimeoutMs', 'rebalanceTimeoutMs', 'heartbeatIntervalMs', 'assignors'] as const

export type StartOffset = bigint | number | 'earliest' | 'latest'

export interface Assignment {
  topic: string
  partition: number
  /** Default 'earliest'. */
  offset?: StartOffset
}

export interface ConsumerMessage {
  topic: string
  partition: number
  offset: bigint
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | null>
  timestamp: number
}

interface FetchRound {
  messages: ConsumerMessage[]
  /** The position the fetch started from. */
  from: number
  /** The position after the last batch read. */
  next: number
}

interface Position {
  readonly p: PartitionState
  /** Next offset to read, or a symbolic start not yet resolved. */
  offset: number | 'earliest' | 'latest'
}

export class Consumer implements AsyncIterable<ConsumerMessage> {
  readonly #dispatcher: Dispatcher
  /** Set when the consumer acts as a principal (broker.consumer({ principal })). */
  readonly #check: LibraryCheck | undefined
  readonly #maxWaitMs: number
  readonly #maxPartitionBytes: number
  readonly #reset: 'earliest' | 'latest' | 'none'
  /** 1 for read_committed, 0 for read_uncommitted (Kafka's isolation_level). */
  readonly #isolation: number
  readonly #group: GroupSettings | null
  #positions: Position[] = []
  #mode: 'none' | 'assign' | 'subscribe' = 'none'
  #member: GroupMember | null = null
  #autoCommitTimer: NodeJS.Timeout | null = null
  /** Positions last committed, `topic\0partition` → offset, so auto-commit skips idle partitions. */
  #lastCommitted = new Map<string, number>()
  #closed = false

  constructor (dispatcher: Dispatcher, options: ConsumerOptions = {}, check?: LibraryCheck) {
    if (options === null || typeof options !== 'object') throw invalidOption('consumer options', 'must be an object')
    const maxWaitMs = options.maxWaitMs ?? 500
    if (!Number.isInteger(maxWaitMs) || maxWaitMs < 0) throw invalidOption('consumer options.maxWaitMs', 'must be an integer ≥ 0')
    const maxPartitionBytes = options.maxPartitionBytes ?? 1024 * 1024
    if (!Number.isInteger(maxPartitionBytes) || maxPartitionBytes < 1) throw invalidOption('consumer options.maxPartitionBytes', 'must be an integer ≥ 1')
    const group = groupSettings(options)
    const reset = options.autoOffsetReset ?? (group === null ? 'none' : 'latest')
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') throw invalidOption('consumer options.autoOffsetReset', "must be 'earliest', 'latest' or 'none'")
    const isolationLevel = options.isolationLevel ?? 'read_uncommitted'
    if (isolationLevel !== 'read_committed' && isolationLevel !== 'read_uncommitted') {
      throw invalidOption('consumer options.isolationLevel', "must be 'read_committed' or 'read_uncommitted'")
    }
    this.#dispatcher = dispatcher
    this.#check = check
    this.#maxWaitMs = maxWaitMs
    this.#maxPartitionBytes = maxPartitionBytes
    this.#reset = reset
    this.#isolation = isolationLevel === 'read_committed' ? 1 : 0
    this.#group = group
  }

  /** The group's member id once joined ('' before), for logs and tests. */
  get memberId (): string { return this.#member?.memberId ?? '' }

  /** The consumer group (options.groupId), null without one: a transactional producer's sendOffsets names it. */
  get groupId (): string | null { return this.#group?.groupId ?? null }

  /** The partitions the group gave this consumer in the current generation. */
  assignment (): Array<{ topic: string, partitions: number[] }> {
    return (this.#member?.assignment ?? []).map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] }))
  }

  /**
   * Joins the consumer group (options.groupId) for `topics`; the group's leader splits their
   * partitions among the members. Calling it again changes the subscription (a rebalance follows).
   */
  subscribe (request: { topics: string[] }): void {
    this.#assertOpen()
    const group = this.#group
    if (group === null) throw invalidOption('subscribe()', 'needs a consumer created with options.groupId')
    if (this.#mode === 'assign') throw invalidOption('subscribe()', 'cannot be used after assign(): a consumer either subscribes or assigns')
    if (request === null || typeof request !== 'object' || !Array.isArray(request.topics) || request.topics.length === 0) throw invalidOption('subscribe()', 'takes { topics: string[] } with at least one topic')
    for (const [i, t] of request.topics.entries()) if (typeof t !== 'string' || t === '') throw invalidOption(`subscribe() topics[${i}]`, 'must be a non-empty string')
    this.#check?.(CHECKS.joinGroup.group, group.groupId)
    for (const t of request.topics) this.#check?.(CHECKS.fetch.topic, t)
    this.#mode = 'subscribe'
    this.#member ??= new GroupMember(() => this.#coordinator(), {
      groupId: group.groupId,
      groupInstanceId: group.groupInstanceId,
      clientId: group.clientId,
      sessionTimeoutMs: group.sessionTimeoutMs,
      rebalanceTimeoutMs: group.rebalanceTimeoutMs,
      heartbeatIntervalMs: group.heartbeatIntervalMs,
      assignors: group.assignors.map((name) => assignorByName(name)!)
    }, {
      revoke: () => this.#revoke(),
      assigned: (partitions) => this.#assigned(partitions),
      partitionCounts: (topics) => {
        const counts = new Map<string, number>()
        for (const t of topics) {
          const n = this.#dispatcher.topic(t)?.partitions.length
          if (n !== undefined) counts.set(t, n)
        }
        return counts
      }
    })
    this.#member.subscribe([...new Set(request.topics)])
    if (group.autoCommit && this.#autoCommitTimer === null) {
      this.#autoCommitTimer = setInterval(() => { void this.#commitPositions().catch(() => {}) }, group.autoCommitIntervalMs)
      this.#autoCommitTimer.unref()
    }
  }

  #coordinator (): Promise<CoordinatorApi> {
    return this.#dispatcher.coordinator()
  }

  /** Before a rebalance: commit what was read (auto-commit), then drop the positions. */
  async #revoke (): Promise<void> {
    try {
      if (this.#group?.autoCommit === true) await this.#commitPositions()
    } finally {
      this.#positions = []
    }
  }

  /** A new generation's partitions start at their committed offsets, else at autoOffsetReset. */
  async #assigned (partitions: TopicPartitions[]): Promise<void> {
    const committed = partitions.length === 0 ? new Map<string, { offset: number }>() : await this.#member!.committed(partitions)
    const positions: Position[] = []
    this.#lastCommitted.clear()
    for (const tp of partitions) {
      for (const partition of tp.partitions) {
        const p = this.#dispatcher.partition(tp.topic, partition)
        if (p === undefined) continue // deleted since the leader assigned it
        const key = `${tp.topic}\0${partition}`
        const c = committed.get(key)?.offset ?? -1
        if (c >= 0) this.#lastCommitted.set(key, c)
        positions.push({ p, offset: c >= 0 ? c : this.#reset === 'none' ? NO_OFFSET : this.#reset })
      }
    }
    this.#positions = positions
  }

  /**
   * Commits offsets for the group: `offsets` (each the next offset to read), or without them
   * the current position of every assigned partition.
   */
  async commit (offsets?: CommitOffset[]): Promise<void> {
    this.#assertOpen()
    if (this.#member === null) throw invalidOption('commit()', 'needs a consumer that subscribed with a groupId')
    if (offsets === undefined) return await this.#commitPositions(true)
    if (!Array.isArray(offsets)) throw invalidOption('commit()', 'takes an array of { topic, partition, offset, metadata }')
    const list: OffsetToCommit[] = []
    for (const [i, o] of offsets.entries()) {
      if (o === null || typeof o !== 'object') throw invalidOption(`commit() offsets[${i}]`, 'must be an object')
      const p = this.#partition(o.topic, o.partition)
      const offset = startOffset(o.offset, `commit() offsets[${i}].offset`)
      if (typeof offset !== 'number') throw invalidOption(`commit() offsets[${i}].offset`, 'must be a non-negative integer (bigint or number)')
      if (o.metadata !== undefined && o.metadata !== null && typeof o.metadata !== 'string') throw invalidOption(`commit() offsets[${i}].metadata`, 'must be a string or null')
      list.push({ topic: p.topic, partition: p.partition, offset, metadata: o.metadata ?? null })
    }
    await this.#member.commit(list)
    for (const o of list) this.#lastCommitted.set(`${o.topic}\0${o.partition}`, o.offset)
  }

  /** Commits positions that moved since the last commit (all of them when `all`). */
  async #commitPositions (all = false): Promise<void> {
    const member = this.#member
    if (member === null || !member.stable) return
    const list: OffsetToCommit[] = []
    for (const pos of this.#positions) {
      if (typeof pos.offset !== 'number' || pos.offset < 0) continue
      const key = `${pos.p.topic}\0${pos.p.partition}`
      if (!all && this.#lastCommitted.get(key) === pos.offset) continue
      list.push({ topic: pos.p.topic, partition: pos.p.partition, offset: pos.offset, metadata: null })
    }
    await member.commit(list)
    for (const o of list) this.#lastCommitted.set(`${o.topic}\0${o.partition}`, o.offset)
  }

  #assertOpen (): void {
    if (this.#closed) throw new MillraceError('MR_ERR_CLOSED', 'the consumer is closed')
  }

  /** Replaces the assignment. Throws for unknown topics or partitions and bad offsets. */
  assign (assignments: Assignment[]): void {
    if (!Array.isArray(assignments)) throw invalidOption('assign()', 'takes an array of { topic, partition, offset }')
    if (this.#mode === 'subscribe') throw invalidOption('assign()', 'cannot be used after subscribe(): the group assigns the partitions')
    const positions: Position[] = []
    for (const [i, a] of assignments.entries()) {
      if (a === null || typeof a !== 'object') throw invalidOption(`assignments[${i}]`, 'must be an object')
      this.#check?.(CHECKS.fetch.topic, a.topic)
      positions.push({ p: this.#partition(a.topic, a.partition), offset: startOffset(a.offset ?? 'earliest', `assignments[${i}].offset`) })
    }
    this.#positions = positions
    this.#mode = 'assign'
  }

  /** Moves one assigned partition's position. */
  seek (target: { topic: string, partition: number, offset: StartOffset }): void {
    const p = this.#partition(target.topic, target.partition)
    const position = this.#positions.find((pos) => pos.p === p)
    if (position === undefined) throw invalidOption('seek()', `${target.topic}-${target.partition} is not assigned`)
    position.offset = startOffset(target.offset, 'seek offset')
  }

  /** The next offset to be read per assigned partition. */
  positions (): Array<{ topic: string, partition: number, offset: bigint | string }> {
    return this.#positions.map((pos) => ({ topic: pos.p.topic, partition: pos.p.partition, offset: typeof pos.offset === 'number' ? BigInt(pos.offset) : pos.offset }))
  }

  #partition (topic: string, partition: number): PartitionState {
    const t = this.#dispatcher.topic(topic)
    if (t === undefined) throw new MillraceError('MR_ERR_UNKNOWN_TOPIC', `unknown topic '${String(topic)}'`)
    const p = Number.isInteger(partition) ? t.partitions[partition] : undefined
    if (p === undefined) throw new MillraceError('MR_ERR_UNKNOWN_PARTITION', `partition ${String(partition)} does not exist: topic '${topic}' has ${t.partitions.length} partitions`)
    return p
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<ConsumerMessage> {
    while (!this.#closed) {
      const batch = await this.poll()
      for (const m of batch) yield m
    }
  }

  /**
   * Fetch rounds over every assigned partition until one returns records: a round that finds
   * nothing waits up to maxWaitMs for an append, then the next starts. Resolves [] only when the
   * consumer closes, when maxWaitMs is 0, or while a group member has no partitions.
   */
  async poll (): Promise<ConsumerMessage[]> {
    for (;;) {
      if (this.#closed) return []
      if (this.#member !== null) {
        try {
          await this.#member.whenStable()
        } catch (err) {
          if (this.#closed) return []
          throw err
        }
        if (this.#positions.length === 0) {
          // More members than partitions: this one idles until a rebalance gives it some.
          await new Promise((resolve) => setTimeout(resolve, this.#maxWaitMs))
          return []
        }
      } else if (this.#positions.length === 0) {
        throw new MillraceError('MR_ERR_INVALID_OPTION', 'the consumer has no assigned partitions; call assign() or subscribe() first')
      }
      const positions = this.#positions
      const watched = positions.map((pos) => pos.p)
      const seen = this.#dispatcher.appendCounts(watched)
      const rounds = await Promise.all(positions.map((pos) => this.#fetchOne(pos)))
      // A rebalance during the fetch gave these partitions away: what was read is not ours to
      // return, and positions move only here, so a commit never covers records not returned.
      if (this.#positions !== positions) continue
      const out: ConsumerMessage[] = []
      for (let i = 0; i < rounds.length; i++) {
        const round = rounds[i]
        if (round === null) continue
        if (positions[i].offset === round.from) positions[i].offset = round.next // unless seek() moved it meanwhile
        for (const m of round.messages) out.push(m)
      }
      if (out.length > 0 || this.#maxWaitMs === 0) return out
      await this.#dispatcher.waitForData(watched, this.#maxWaitMs, seen)
    }
  }

  /** The position to fetch from; null while the partition cannot answer yet (a retriable status: next round). */
  async #resolve (pos: Position): Promise<number | null> {
    if (pos.offset === NO_OFFSET) throw new MillraceError('MR_ERR_OFFSET_OUT_OF_RANGE', `group '${this.#group!.groupId}' has no committed offset for ${pos.p.topic}-${pos.p.partition} and autoOffsetReset is 'none'`)
    if (typeof pos.offset === 'number') return pos.offset
    const answer = await this.#dispatcher.listOffset(pos.p, pos.offset === 'earliest' ? LIST_OFFSET_EARLIEST : LIST_OFFSET_LATEST, this.#isolation)
    // A partition just created or whose worker restarts is not online yet: try again next round.
    if (isRetriable(answer.status)) return null
    if (answer.status !== LogStatus.Ok) throw statusError(answer.status, `list offsets of ${pos.p.topic}-${pos.p.partition}`)
    pos.offset = answer.offset
    return answer.offset
  }

  /** One partition's fetch: its messages and the position after them, or null when nothing was read. */
  async #fetchOne (pos: Position): Promise<FetchRound | null> {
    const p = pos.p
    const offset = await this.#resolve(pos)
    if (offset === null) return null
    const answer = await this.#dispatcher.fetch(p, offset, this.#maxPartitionBytes, this.#isolation)
    if (answer.status === LogStatus.OffsetOutOfRange && this.#reset !== 'none') {
      if (pos.offset === offset) pos.offset = this.#reset
      return null
    }
    if (isRetriable(answer.status)) return null // the worker restarts; the next round retries
    if (answer.status !== LogStatus.Ok) throw statusError(answer.status, `fetch ${p.topic}-${p.partition} at offset ${offset}`)
    const bytes = answer.bytes!
    countOut(p, bytes)
    const out: ConsumerMessage[] = []
    const decode = { maxInflatedBytes: this.#maxInflatedBytes(p.topic) }
    let next = offset
    const filter = new AbortedFilter(answer.abortedTransactions ?? NO_ABORTS)
    for (let at = 0; at < bytes.length;) {
      const size = batchSizeAt(bytes, at)
      if (size < 0 || at + size > bytes.length) break
      if (!filter.skip(bytes, at)) {
        try {
          forEachRecord(bytes, at, (recordOffset, timestamp, key, value, headers) => {
            // A fetch starts at the batch holding `offset`: skip the records before it.
            if (recordOffset >= offset) out.push(toMessage(p, recordOffset, timestamp, key, value, headers))
          }, decode)
        } catch (err) {
          if (!(err instanceof RecordBatchError)) throw err
          // A batch stored before the broker validated records, or damaged on disk: say where, do not loop on it.
          throw new MillraceError('MR_ERR_CORRUPT_BATCH',
            `fetch ${p.topic}-${p.partition}: the batch at offset ${baseOffsetOf(bytes, at)} cannot be read (${err.reason}): ${err.message}`, { cause: err })
        }
      }
      next = Math.max(next, baseOffsetOf(bytes, at) + lastOffsetDeltaOf(bytes, at) + 1)
      at += size
    }
    return { messages: out, from: offset, next }
  }

  /** The topic's cap on a batch's decompressed size, as the broker applied it on produce. */
  #maxInflatedBytes (topic: string): number {
    const setting = this.#dispatcher.topic(topic)?.overrides['max.message.bytes'] ?? this.#dispatcher.config.topicDefaults['max.message.bytes']
    const maxMessageBytes = setting === undefined ? NaN : Number(setting)
    return Number.isInteger(maxMessageBytes) && maxMessageBytes > 0 ? inflateLimit(maxMessageBytes) : DEFAULT_MAX_INFLATED_BYTES
  }

  /** Commits positions (auto-commit), leaves the group and stops polling. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#autoCommitTimer !== null) clearInterval(this.#autoCommitTimer)
    this.#autoCommitTimer = null
    // Its revoke hook commits while the member still holds the partitions.
    await this.#member?.close()
  }
}

/** Position of a group partition without a committed offset when autoOffsetReset is 'none'. */
const NO_OFFSET = -1

function groupSettings (options: ConsumerOptions): GroupSettings | null {
  if (options.groupId === undefined) {
    for (const key of GROUP_ONLY_OPTIONS) if (options[key] !== undefined) throw invalidOption(`consumer options.${key}`, 'needs options.groupId')
    return null
  }
  if (typeof options.groupId !== 'string' || options.groupId === '') throw invalidOption('consumer options.groupId', 'must be a non-empty string')
  const groupInstanceId = options.groupInstanceId ?? null
  if (groupInstanceId !== null && (typeof groupInstanceId !== 'string' || groupInstanceId === '')) throw invalidOption('consumer options.groupInstanceId', 'must be a non-empty string or null')
  const clientId = options.clientId ?? 'millrace'
  if (typeof clientId !== 'string') throw invalidOption('consumer options.clientId', 'must be a string')
  const autoCommit = options.autoCommit ?? true
  if (typeof autoCommit !== 'boolean') throw invalidOption('consumer options.autoCommit', 'must be a boolean')
  const ms = (key: 'autoCommitIntervalMs' | 'sessionTimeoutMs' | 'rebalanceTimeoutMs' | 'heartbeatIntervalMs', fallback: number): number => {
    const v = options[key] ?? fallback
    if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) throw invalidOption(`consumer options.${key}`, 'must be an integer from 1 to 2147483647')
    return v
  }
  const autoCommitIntervalMs = ms('autoCommitIntervalMs', 5000)
  const sessionTimeoutMs = ms('sessionTimeoutMs', 45_000)
  const rebalanceTimeoutMs = ms('rebalanceTimeoutMs', 300_000)
  const heartbeatIntervalMs = ms('heartbeatIntervalMs', 3000)
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw invalidOption('consumer options.heartbeatIntervalMs', `must be below sessionTimeoutMs (${sessionTimeoutMs})`)
  const assignors = options.assignors ?? [...ASSIGNOR_NAMES]
  if (!Array.isArray(assignors) || assignors.length === 0) throw invalidOption('consumer options.assignors', `must be a non-empty array of ${ASSIGNOR_NAMES.map((n) => `'${n}'`).join(', ')}`)
  for (const [i, name] of assignors.entries()) {
    if (assignorByName(name) === undefined) throw invalidOption(`consumer options.assignors[${i}]`, `must be one of ${ASSIGNOR_NAMES.map((n) => `'${n}'`).join(', ')}`)
  }
  return { groupId: options.groupId, groupInstanceId, clientId, autoCommit, autoCommitIntervalMs, sessionTimeoutMs, rebalanceTimeoutMs, heartbeatIntervalMs, assignors: [...new Set(assignors)] }
}

/** Shared by every message without headers; frozen so no caller can fill it for the others. */
const NO_HEADERS: Record<string, Buffer | null> = Object.freeze({}) as Record<string, Buffer | null>

function toMessage (p: PartitionState, offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, recordHeaders: Array<[string, Buffer | null]>): ConsumerMessage {
  let headers = NO_HEADERS
  if (recordHeaders.length > 0) {
    headers = {}
    for (const [k, v] of recordHeaders) headers[k] = v
  }
  return { topic: p.topic, partition: p.partition, offset: BigInt(offset), key, value, headers, timestamp }
}

function startOffset (offset: StartOffset, path: string): number | 'earliest' | 'latest' {
  if (offset === 'earliest' || offset === 'latest') return offset
  if (typeof offset === 'bigint') {
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidOption(path, 'must be a non-negative offset')
    return Number(offset)
  }
  if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset
  throw invalidOption(path, "must be a non-negative integer (bigint or number), 'earliest' or 'latest'")
}
