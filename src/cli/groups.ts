/**
 * `millrace groups list|describe|delete|reset-offsets|delete-offsets`: consumer-group
 * administration over standard Kafka APIs (FindCoordinator, ListGroups, DescribeGroups,
 * OffsetFetch, ListOffsets, OffsetCommit, DeleteGroups, OffsetDelete), so it works against any Kafka broker. Member assignments are
 * decoded with the consumer protocol, as every consumer client writes them.
 */
import { ApiKey } from '../protocol/api-keys.js'
import type { DeleteGroupsResponse } from '../protocol/apis/delete-groups.js'
import type { DescribedGroup, DescribeGroupsResponse } from '../protocol/apis/describe-groups.js'
import type { ListGroupsResponse } from '../protocol/apis/list-groups.js'
import type { OffsetCommitResponse } from '../protocol/apis/offset-commit.js'
import type { OffsetDeleteResponse } from '../protocol/apis/offset-delete.js'
import type { OffsetFetchResponse, OffsetFetchResponsePartition } from '../protocol/apis/offset-fetch.js'
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, type TopicPartitions } from '../protocol/consumer-protocol.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { CliError, COMMON_HELP, COMMON_OPTIONS, intFlag, parseFlags, usageError, type ParsedFlags } from './args.js'
import { describeKafkaError, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, withClient, type KafkaClient, type KafkaConnection } from './kafka-client.js'

export const GROUPS_USAGE = `Usage: millrace groups <subcommand> [options]

Subcommands:
  list               print every consumer group id, one per line (--state adds its state)
  describe GROUP     state, members with their assignments, and per partition the committed
                     offset, the log end offset and the lag
  delete GROUP       delete a group without active members, with its committed offsets
  reset-offsets GROUP --topic TOPIC (--to-earliest | --to-latest | --to-offset N) [--execute]
                     move the group's committed offsets of TOPIC; prints the plan and commits it
                     only with --execute. The group must have no active members.
  delete-offsets GROUP --topic TOPIC [--partitions N,N]
                     delete the group's committed offsets of TOPIC; refused while a member of
                     the group subscribes to TOPIC

Options:
  --state                     (list) print each group's state too
  --topic TOPIC               (reset-offsets) the topic whose offsets move
  --topic TOPIC               (delete-offsets) the topic whose offsets go
  --partitions N,N            (reset-offsets, delete-offsets) only these partitions (default: all)
  --to-earliest, --to-latest  (reset-offsets) the log start or the log end
  --to-offset N               (reset-offsets) offset N, kept within the log's bounds
  --execute                   (reset-offsets) commit the new offsets
${COMMON_HELP}
`

const COMMAND = 'groups'

const OPTIONS = {
  ...COMMON_OPTIONS,
  state: { type: 'boolean' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-offset': { type: 'string' },
  execute: { type: 'boolean' }
} as const

type Flags = ParsedFlags<typeof OPTIONS>['values']

const SUBCOMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  list: ['state'],
  describe: [],
  delete: [],
  'reset-offsets': ['topic', 'partitions', 'to-earliest', 'to-latest', 'to-offset', 'execute'],
  'delete-offsets': ['topic', 'partitions']
}

/** Groups that hold offsets but no live generation: the only ones whose offsets may be reset. */
const INACTIVE_STATES = new Set(['Empty', 'Dead'])

function out (text: string): void { process.stdout.write(text) }

export async function runGroups (argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) { out(GROUPS_USAGE); return }
  const [sub, ...names] = positionals
  if (sub === undefined) throw usageError('a subcommand is required: list, describe, delete, reset-offsets or delete-offsets', COMMAND)
  const allowed = SUBCOMMAND_FLAGS[sub]
  if (allowed === undefined) throw usageError(`unknown subcommand '${sub}'`, COMMAND)
  for (const flag of Object.keys(values)) {
    if (!(flag in COMMON_OPTIONS) && !allowed.includes(flag)) throw usageError(`--${flag} does not apply to 'groups ${sub}'`, COMMAND)
  }
  if (sub === 'list') {
    if (names.length > 0) throw usageError(`'groups list' takes no arguments, got '${names[0]}'`, COMMAND)
  } else if (names.length !== 1 || names[0] === '') {
    throw usageError(`'groups ${sub}' takes exactly one group id`, COMMAND)
  }
  const group = names[0]
  const reset = sub === 'reset-offsets' ? resetPlan(values) : null
  const doomed = sub === 'delete-offsets' ? deletePlan(values) : null
  await withClient(values, COMMAND, async (client) => {
    switch (sub) {
      case 'list': return await list(client, values.state === true)
      case 'describe': return await describe(client, group)
      case 'delete': return await remove(client, group)
      case 'reset-offsets': return await resetOffsets(client, group, reset!)
      case 'delete-offsets': return await deleteOffsets(client, group, doomed!)
    }
  })
}

