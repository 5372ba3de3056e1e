/**
 * DescribeTransactions (65): the state of each transactional id, as the transaction coordinator
 * holds it; an id the principal may not Describe answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 */
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/apis/describe-transactions.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

type TransactionState = DescribeTransactionsResponse['transactionStates'][number]

export function handleDescribeTransactions (ctx: RequestContext, req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> {
  const failed = (transactionalId: string, errorCode: number): TransactionState => ({
    errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topicPartitions: []
  })
  const check = CHECKS.describeTransactions.transactionalId
  const allowed = req.transactionalIds.filter((id) => ctx.access.allows(check, id))
  const refused = req.transactionalIds.filter((id) => !allowed.includes(id)).map((id) => failed(id, check.errorCode))
  if (allowed.length === 0) return Promise.resolve({ throttleTimeMs: 0, transactionStates: refused })
  return withCoordinator(ctx, (c) => c.describeTransactions({ ...req, transactionalIds: allowed }), (errorCode) => ({
    throttleTimeMs: 0,
    transactionStates: allowed.map((id) => failed(id, errorCode))
  })).then((res) => ({ ...res, transactionStates: [...res.transactionStates, ...refused] }))
}
