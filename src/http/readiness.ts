/**
 * Whether the broker is ready for clients, and if not why: the answer of GET /ready. Pure, so
 * each reason is unit-tested; the health routes feed it the broker's state.
 */

export interface ReadinessState {
  /** A Kafka listener was asked for and is not bound (library mode without `port` has none to wait for). */
  listenerMissing: boolean
  /** Topics left offline at start, and why (a partition directory that cannot be loaded). */
  offlineTopics: ReadonlyArray<{ topic: string, problem: string }>
  /** Partitions whose worker is restarting and recovering them, as `topic-partition`. */
  recoveringPartitions: readonly string[]
  /** Data dirs offline after a storage failure (until the broker restarts), with their replicas. */
  offlineDataDirs: ReadonlyArray<{ dir: string, cause: string, replicas: readonly string[] }>
}

export interface Readiness {
  ready: boolean
  /** One sentence per problem; empty when ready. */
  reasons: string[]
  offlineTopics: string[]
  recoveringPartitions: string[]
  offlineDataDirs: string[]
}

/** Reasons listed in full up to this many partitions; a broker with thousands restarting says how many. */
const MAX_LISTED_PARTITIONS = 100

export function readiness (state: ReadinessState): Readiness {
  const reasons: string[] = []
  if (state.listenerMissing) reasons.push('the Kafka listener is not listening')
  for (const { topic, problem } of state.offlineTopics) reasons.push(`topic '${topic}' is offline: ${problem}`)
  const recovering = state.recoveringPartitions
  if (recovering.length > 0) {
    const listed = recovering.slice(0, MAX_LISTED_PARTITIONS).join(', ')
    const more = recovering.length > MAX_LISTED_PARTITIONS ? ` and ${recovering.length - MAX_LISTED_PARTITIONS} more` : ''
    reasons.push(`${recovering.length} partition${recovering.length === 1 ? ' is' : 's are'} recovering after a worker restart: ${listed}${more}`)
  }
  for (const { dir, cause, replicas } of state.offlineDataDirs) {
    const listed = replicas.slice(0, MAX_LISTED_PARTITIONS).join(', ')
    const more = replicas.length > MAX_LISTED_PARTITIONS ? ` and ${replicas.length - MAX_LISTED_PARTITIONS} more` : ''
    reasons.push(`data dir ${dir} is offline after a storage failure (${cause}) until the broker restarts; ${replicas.length} replica${replicas.length === 1 ? '' : 's'} offline${replicas.length === 0 ? '' : `: ${listed}${more}`}`)
  }
  return {
    ready: reasons.length === 0,
    reasons,
    offlineTopics: state.offlineTopics.map((t) => t.topic),
    recoveringPartitions: recovering.slice(0, MAX_LISTED_PARTITIONS),
    offlineDataDirs: state.offlineDataDirs.map((d) => d.dir)
  }
}