// --- list

async function list (client: KafkaClient, withState: boolean): Promise<void> {
  const groups = new Map<string, string>()
  for (const conn of await client.allBrokers()) {
    const { response } = await conn.request<ListGroupsResponse>(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] })
    if (response.errorCode !== KafkaCode.NONE) throw new CliError(`listing groups on ${conn.address} failed: ${describeKafkaError(response.errorCode)}`)
    for (const g of response.groups) groups.set(g.groupId, g.groupState ?? '')
  }
  const ids = [...groups.keys()].sort()
  out(ids.map((id) => withState ? `${id}\t${groups.get(id) === '' ? '?' : groups.get(id)!}\n` : `${id}\n`).join(''))
}

// --- describe

async function describeGroup (conn: KafkaConnection, group: string): Promise<DescribedGroup> {
  const { response } = await conn.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, { groups: [group], includeAuthorizedOperations: false })
  const g = response.groups.find((x) => x.groupId === group) ?? response.groups[0]
  if (g === undefined) throw new CliError(`describing group '${group}' failed: empty response`)
  if (g.errorCode === KafkaCode.GROUP_ID_NOT_FOUND) throw new CliError(`group '${group}' does not exist`)
  if (g.errorCode !== KafkaCode.NONE) throw new CliError(`describing group '${group}' failed: ${describeKafkaError(g.errorCode)}`)
  return g
}

/** Committed offsets of `group` (null topics = every partition it committed). */
async function committed (conn: KafkaConnection, group: string, topics: Array<{ name: string, partitionIndexes: number[] }> | null): Promise<Map<string, OffsetFetchResponsePartition & { topic: string }>> {
  const version = conn.version(ApiKey.OffsetFetch) ?? 0
  const body = version >= 8 ? { groups: [{ groupId: group, topics }], requireStable: false } : { groupId: group, topics, requireStable: false }
  const { response } = await conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, body)
  const result = version >= 8 ? response.groups?.[0] : { errorCode: response.errorCode ?? KafkaCode.NONE, topics: response.topics ?? [] }
  if (result === undefined) throw new CliError(`fetching committed offsets of group '${group}' failed: empty response`)
  if (result.errorCode !== KafkaCode.NONE) throw new CliError(`fetching committed offsets of group '${group}' failed: ${describeKafkaError(result.errorCode)}`)
  const map = new Map<string, OffsetFetchResponsePartition & { topic: string }>()
  for (const t of result.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== KafkaCode.NONE || p.committedOffset < 0) continue
      map.set(`${t.name}\0${p.partitionIndex}`, { ...p, topic: t.name })
    }
  }
  return map
}

/** Log end offsets (high watermarks) per `topic\0partition`; topics that are gone are left out. */
async function logEndOffsets (client: KafkaClient, topics: Iterable<string>): Promise<Map<string, number>> {
  const ends = new Map<string, number>()
  await Promise.all([...topics].map(async (name) => {
    let info
    try {
      info = await client.topic(name)
    } catch {
      return // deleted since the group committed
    }
    for (const [partition, offset] of await client.offsets(info, info.partitions, LATEST_TIMESTAMP)) ends.set(`${name}\0${partition}`, offset)
  }))
  return ends
}

function assignmentOf (g: DescribedGroup, bytes: Buffer): TopicPartitions[] {
  if (g.protocolType !== CONSUMER_PROTOCOL_TYPE) return []
  try {
    return decodeAssignment(bytes).assignedPartitions
  } catch {
    return []
  }
}

/** Columns padded to their widest cell, two spaces apart. */
function table (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  return [header, ...rows].map((r) => r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i])).join('  ')).join('\n') + '\n'
}

