/**
 * TxnOffsetCommit (28): offsets held by the transaction until its marker; errors per partition.
 * Needs Write on the transactional id, Read on the group and Read on each topic (Kafka's rule).
 */
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/apis/txn-offset-commit.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleTxnOffsetCommit (ctx: RequestContext, req: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponse> {
  const answer = (topics: TxnOffsetCommitRequest['topics'], codeOf: (topic: string) => number): TxnOffsetCommitResponse['topics'] =>
    topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeOf(t.name) })) }))
  const check = CHECKS.txnOffsetCommit
  const whole = !ctx.access.allows(check.transactionalId, req.transactionalId)
    ? check.transactionalId.errorCode
    : !ctx.access.allows(check.group, req.groupId) ? check.group.errorCode : null
  if (whole !== null) return Promise.resolve({ throttleTimeMs: 0, topics: answer(req.topics, () => whole) })
  const allowed = req.topics.filter((t) => ctx.access.allows(check.topic, t.name))
  const refused = answer(req.topics.filter((t) => !allowed.includes(t)), () => check.topic.errorCode)
  if (allowed.length === 0) return Promise.resolve({ throttleTimeMs: 0, topics: refused })
  return withCoordinator(ctx, (c) => c.txnOffsetCommit({ ...req, topics: allowed }, ctx.apiVersion), (errorCode) => ({
    throttleTimeMs: 0,
    topics: answer(allowed, () => errorCode)
  })).then((res) => refused.length === 0 ? res : { ...res, topics: [...res.topics, ...refused] })
}
