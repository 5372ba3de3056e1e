/**
 * `millrace topics create|list|describe|delete|alter`: topic administration over standard
 * Kafka APIs (Metadata, CreateTopics, DeleteTopics, ListOffsets, DescribeConfigs,
 * IncrementalAlterConfigs, DescribeLogDirs), so it works against any Kafka broker.
 */
import { ApiKey } from '../protocol/api-keys.js'
import type { CreateTopicsResponse } from '../protocol/apis/create-topics.js'
import type { DeleteTopicsResponse } from '../protocol/apis/delete-topics.js'
import type { DescribeConfigsResponse } from '../protocol/apis/describe-configs.js'
import type { IncrementalAlterConfigsResponse } from '../protocol/apis/incremental-alter-configs.js'
import { ZERO_UUID } from '../protocol/apis/codec-util.js'
import { KafkaCode } from '../protocol/error-codes.js'
import { COMMON_HELP, COMMON_OPTIONS, intFlag, parseConfigPairs, parseFlags, usageError, type ParsedFlags } from './args.js'
import { replicaLagging, replicaLine, topicPlacement } from './log-dirs.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, topicError, withClient, type KafkaClient } from './kafka-client.js'

export const TOPICS_USAGE = `Usage: millrace topics <subcommand> [options]

Subcommands:
  create NAME [--partitions N] [--replication-factor N] [--config KEY=VALUE ...]
                     create a topic (partitions and replication factor default to the broker's)
  list               print every topic name, one per line
  describe NAME      partitions with leader, replicas, in-sync replicas, earliest and latest
                     offsets, leader epoch, and the configs set on the topic; under each
                     partition its copies (data dir, size, lag), marked UNDER-REPLICATED
                     when one is offline or behind the leader
  delete NAME        delete a topic
  alter NAME [--config KEY=VALUE ...] [--delete-config KEY ...]
                     set or remove topic configs (IncrementalAlterConfigs)

Options:
${COMMON_HELP}
`

const COMMAND = 'topics'

/** DescribeConfigs / IncrementalAlterConfigs resource type of a topic. */
const RESOURCE_TOPIC = 2
/** DescribeConfigs config source of a value set on the topic itself (DYNAMIC_TOPIC_CONFIG). */
const SOURCE_TOPIC_CONFIG = 1
/** IncrementalAlterConfigs operations. */
const OP_SET = 0
const OP_DELETE = 1

const OPTIONS = {
  ...COMMON_OPTIONS,
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  config: { type: 'string', multiple: true },
  'delete-config': { type: 'string', multiple: true }
} as const

type Flags = ParsedFlags<typeof OPTIONS>['values']

/** Allowed flags per subcommand, beyond the common ones. */
const SUBCOMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  create: ['partitions', 'replication-factor', 'config'],
  list: [],
  describe: [],
  delete: [],
  alter: ['config', 'delete-config']
}

function out (text: string): void { process.stdout.write(text) }

export async function runTopics (argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, COMMAND)
  if (values.help === true) { out(TOPICS_USAGE); return }
  const [sub, ...names] = positionals
  if (sub === undefined) throw usageError('a subcommand is required: create, list, describe, delete or alter', COMMAND)
  const allowed = SUBCOMMAND_FLAGS[sub]
  if (allowed === undefined) throw usageError(`unknown subcommand '${sub}'`, COMMAND)
  for (const flag of Object.keys(values)) {
    if (!(flag in COMMON_OPTIONS) && !allowed.includes(flag)) throw usageError(`--${flag} does not apply to 'topics ${sub}'`, COMMAND)
  }
  if (sub === 'list') {
    if (names.length > 0) throw usageError(`'topics list' takes no arguments, got '${names[0]}'`, COMMAND)
  } else if (names.length !== 1) {
    throw usageError(`'topics ${sub}' takes exactly one topic name`, COMMAND)
  }
  const name = names[0]
  await withClient(values, COMMAND, async (client) => {
    switch (sub) {
      case 'create': return await create(client, name, values)
      case 'list': return await list(client)
      case 'describe': return await describe(client, name)
      case 'delete': return await remove(client, name)
      case 'alter': return await alter(client, name, values)
    }
  })
}

async function create (client: KafkaClient, name: string, values: Flags): Promise<void> {
  const configs = parseConfigPairs(values.config, COMMAND)
  const conn = client.bootstrap
  // CreateTopics v4 is the first to accept -1 for "the broker's default".
  const brokerDefaults = (conn.version(ApiKey.CreateTopics) ?? 0) >= 4
  const numPartitions = intFlag('partitions', values.partitions, brokerDefaults ? -1 : 1, 1, 0x7fffffff, COMMAND)
  const replicationFactor = intFlag('replication-factor', values['replication-factor'], brokerDefaults ? -1 : 1, 1, 0x7fff, COMMAND)
  const { response, version } = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
    topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: [...configs].map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: conn.requestTimeoutMs,
    validateOnly: false
  })
  const result = response.topics.find((t) => t.name === name) ?? response.topics[0]
  if (result === undefined) throw topicError(name, 'creating topic', KafkaCode.UNKNOWN_SERVER_ERROR, 'empty response')
  if (result.errorCode === KafkaCode.TOPIC_ALREADY_EXISTS) throw topicError(name, 'creating topic', result.errorCode, `topic '${name}' already exists`)
  if (result.errorCode !== KafkaCode.NONE) throw topicError(name, 'creating topic', result.errorCode, result.errorMessage)
  const count = version >= 5 && result.numPartitions !== undefined && result.numPartitions > 0 ? ` with ${result.numPartitions} partition${result.numPartitions === 1 ? '' : 's'}` : ''
  out(`created topic ${name}${count}\n`)
}