async function describe (client: KafkaClient, group: string): Promise<void> {
  const conn = await client.coordinator(group)
  const [g, offsets] = await Promise.all([describeGroup(conn, group), committed(conn, group, null)])
  if (g.groupState === 'Dead' && offsets.size === 0) throw new CliError(`group '${group}' does not exist`)
  const owner = new Map<string, DescribedGroup['members'][number]>()
  const rows = new Map<string, { topic: string, partition: number }>()
  for (const m of g.members) {
    for (const tp of assignmentOf(g, m.memberAssignment)) {
      for (const p of tp.partitions) {
        owner.set(`${tp.topic}\0${p}`, m)
        rows.set(`${tp.topic}\0${p}`, { topic: tp.topic, partition: p })
      }
    }
  }
  for (const [key, o] of offsets) rows.set(key, { topic: o.topic, partition: o.partitionIndex })
  const ends = await logEndOffsets(client, new Set([...rows.values()].map((r) => r.topic)))
  const sorted = [...rows].sort(([, a], [, b]) => a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)
  const lines = [`Group: ${group}\tState: ${g.groupState}\tProtocolType: ${g.protocolType === '' ? '-' : g.protocolType}\tProtocol: ${g.protocolData === '' ? '-' : g.protocolData}\tMembers: ${g.members.length}`, '']
  let text = lines.join('\n') + '\n'
  text += table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], sorted.map(([key, r]) => {
    const current = offsets.get(key)?.committedOffset
    const end = ends.get(key)
    const m = owner.get(key)
    const lag = current === undefined || end === undefined ? '-' : String(Math.max(0, end - current))
    return [r.topic, String(r.partition), current === undefined ? '-' : String(current), end === undefined ? '-' : String(end), lag, m?.memberId ?? '-', m?.clientHost ?? '-', m?.clientId ?? '-']
  }))
  if (g.members.length > 0) {
    text += '\n' + table(['CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', 'ASSIGNMENT'], g.members.map((m) => {
      const assignment = assignmentOf(g, m.memberAssignment).map((tp) => `${tp.topic}:${tp.partitions.join(',')}`).join(' ')
      return [m.memberId, m.groupInstanceId ?? '-', m.clientHost, m.clientId, assignment === '' ? '-' : assignment]
    }))
  }
  out(text)
}

// --- delete

async function remove (client: KafkaClient, group: string): Promise<void> {
  const conn = await client.coordinator(group)
  const { response } = await conn.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, { groupsNames: [group] })
  const code = (response.results.find((r) => r.groupId === group) ?? response.results[0])?.errorCode ?? KafkaCode.UNKNOWN_SERVER_ERROR
  if (code === KafkaCode.GROUP_ID_NOT_FOUND) throw new CliError(`group '${group}' does not exist`)
  if (code === KafkaCode.NON_EMPTY_GROUP) throw new CliError(`group '${group}' still has active members; stop its consumers first`)
  if (code !== KafkaCode.NONE) throw new CliError(`deleting group '${group}' failed: ${describeKafkaError(code)}`)
  out(`deleted group ${group}\n`)
}

// --- reset-offsets

interface ResetPlan {
  topic: string
  partitions: number[] | null
  to: 'earliest' | 'latest' | number
  execute: boolean
}

function resetPlan (values: Flags): ResetPlan {
  const topic = values.topic
  if (topic === undefined || topic === '') throw usageError("'groups reset-offsets' needs --topic TOPIC", COMMAND)
  const targets = [values['to-earliest'] === true, values['to-latest'] === true, values['to-offset'] !== undefined].filter(Boolean).length
  if (targets !== 1) throw usageError("'groups reset-offsets' needs exactly one of --to-earliest, --to-latest, --to-offset N", COMMAND)
  const to = values['to-earliest'] === true ? 'earliest' : values['to-latest'] === true ? 'latest' : intFlag('to-offset', values['to-offset'], 0, 0, Number.MAX_SAFE_INTEGER, COMMAND)
  return { topic, partitions: partitionsFlag(values), to, execute: values.execute === true }
}

function partitionsFlag (values: Flags): number[] | null {
  if (values.partitions === undefined) return null
  return values.partitions.split(',').map((p) => intFlag('partitions', p, 0, 0, 0x7fffffff, COMMAND))
}

