/** ListTransactions (66): every transactional id the coordinator knows, filtered by state and producer id. */
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/apis/list-transactions.js'
import type { RequestContext } from '../context.js'
import { withCoordinator } from './coordinator-call.js'

export function handleListTransactions (ctx: RequestContext, req: ListTransactionsRequest): Promise<ListTransactionsResponse> {
  return withCoordinator(ctx, (c) => c.listTransactions(req), (errorCode) => ({ throttleTimeMs: 0, errorCode, transactionStates: [] }))
}
