/**
 * AlterConfigs (33) replaces a topic's whole override set; IncrementalAlterConfigs (44) applies
 * SET / DELETE per key, and APPEND / SUBTRACT to list-valued keys only. Only topic resources can
 * be changed: broker settings are static.
 */
import type { AlterConfigsRequest, AlterConfigsResponse, AlterConfigsResourceResponse } from '../../protocol/apis/alter-configs.js'
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/apis/incremental-alter-configs.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { topicConfigProblem } from '../../config/topic-config.js'
import type { RequestContext } from '../context.js'
import { ResourceType } from './describe-configs.js'
import { LIST_CONFIGS, topicConfigEntries } from './topic-configs.js'
import { CHECKS } from '../../security/api-operations.js'
import { CLUSTER_NAME } from '../../security/acl.js'

export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

type Result = AlterConfigsResourceResponse

async function apply (ctx: RequestContext, resourceType: number, resourceName: string, validateOnly: boolean, next: (current: Readonly<Record<string, string>>) => Record<string, string> | Result): Promise<Result> {
  const fail = (errorCode: number, errorMessage: string): Result => ({ errorCode, errorMessage, resourceType, resourceName })
  const check = CHECKS.alterConfigs
  if (resourceType === ResourceType.BROKER && !ctx.access.allows(check.broker, CLUSTER_NAME)) return fail(check.broker.errorCode, 'altering broker configs needs AlterConfigs on the cluster')
  if (resourceType === ResourceType.TOPIC && !ctx.access.allows(check.topic, resourceName)) return fail(check.topic.errorCode, `altering the configs of '${resourceName}' needs AlterConfigs on it`)
  if (resourceType === ResourceType.BROKER) return fail(KafkaCode.INVALID_REQUEST, 'broker configs are static; set them in the broker options')
  if (resourceType !== ResourceType.TOPIC) return fail(KafkaCode.INVALID_REQUEST, `resource type ${resourceType} is not supported`)
  const topic = ctx.dispatcher.topic(resourceName)
  if (topic === undefined) return fail(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${resourceName}'`)
  const overrides = next(topic.overrides)
  if ('errorCode' in overrides && typeof overrides.errorCode === 'number') return overrides as Result
  const wanted = overrides as Record<string, string>
  const problem = topicConfigProblem(wanted, ctx.config.topicDefaults)
  if (problem !== null) return fail(KafkaCode.INVALID_CONFIG, problem)
  if (!validateOnly) {
    try {
      await ctx.dispatcher.alterTopicConfig(resourceName, wanted)
    } catch (err) {
      return fail(KafkaCode.INVALID_CONFIG, (err as Error).message)
    }
  }
  return { errorCode: KafkaCode.NONE, errorMessage: null, resourceType, resourceName }
}

export async function handleAlterConfigs (ctx: RequestContext, req: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const responses = await Promise.all(req.resources.map((res) => apply(ctx, res.resourceType, res.resourceName, req.validateOnly, () => {
    const overrides: Record<string, string> = {}
    for (const c of res.configs) if (c.value !== null) overrides[c.name] = c.value
    return overrides
  })))
  return { throttleTimeMs: 0, responses }
}

export async function handleIncrementalAlterConfigs (ctx: RequestContext, req: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
  const responses = await Promise.all(req.resources.map((res) => apply(ctx, res.resourceType, res.resourceName, req.validateOnly, (current) => {
    const fail = (errorCode: number, errorMessage: string): Result => ({ errorCode, errorMessage, resourceType: res.resourceType, resourceName: res.resourceName })
    const overrides: Record<string, string> = { ...current }
    const effective = new Map(topicConfigEntries(ctx.config, current).map((e) => [e.name, e.value]))
    for (const c of res.configs) {
      switch (c.configOperation) {
        case ConfigOperation.SET:
          if (c.value === null) return fail(KafkaCode.INVALID_REQUEST, `SET of '${c.name}' needs a value`)
          overrides[c.name] = c.value
          break
        case ConfigOperation.DELETE:
          delete overrides[c.name]
          break
        case ConfigOperation.APPEND:
        case ConfigOperation.SUBTRACT: {
          if (!LIST_CONFIGS.has(c.name)) return fail(KafkaCode.INVALID_REQUEST, `'${c.name}' is not a list; APPEND and SUBTRACT apply to list configs only`)
          const items = (overrides[c.name] ?? effective.get(c.name) ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
          const change = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
          const result = c.configOperation === ConfigOperation.APPEND
            ? [...items, ...change.filter((v) => !items.includes(v))]
            : items.filter((v) => !change.includes(v))
          overrides[c.name] = result.join(',')
          break
        }
        default:
          return fail(KafkaCode.INVALID_REQUEST, `unknown config operation ${c.configOperation}`)
      }
    }
    return overrides
  })))
  return { throttleTimeMs: 0, responses }
}