async function resetOffsets (client: KafkaClient, group: string, plan: ResetPlan): Promise<void> {
  const conn = await client.coordinator(group)
  const g = await describeGroup(conn, group)
  if (!INACTIVE_STATES.has(g.groupState)) throw new CliError(`offsets of group '${group}' can only be reset while it has no active members; its state is ${g.groupState}`)
  const info = await client.topic(plan.topic)
  const known = new Set(info.partitions.map((p) => p.partition))
  for (const p of plan.partitions ?? []) if (!known.has(p)) throw new CliError(`topic '${plan.topic}' has no partition ${p}`)
  const chosen = plan.partitions === null ? info.partitions : info.partitions.filter((p) => plan.partitions!.includes(p.partition))
  const [earliest, latest, before] = await Promise.all([
    client.offsets(info, chosen, EARLIEST_TIMESTAMP),
    client.offsets(info, chosen, LATEST_TIMESTAMP),
    committed(conn, group, [{ name: plan.topic, partitionIndexes: chosen.map((p) => p.partition) }])
  ])
  const targets = chosen.map((p) => {
    const start = earliest.get(p.partition) ?? 0
    const end = latest.get(p.partition) ?? 0
    const offset = plan.to === 'earliest' ? start : plan.to === 'latest' ? end : Math.min(Math.max(plan.to, start), end)
    return { partition: p.partition, offset, previous: before.get(`${plan.topic}\0${p.partition}`)?.committedOffset }
  })
  if (plan.execute) {
    const { response } = await conn.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId: group,
      // Generation -1 without a member id: the commit of an admin tool, accepted for a group without members.
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: plan.topic, partitions: targets.map((t) => ({ partitionIndex: t.partition, committedOffset: t.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null })) }]
    })
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== KafkaCode.NONE) throw new CliError(`committing the offset of ${t.name}-${p.partitionIndex} for group '${group}' failed: ${describeKafkaError(p.errorCode)}`)
      }
    }
  }
  let text = table(['GROUP', 'TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'], targets.map((t) => [group, plan.topic, String(t.partition), t.previous === undefined ? '-' : String(t.previous), String(t.offset)]))
  text += plan.execute ? `reset offsets of group ${group} on topic ${plan.topic}\n` : 'dry run: nothing committed; add --execute to commit these offsets\n'
  out(text)
}

// --- delete-offsets

interface DeletePlan {
  topic: string
  partitions: number[] | null
}

function deletePlan (values: Flags): DeletePlan {
  const topic = values.topic
  if (topic === undefined || topic === '') throw usageError("'groups delete-offsets' needs --topic TOPIC", COMMAND)
  return { topic, partitions: partitionsFlag(values) }
}

async function deleteOffsets (client: KafkaClient, group: string, plan: DeletePlan): Promise<void> {
  const conn = await client.coordinator(group)
  const info = await client.topic(plan.topic)
  const known = new Set(info.partitions.map((p) => p.partition))
  for (const p of plan.partitions ?? []) if (!known.has(p)) throw new CliError(`topic '${plan.topic}' has no partition ${p}`)
  const chosen = plan.partitions ?? info.partitions.map((p) => p.partition)
  const { response } = await conn.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, {
    groupId: group,
    topics: [{ name: plan.topic, partitions: chosen.map((partitionIndex) => ({ partitionIndex })) }]
  })
  if (response.errorCode === KafkaCode.GROUP_ID_NOT_FOUND) throw new CliError(`group '${group}' does not exist`)
  if (response.errorCode === KafkaCode.NON_EMPTY_GROUP) throw new CliError(`group '${group}' still has active members; stop them first`)
  if (response.errorCode !== KafkaCode.NONE) throw new CliError(`deleting offsets of group '${group}' failed: ${describeKafkaError(response.errorCode)}`)
  const results = response.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p }))).sort((a, b) => a.partitionIndex - b.partitionIndex)
  out(table(['GROUP', 'TOPIC', 'PARTITION', 'STATUS'], results.map((r) => [group, r.topic, String(r.partitionIndex), r.errorCode === KafkaCode.NONE ? 'deleted' : describeKafkaError(r.errorCode)])))
  const refused = results.filter((r) => r.errorCode !== KafkaCode.NONE)
  if (refused.some((r) => r.errorCode === KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC)) {
    throw new CliError(`group '${group}' still subscribes to topic '${plan.topic}': its offsets stay while it has active members`)
  }
  if (refused.length > 0) throw new CliError(`deleting offsets of group '${group}' failed for ${refused.length} partition(s)`)
  out(`deleted offsets of group ${group} on topic ${plan.topic}\n`)
}
