/**
 * AddPartitionsToTxn (24, v0-3): the transaction coordinator records the partitions; errors per
 * partition. Without Write on a topic, as Kafka does, none is added: the refused topics answer
 * TOPIC_AUTHORIZATION_FAILED and the others OPERATION_NOT_ATTEMPTED.
 */
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../protocol/apis/add-partitions-to-txn.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleAddPartitionsToTxn (ctx: RequestContext, req: AddPartitionsToTxnRequest): Promise<AddPartitionsToTxnResponse> {
  const answer = (codeOf: (topic: string) => number): AddPartitionsToTxnResponse => ({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name) }))
    }))
  })
  const check = CHECKS.addPartitionsToTxn
  if (!ctx.access.allows(check.transactionalId, req.v3AndBelowTransactionalId)) return Promise.resolve(answer(() => check.transactionalId.errorCode))
  const refused = new Set(req.v3AndBelowTopics.filter((t) => !ctx.access.allows(check.topic, t.name)).map((t) => t.name))
  if (refused.size > 0) return Promise.resolve(answer((topic) => refused.has(topic) ? check.topic.errorCode : KafkaCode.OPERATION_NOT_ATTEMPTED))
  return withCoordinator(ctx, (c) => c.addPartitionsToTxn(req, ctx.apiVersion), (errorCode) => answer(() => errorCode))
}
