/**
 * DeleteAcls (31): every filter's matches are removed together; each filter's result lists the
 * bindings it removed. A filter with an unknown code answers INVALID_REQUEST and removes
 * nothing. Needs Alter on the cluster; SECURITY_DISABLED without an authorizer.
 */
import type { DeleteAclsFilterResult, DeleteAclsRequest, DeleteAclsResponse } from '../../protocol/apis/delete-acls.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { CLUSTER_NAME, filterProblem, type AclFilter } from '../../security/acl.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'
import { SECURITY_DISABLED_MESSAGE, aclFilterOf } from './describe-acls.js'

export async function handleDeleteAcls (ctx: RequestContext, req: DeleteAclsRequest): Promise<DeleteAclsResponse> {
  const all = (errorCode: number, errorMessage: string): DeleteAclsResponse =>
    ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) })
  const authorizer = ctx.access.authorizer
  if (authorizer === null) return all(KafkaCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE)
  if (!ctx.access.allows(CHECKS.deleteAcls.cluster, CLUSTER_NAME)) return all(KafkaCode.CLUSTER_AUTHORIZATION_FAILED, 'deleting ACLs needs Alter on the cluster')
  const filters = req.filters.map(aclFilterOf)
  const problems = filters.map(filterProblem)
  const usable: AclFilter[] = filters.filter((_, i) => problems[i] === null)
  let removed: ReturnType<typeof authorizer.list>[]
  try {
    removed = usable.length === 0 ? [] : await authorizer.delete(usable)
  } catch (err) {
    ctx.dispatcher.logger.error({ err }, 'could not store the ACLs left after a delete; DeleteAcls answers UNKNOWN_SERVER_ERROR')
    return all(KafkaCode.UNKNOWN_SERVER_ERROR, (err as Error).message)
  }
  let next = 0
  const filterResults = problems.map((problem): DeleteAclsFilterResult => {
    if (problem !== null) return { errorCode: KafkaCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] }
    return {
      errorCode: KafkaCode.NONE,
      errorMessage: null,
      matchingAcls: removed[next++].map((b) => ({
        errorCode: KafkaCode.NONE,
        errorMessage: null,
        resourceType: b.resourceType,
        resourceName: b.resourceName,
        patternType: b.patternType,
        principal: b.principal,
        host: b.host,
        operation: b.operation,
        permissionType: b.permission
      }))
    }
  })
  return { throttleTimeMs: 0, filterResults }
}
