/**
 * What the replication cases look at besides the ledger: the broker's view of each partition's
 * replicas (`describeTopic`), its fault hooks (`broker.faults`), and the replicas' log bytes on
 * disk, which must be identical below the high watermark.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { Broker, ReplicaView, TopicDescription } from '../../src/index.js'
import { replicaDirName } from '../../src/partition/partition-spec.js'

/** A partition as `broker.describeTopic` describes it, replicas included. */
export type ReplicatedPartitionView = TopicDescription['partitions'][number]

/** The topic's partitions with their replicas (`broker.describeTopic`). */
export async function partitionsOf (broker: Broker, topic: string): Promise<ReplicatedPartitionView[]> {
  return (await broker.describeTopic(topic)).partitions
}

export function leaderOf (p: ReplicatedPartitionView): ReplicaView {
  const leader = p.replicas.find((r) => r.leader)
  if (leader === undefined) throw new Error(`partition ${p.partition} has no leader`)
  return leader
}

/**
 * Waits until `check` holds on the topic's partitions; false after `timeoutMs`. A describe that
 * fails (a worker died under it) counts as not yet.
 */
export async function waitForPartitions (broker: Broker, topic: string, check: (ps: ReplicatedPartitionView[]) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const ps = await partitionsOf(broker, topic).catch(() => null)
    if (ps !== null && check(ps)) return true
    if (performance.now() > deadline) return false
    await delay(25)
  }
}

/** Every replica online and in sync, all at one log end offset equal to the high watermark. */
export function fullyInSync (ps: ReplicatedPartitionView[], replicationFactor: number): boolean {
  return ps.every((p) => p.replicas.length === replicationFactor &&
    p.replicas.every((r) => r.online && r.inSync && r.logEndOffset !== null && BigInt(r.logEndOffset) === p.highWatermark))
}

export function inSyncCount (p: ReplicatedPartitionView): number {
  return p.replicas.filter((r) => r.inSync).length
}

// --- bytes on disk

/**
 * The replica's log bytes from its first segment up to the batch holding `highWatermark - 1`,
 * segments concatenated in offset order, so replicas that rolled segments at other points still
 * compare equal. Throws when the log ends before the high watermark.
 */
export function logBytesBelow (dir: string, highWatermark: bigint): Buffer {
  const segments = readdirSync(dir).filter((n) => /^\d{20}\.log$/.test(n)).sort()
  const parts: Buffer[] = []
  let next = -1n
  for (const name of segments) {
    const bytes = readFileSync(join(dir, name))
    let pos = 0
    while (pos + 61 <= bytes.length) {
      const base = bytes.readBigInt64BE(pos)
      const size = 12 + bytes.readInt32BE(pos + 8)
      if (base >= highWatermark || size <= 12 || pos + size > bytes.length) break
      parts.push(bytes.subarray(pos, pos + size))
      next = base + BigInt(bytes.readInt32BE(pos + 23)) + 1n
      pos += size
    }
  }
  if (highWatermark > 0n && next < highWatermark) throw new Error(`${dir} ends at offset ${next} below the high watermark ${highWatermark}`)
  return Buffer.concat(parts)
}

/** The batch of `bytes` (batches back to back) holding byte `at`, in words. */
function batchAt (bytes: Buffer, at: number): string {
  let pos = 0
  while (pos + 61 <= bytes.length) {
    const size = 12 + bytes.readInt32BE(pos + 8)
    if (at < pos + size) {
      return `the batch at offset ${bytes.readBigInt64BE(pos)} (${bytes.readInt32BE(pos + 23) + 1} records, leader epoch ${bytes.readInt32BE(pos + 12)}, producer ${bytes.readBigInt64BE(pos + 43)} seq ${bytes.readInt32BE(pos + 53)})`
    }
    pos += size
  }
  return 'nothing there'
}

/** Index of the first differing byte, or -1 when `a` and `b` are identical. */
export function firstDifference (a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : n
}

/**
 * Compares every replica's bytes below the high watermark with the leader's; returns the
 * problems in words. The comparison checks itself on a copy of the leader's bytes with one byte
 * flipped, so a blind comparison fails the case.
 */
export function compareReplicaBytes (topic: string, ps: ReplicatedPartitionView[]): string[] {
  const problems: string[] = []
  for (const p of ps) {
    const leader = leaderOf(p)
    const dirOf = (r: ReplicaView): string => join(r.dataDir!, replicaDirName(topic, p.partition, r.replica))
    let reference: Buffer
    try {
      reference = logBytesBelow(dirOf(leader), p.highWatermark)
    } catch (err) {
      problems.push(`partition ${p.partition}: leader: ${(err as Error).message}`)
      continue
    }
    if (reference.length === 0) { problems.push(`partition ${p.partition}: nothing below the high watermark to compare`); continue }
    const flipped = Buffer.from(reference)
    const middle = flipped.length >> 1
    flipped[middle] = flipped[middle]! ^ 0xff
    if (firstDifference(reference, flipped) === -1) problems.push('the replica byte comparison is blind')
    for (const r of p.replicas) {
      if (r === leader) continue
      try {
        const bytes = logBytesBelow(dirOf(r), p.highWatermark)
        const at = firstDifference(reference, bytes)
        if (at !== -1) {
          problems.push(`partition ${p.partition}: replica ${r.replica} differs from the leader (replica ${leader.replica}) below the high watermark ${p.highWatermark} at byte ${at}: ` +
            `leader has ${batchAt(reference, at)}, replica ${r.replica} has ${batchAt(bytes, at)}`)
        }
      } catch (err) {
        problems.push(`partition ${p.partition}: replica ${r.replica}: ${(err as Error).message}`)
      }
    }
  }
  return problems
}
