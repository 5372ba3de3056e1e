/**
 * The small metadata files beside a partition's segments: `partition.metadata` (Kafka's
 * format: the topic id) and `topic.config` (the topic's config overrides, JSON). They let a
 * broker rebuild its topic table from the data dir alone. Written atomically (tmp, fsync, rename).
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export const PARTITION_METADATA_FILE = 'partition.metadata'
export const TOPIC_CONFIG_FILE = 'topic.config'

export function writeFileAtomic (path: string, text: string): void {
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/**
 * Kafka keeps topic ids as base64url of the 16 bytes; so do we on disk. A replicated topic adds
 * `replicas: RF`; a single copy writes Kafka's two lines only, as before replication.
 */
export function writePartitionMetadata (dir: string, topicIdHex: string, replicas = 1): void {
  const encoded = Buffer.from(topicIdHex, 'hex').toString('base64url')
  writeFileAtomic(join(dir, PARTITION_METADATA_FILE), `version: 0\ntopic_id: ${encoded}\n${replicas > 1 ? `replicas: ${replicas}\n` : ''}`)
}

/** The topic id a partition directory belongs to and its topic's replication factor (1 when not written), or why it cannot be told. */
export type PartitionMetadata = { topicId: string, replicas: number, problem: null } | { topicId: null, replicas: null, problem: string }

/**
 * Reads `partition.metadata`. A file that is missing, unreadable or not in Kafka's format gives
 * a problem, never a guess: without the topic id the directory cannot be matched to its topic.
 */
export function readPartitionMetadata (dir: string): PartitionMetadata {
  let text: string
  try {
    text = readFileSync(join(dir, PARTITION_METADATA_FILE), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return unreadable(code === 'ENOENT' ? `${PARTITION_METADATA_FILE} is missing` : `${PARTITION_METADATA_FILE} cannot be read (${code ?? String(err)})`)
  }
  if (!/^version:\s*0\s*$/m.test(text)) return unreadable(`${PARTITION_METADATA_FILE} has no 'version: 0' line`)
  const match = /^topic_id:\s*(\S+)\s*$/m.exec(text)
  if (match === null) return unreadable(`${PARTITION_METADATA_FILE} has no topic_id line`)
  const bytes = Buffer.from(match[1], 'base64url')
  if (bytes.length !== 16 || bytes.toString('base64url') !== match[1].replace(/=+$/, '')) {
    return unreadable(`${PARTITION_METADATA_FILE} holds '${match[1].slice(0, 40)}', not a 16-byte base64url topic id`)
  }
  const replicas = /^replicas:\s*(\S+)\s*$/m.exec(text)
  if (replicas === null) return { topicId: bytes.toString('hex'), replicas: 1, problem: null }
  const count = Number(replicas[1])
  if (!Number.isSafeInteger(count) || count < 1) return unreadable(`${PARTITION_METADATA_FILE} holds replicas '${replicas[1].slice(0, 40)}', not a count ≥ 1`)
  return { topicId: bytes.toString('hex'), replicas: count, problem: null }
}

function unreadable (problem: string): PartitionMetadata {
  return { topicId: null, replicas: null, problem }
}

/**
 * Whether a partition directory holds anything beyond the temp files of an unfinished create:
 * such a directory is never created over, and never skipped at start.
 */
export function holdsPartitionData (dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => !name.endsWith('.tmp'))
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

export function writeTopicConfig (dir: string, overrides: Readonly<Record<string, string>>): void {
  writeFileAtomic(join(dir, TOPIC_CONFIG_FILE), JSON.stringify(overrides) + '\n')
}

/** A partition's topic config overrides, or why they cannot be trusted. */
export type TopicConfigRead = { overrides: Record<string, string>, problem: null } | { overrides: null, problem: string }

/**
 * Reads `topic.config`. A missing file means no overrides; a file that does not parse is a
 * problem, never `{}`: a compacted topic read as a plain one would let retention delete its records.
 */
export function readTopicConfig (dir: string): TopicConfigRead {
  let text: string
  try {
    text = readFileSync(join(dir, TOPIC_CONFIG_FILE), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { overrides: {}, problem: null }
    return { overrides: null, problem: `${TOPIC_CONFIG_FILE} cannot be read (${code ?? String(err)})` }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { overrides: null, problem: `${TOPIC_CONFIG_FILE} is not valid JSON` }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { overrides: null, problem: `${TOPIC_CONFIG_FILE} does not hold a JSON object` }
  const overrides: Record<string, string> = {}
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') return { overrides: null, problem: `${TOPIC_CONFIG_FILE} gives '${k}' a value that is not a string` }
    overrides[k] = v
  }
  return { overrides, problem: null }
}
