/** DescribeTransactions (65): the state of each transactional id, as the transaction coordinator holds it. */
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/apis/describe-transactions.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleDescribeTransactions (ctx: RequestContext, req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> {
  return withCoordinator(ctx, (c) => c.describeTransactions(req), (errorCode) => ({
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((transactionalId) => ({
      errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topicPartitions: []
    }))
  }))
}
