/**
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51) over the broker's
 * credential store (sasl/credential-store.ts), with Kafka's per-user answers: an unknown user is
 * RESOURCE_NOT_FOUND, a user named twice DUPLICATE_RESOURCE, an unknown mechanism
 * UNSUPPORTED_SASL_MECHANISM, iterations outside 4096..16384 or an empty name UNACCEPTABLE_CREDENTIAL.
 * Alter receives salted passwords (the client salts and hashes), never a password. Under the
 * authorizer, Describe needs Describe on the cluster and Alter needs Alter on it, as in Kafka.
 */
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, DescribeUserScramCredentialsResult } from '../../protocol/apis/describe-user-scram-credentials.js'
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, AlterUserScramCredentialsResult } from '../../protocol/apis/alter-user-scram-credentials.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { MAX_ITERATIONS, MIN_ITERATIONS, type ScramMechanism } from '../sasl/scram.js'
import type { RequestContext } from '../context.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME } from '../../security/acl.js'

/** Kafka's codes 92 and 93, which the reference error table (and so error-codes.ts) leaves out. */
export const DUPLICATE_RESOURCE = 92
export const UNACCEPTABLE_CREDENTIAL = 93

/** Kafka's ScramMechanism ids on the wire. */
const MECHANISM_BY_ID = new Map<number, ScramMechanism>([[1, 'SCRAM-SHA-256'], [2, 'SCRAM-SHA-512']])
const ID_BY_MECHANISM = new Map<ScramMechanism, number>([['SCRAM-SHA-256', 1], ['SCRAM-SHA-512', 2]])

export function handleDescribeUserScramCredentials (ctx: RequestContext, req: DescribeUserScramCredentialsRequest): DescribeUserScramCredentialsResponse {
  const check = CHECKS.describeUserScramCredentials.cluster
  if (!ctx.access.allows(check, CLUSTER_NAME)) return { throttleTimeMs: 0, errorCode: check.errorCode, errorMessage: 'not authorized to describe SCRAM credentials', results: [] }
  const store = ctx.credentials
  const all = store?.list() ?? []
  const byUser = new Map(all.map((u) => [u.user, u]))
  const describe = (user: string): DescribeUserScramCredentialsResult => {
    const found = byUser.get(user)
    if (found === undefined) return { user, errorCode: KafkaCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] }
    return { user, errorCode: KafkaCode.NONE, errorMessage: null, credentialInfos: found.credentials.map((c) => ({ mechanism: ID_BY_MECHANISM.get(c.mechanism)!, iterations: c.iterations })) }
  }
  if (req.users === null || req.users.length === 0) return { throttleTimeMs: 0, errorCode: KafkaCode.NONE, errorMessage: null, results: all.map((u) => describe(u.user)) }
  const counts = new Map<string, number>()
  for (const { name } of req.users) counts.set(name, (counts.get(name) ?? 0) + 1)
  return {
    throttleTimeMs: 0,
    errorCode: KafkaCode.NONE,
    errorMessage: null,
    results: [...counts].map(([user, n]) => n > 1
      ? { user, errorCode: DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] }
      : describe(user))
  }
}

export async function handleAlterUserScramCredentials (ctx: RequestContext, req: AlterUserScramCredentialsRequest): Promise<AlterUserScramCredentialsResponse> {
  const clusterAlter = CHECKS.alterUserScramCredentials.cluster
  if (!ctx.access.allows(clusterAlter, CLUSTER_NAME)) {
    const users = [...new Set([...req.deletions, ...req.upsertions].map((c) => c.name))]
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: clusterAlter.errorCode, errorMessage: 'not authorized to alter SCRAM credentials' })) }
  }
  const store = ctx.credentials
  // Kafka refuses a user whose credential for one mechanism is changed twice in a request.
  const named = new Map<string, number>()
  const pairs = new Map<string, number>()
  for (const { name, mechanism } of [...req.deletions, ...req.upsertions]) {
    named.set(name, (named.get(name) ?? 0) + 1)
    pairs.set(`${mechanism}:${name}`, (pairs.get(`${mechanism}:${name}`) ?? 0) + 1)
  }
  const results = new Map<string, AlterUserScramCredentialsResult>()
  const fail = (user: string, errorCode: number, errorMessage: string): void => { if (!results.has(user)) results.set(user, { user, errorCode, errorMessage }) }
  // Checked first for the whole request, as Kafka does: a user with one bad change gets none.
  const check = (user: string, mechanismId: number, iterations: number | null): void => {
    const mechanism = MECHANISM_BY_ID.get(mechanismId)
    if (user.length === 0) fail(user, UNACCEPTABLE_CREDENTIAL, 'Username must not be empty')
    else if ((pairs.get(`${mechanismId}:${user}`) ?? 0) > 1) fail(user, DUPLICATE_RESOURCE, `A user credential cannot be altered twice in the same request: ${user}`)
    else if (mechanism === undefined) fail(user, KafkaCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism id ${mechanismId}`)
    else if (iterations !== null && (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS)) fail(user, UNACCEPTABLE_CREDENTIAL, `Iterations ${iterations} must be from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`)
    else if (iterations === null && store?.get(user, mechanism) === undefined) fail(user, KafkaCode.RESOURCE_NOT_FOUND, `Attempt to delete a user credential that does not exist: ${user}`)
  }
  for (const d of req.deletions) check(d.name, d.mechanism, null)
  for (const u of req.upsertions) check(u.name, u.mechanism, u.iterations)
  if (store === undefined) {
    for (const user of named.keys()) fail(user, KafkaCode.UNKNOWN_SERVER_ERROR, 'this broker keeps no credentials')
  }
  // Users with an error so far get no change at all; the others get every change they asked for.
  const refused = new Set(results.keys())
  for (const d of req.deletions) {
    if (refused.has(d.name)) continue
    await store!.delete(d.name, MECHANISM_BY_ID.get(d.mechanism)!)
    results.set(d.name, { user: d.name, errorCode: KafkaCode.NONE, errorMessage: null })
  }
  for (const u of req.upsertions) {
    if (refused.has(u.name)) continue
    await store!.upsertSalted(u.name, MECHANISM_BY_ID.get(u.mechanism)!, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations)
    results.set(u.name, { user: u.name, errorCode: KafkaCode.NONE, errorMessage: null })
  }
  return { throttleTimeMs: 0, results: [...named.keys()].map((user) => results.get(user)!) }
}
