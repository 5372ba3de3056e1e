/**
 * Checks on what the start-up scan found across the data dirs, before anything is opened: the
 * same replica of a partition in two dirs cannot be settled by guessing which copy is right, so
 * its topic stays offline (as for a topic id conflict) until an operator removes one copy.
 */
import type { DiscoveredPartition, UnloadablePartition } from '../partition/partition-spec.js'

/** Every replica directory that another data dir holds too, each with the problem that names the other copies. */
export function duplicateReplicas (found: readonly DiscoveredPartition[]): UnloadablePartition[] {
  const copies = new Map<string, DiscoveredPartition[]>()
  for (const d of found) {
    const key = `${d.topic}\0${d.partition}\0${d.replica}`
    const list = copies.get(key)
    if (list === undefined) copies.set(key, [d])
    else list.push(d)
  }
  const refused: UnloadablePartition[] = []
  for (const list of copies.values()) {
    if (list.length < 2) continue
    for (const d of list) {
      const others = list.filter((o) => o !== d).map((o) => o.dir).join(', ')
      refused.push({ dir: d.dir, topic: d.topic, partition: d.partition, replica: d.replica, problem: `replica ${d.replica} of partition ${d.partition} is also in ${others}; keep one copy and move the other away` })
    }
  }
  return refused
}
