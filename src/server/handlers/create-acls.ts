/**
 * CreateAcls (30): each creation answered on its own: INVALID_REQUEST naming what is wrong, or
 * NONE once the binding is durable. Needs Alter on the cluster; SECURITY_DISABLED without an
 * authorizer. v0 creates literal patterns only.
 */
import type { AclCreationResult, CreateAclsRequest, CreateAclsResponse } from '../../protocol/apis/create-acls.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { CLUSTER_NAME, PatternType, bindingProblem, type AclBinding } from '../../security/acl.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { SECURITY_DISABLED_MESSAGE } from './describe-acls.js'

export async function handleCreateAcls (ctx: RequestContext, req: CreateAclsRequest): Promise<CreateAclsResponse> {
  const all = (errorCode: number, errorMessage: string): CreateAclsResponse =>
    ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) })
  const authorizer = ctx.access.authorizer
  if (authorizer === null) return all(KafkaCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE)
  if (!ctx.access.allows(CHECKS.createAcls.cluster, CLUSTER_NAME)) return all(KafkaCode.CLUSTER_AUTHORIZATION_FAILED, 'creating ACLs needs Alter on the cluster')
  const results: AclCreationResult[] = []
  const valid: AclBinding[] = []
  for (const c of req.creations) {
    const binding: AclBinding = {
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType ?? PatternType.LITERAL,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permission: c.permissionType
    }
    const problem = bindingProblem(binding)
    results.push(problem === null ? { errorCode: KafkaCode.NONE, errorMessage: null } : { errorCode: KafkaCode.INVALID_REQUEST, errorMessage: problem })
    if (problem === null) valid.push(binding)
  }
  if (valid.length === 0) return { throttleTimeMs: 0, results }
  try {
    await authorizer.create(valid)
  } catch (err) {
    // Not stored: every creation that was valid reports why (the log has the write failure).
    ctx.dispatcher.logger.error({ err }, 'could not store new ACLs; CreateAcls answers UNKNOWN_SERVER_ERROR')
    for (const r of results) if (r.errorCode === KafkaCode.NONE) Object.assign(r, { errorCode: KafkaCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message })
  }
  return { throttleTimeMs: 0, results }
}