async function list (client: KafkaClient): Promise<void> {
  const res = await client.metadata(null)
  const names = res.topics.filter((t) => t.errorCode === KafkaCode.NONE && t.name !== null).map((t) => t.name!).sort()
  out(names.map((n) => `${n}\n`).join(''))
}

async function describe (client: KafkaClient, name: string): Promise<void> {
  const topic = await client.topic(name)
  const [earliest, latest, configs, placement] = await Promise.all([
    client.offsets(topic, topic.partitions, EARLIEST_TIMESTAMP),
    client.offsets(topic, topic.partitions, LATEST_TIMESTAMP),
    overriddenConfigs(client, name),
    topicPlacement(client, name)
  ])
  // Metadata lists one replica per broker (node 1 on Millrace); the data dirs show every copy.
  const first = topic.partitions[0]
  const copies = first !== undefined && placement.available ? placement.partitions.get(first.partition)?.length ?? 0 : 0
  const replicationFactor = Math.max(first?.replicas.length ?? 0, copies)
  const configText = [...configs].map(([k, v]) => `${k}=${v}`).join(',')
  const lines = [`Topic: ${name}\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configText}`]
  for (const p of topic.partitions) {
    // Replicas from DescribeLogDirs: one under the partition per data dir holding a copy.
    const replicas = placement.available ? placement.partitions.get(p.partition) ?? [] : []
    const marker = replicas.some(replicaLagging) ? '\tUNDER-REPLICATED' : ''
    lines.push(`\tPartition: ${p.partition}\tLeader: ${p.leaderId}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}` +
      `\tEarliest: ${earliest.get(p.partition) ?? '?'}\tLatest: ${latest.get(p.partition) ?? '?'}\tLeaderEpoch: ${p.leaderEpoch}${marker}`)
    for (const r of replicas) lines.push(replicaLine(r))
  }
  out(lines.join('\n') + '\n')
  if (!placement.available) process.stderr.write(`millrace: replica placement not shown: ${placement.reason}\n`)
}

/** Configs set on the topic itself (not broker or built-in defaults), sorted by key. */
async function overriddenConfigs (client: KafkaClient, name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (!client.bootstrap.supports(ApiKey.DescribeConfigs)) return out
  const { response, version } = await client.bootstrap.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
    resources: [{ resourceType: RESOURCE_TOPIC, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false
  })
  const result = response.results[0]
  if (result === undefined) return out
  if (result.errorCode !== KafkaCode.NONE) throw topicError(name, 'describing configs of topic', result.errorCode, result.errorMessage)
  const entries = result.configs
    .filter((c) => version >= 1 ? c.configSource === SOURCE_TOPIC_CONFIG : c.isDefault === false)
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  for (const c of entries) out.set(c.name, c.isSensitive ? '(sensitive)' : c.value ?? '')
  return out
}

async function remove (client: KafkaClient, name: string): Promise<void> {
  const conn = client.bootstrap
  const { response } = await conn.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, {
    topics: [{ name, topicId: ZERO_UUID }],
    topicNames: [name],
    timeoutMs: conn.requestTimeoutMs
  })
  const result = response.responses[0]
  if (result !== undefined && result.errorCode !== KafkaCode.NONE) throw topicError(name, 'deleting topic', result.errorCode, result.errorMessage)
  out(`deleted topic ${name}\n`)
}

async function alter (client: KafkaClient, name: string, values: Flags): Promise<void> {
  const set = parseConfigPairs(values.config, COMMAND)
  const remove = values['delete-config'] ?? []
  if (set.size === 0 && remove.length === 0) throw usageError("'topics alter' needs at least one --config KEY=VALUE or --delete-config KEY", COMMAND)
  for (const key of remove) if (set.has(key)) throw usageError(`'${key}' is both set and deleted`, COMMAND)
  const { response } = await client.bootstrap.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
    resources: [{
      resourceType: RESOURCE_TOPIC,
      resourceName: name,
      configs: [
        ...[...set].map(([k, v]) => ({ name: k, configOperation: OP_SET, value: v })),
        ...remove.map((k) => ({ name: k, configOperation: OP_DELETE, value: null }))
      ]
    }],
    validateOnly: false
  })
  const result = response.responses[0]
  if (result !== undefined && result.errorCode !== KafkaCode.NONE) throw topicError(name, 'altering configs of topic', result.errorCode, result.errorMessage)
  out(`altered configs of topic ${name}\n`)
}
