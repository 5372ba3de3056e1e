/**
 * What the replication cases look at besides the ledger: the broker's view of each partition's
 * replicas (`describeTopic`), its fault hooks (`broker.faults`), and the replicas' log bytes on
 * disk, which must be identical below the high watermark.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { Broker } from '../../src/index.js'
import { replicaDirName } from '../../src/partition/partition-spec.js'

export interface ReplicaView {
  replica: number
  worker: number
  dataDir: string | null
  leader: boolean
  inSync: boolean
  online: boolean
  logEndOffset: bigint | number | null
}

export interface ReplicatedPartitionView {
  partition: number
  highWatermark: bigint
  leaderEpoch: number
  replicas: ReplicaView[]
}

export interface BrokerFaults {
  killWorker: (worker: number) => Promise<void>
  hangWorker: (worker: number, ms: number) => Promise<void>
  failDataDir: (dir: string) => Promise<void>
}

/** The replication surface of a broker, as agreed for issue 11. */
export interface ReplicatedBroker {
  faults: BrokerFaults
  describeTopic: (topic: string) => Promise<{ partitions: ReplicatedPartitionView[] }>
}

export function replicated (broker: Broker): ReplicatedBroker {
  return broker as unknown as ReplicatedBroker
}

export async function partitionsOf (broker: Broker, topic: string): Promise<ReplicatedPartitionView[]> {
  return (await replicated(broker).describeTopic(topic)).partitions
}

export function leaderOf (p: ReplicatedPartitionView): ReplicaView {
  const leader = p.replicas.find((r) => r.leader)
  if (leader === undefined) throw new Error(`partition ${p.partition} has no leader`)
  return leader
}

/** Waits until `check` holds on the topic's partitions; false after `timeoutMs`. */
export async function waitForPartitions (broker: Broker, topic: string, check: (ps: ReplicatedPartitionView[]) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (check(await partitionsOf(broker, topic))) return true
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
        const at = firstDifference(reference, logBytesBelow(dirOf(r), p.highWatermark))
        if (at !== -1) problems.push(`partition ${p.partition}: replica ${r.replica} differs from the leader below the high watermark at byte ${at}`)
      } catch (err) {
        problems.push(`partition ${p.partition}: replica ${r.replica}: ${(err as Error).message}`)
      }
    }
  }
  return problems
}
