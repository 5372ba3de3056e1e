/**
 * The producing loop the peers share: groups of records handed to the peer's client
 * (pipelined or published together), several groups in flight, flat out or at a rate.
 */
import { randomBytes } from 'node:crypto'
import type { ProduceJob } from './driver.js'
import type { BenchOptions } from './options.js'
import { writeStamp } from './stamp.js'

/** Records per group handed to the client at once when flat out. */
export const PEER_GROUP = 1000

export async function peerProduce (job: ProduceJob, recordBytes: number, sendGroup: (values: Buffer[]) => Promise<void>, options: BenchOptions): Promise<number> {
  const value = randomBytes(recordBytes)
  const fixed = Array.from({ length: PEER_GROUP }, () => value)
  const quota = job.records ?? Infinity
  const start = performance.now()
  const deadline = job.durationMs === undefined ? Infinity : start + job.durationMs
  let sent = 0
  let acked = 0
  const inFlight = new Set<Promise<void>>()
  let failure: Error | null = null
  const values = (n: number): Buffer[] => {
    if (!job.stamp) return n === PEER_GROUP ? fixed : fixed.slice(0, n)
    return Array.from({ length: n }, () => { const v = Buffer.from(value); writeStamp(v); return v })
  }
  const send = (n: number): void => {
    sent += n
    const p = sendGroup(values(n)).then(() => { acked += n; job.meter.produced += n }, (err: Error) => { failure ??= err })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  }
  while (failure === null && sent < quota && performance.now() < deadline) {
    if (job.rate === undefined) {
      send(Math.min(PEER_GROUP, quota - sent))
      if (inFlight.size >= options.inFlight) await Promise.race(inFlight)
    } else {
      const due = Math.min(quota, Math.floor((performance.now() - start) / 1000 * job.rate)) - sent
      if (due > 0) send(due)
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, options.lingerMs)))
    }
  }
  await Promise.all(inFlight)
  if (failure !== null) throw failure
  return acked
}
