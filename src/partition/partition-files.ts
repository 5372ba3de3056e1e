/**
 * The small metadata files beside a partition's segments: `partition.metadata` (Kafka's
 * format: the topic id) and `topic.config` (the topic's config overrides, JSON). They let a
 * broker rebuild its topic table from the data dir alone. Written atomically (tmp, fsync, rename).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
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

/** Kafka keeps topic ids as base64url of the 16 bytes; so do we on disk. */
export function writePartitionMetadata (dir: string, topicIdHex: string): void {
  const encoded = Buffer.from(topicIdHex, 'hex').toString('base64url')
  writeFileAtomic(join(dir, PARTITION_METADATA_FILE), `version: 0\ntopic_id: ${encoded}\n`)
}

export function readPartitionMetadata (dir: string): { topicId: string } | null {
  let text: string
  try {
    text = readFileSync(join(dir, PARTITION_METADATA_FILE), 'utf8')
  } catch {
    return null
  }
  const match = /^topic_id:\s*(\S+)\s*$/m.exec(text)
  if (match === null) return null
  const bytes = Buffer.from(match[1], 'base64url')
  return bytes.length === 16 ? { topicId: bytes.toString('hex') } : null
}

export function writeTopicConfig (dir: string, overrides: Readonly<Record<string, string>>): void {
  writeFileAtomic(join(dir, TOPIC_CONFIG_FILE), JSON.stringify(overrides) + '\n')
}

export function readTopicConfig (dir: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, TOPIC_CONFIG_FILE), 'utf8'))
    if (parsed === null || typeof parsed !== 'object') return {}
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v
    return out
  } catch {
    return {}
  }
}
