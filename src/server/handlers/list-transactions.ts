/**
 * ListTransactions (66): every transactional id the coordinator knows, filtered by state and
 * producer id, and (as Kafka does) to the ids the principal may Describe.
 */
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/apis/list-transactions.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleListTransactions (ctx: RequestContext, req: ListTransactionsRequest): Promise<ListTransactionsResponse> {
  const check = CHECKS.listTransactions.transactionalId
  return withCoordinator(ctx, (c) => c.listTransactions(req), (errorCode) => ({ throttleTimeMs: 0, errorCode, transactionStates: [] }))
    .then((res) => ({ ...res, transactionStates: res.transactionStates.filter((t) => ctx.access.allows(check, t.transactionalId, false)) }))
}
