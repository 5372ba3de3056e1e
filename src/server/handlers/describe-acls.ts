/**
 * DescribeAcls (29): the bindings one filter selects, grouped by resource pattern. Needs
 * Describe on the cluster; SECURITY_DISABLED without an authorizer; INVALID_REQUEST for a
 * filter with an unknown code.
 */
import type { DescribeAclsRequest, DescribeAclsResource, DescribeAclsResponse } from '../../protocol/apis/describe-acls.js'
import type { DeleteAclsFilter } from '../../protocol/apis/delete-acls.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { CLUSTER_NAME, PatternType, filterProblem, type AclFilter } from '../../security/acl.js'
import { CHECKS } from '../../security/api-operations.js'
import type { RequestContext } from '../context.js'

export const SECURITY_DISABLED_MESSAGE = 'no authorizer is configured on this broker (start it with --authorizer)'

/** A wire filter (DescribeAcls' request, each DeleteAcls filter) as the authorizer reads it; v0 knows literal patterns only. */
export function aclFilterOf (f: DeleteAclsFilter): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter ?? PatternType.LITERAL,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType
  }
}

export function handleDescribeAcls (ctx: RequestContext, req: DescribeAclsRequest): DescribeAclsResponse {
  const fail = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] })
  const authorizer = ctx.access.authorizer
  if (authorizer === null) return fail(KafkaCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE)
  if (!ctx.access.allows(CHECKS.describeAcls.cluster, CLUSTER_NAME)) return fail(KafkaCode.CLUSTER_AUTHORIZATION_FAILED, 'describing ACLs needs Describe on the cluster')
  const filter = aclFilterOf(req)
  const problem = filterProblem(filter)
  if (problem !== null) return fail(KafkaCode.INVALID_REQUEST, problem)
  const resources = new Map<string, DescribeAclsResource>()
  for (const b of authorizer.list(filter)) {
    // v0 cannot say a pattern is prefixed; Kafka leaves such bindings out of a v0 answer.
    if (ctx.apiVersion === 0 && b.patternType !== PatternType.LITERAL) continue
    const key = `${b.resourceType}\n${b.patternType}\n${b.resourceName}`
    let r = resources.get(key)
    if (r === undefined) resources.set(key, r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] })
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission })
  }
  return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, errorMessage: null, resources: [...resources.values()] }
}
