/**
 * ApiVersions (18): the version ranges of the APIs this server routes. A version above the
 * served range is answered by the connection itself (see `unsupportedVersionResponse`).
 */
import type { ApiVersion, ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/apis/api-versions.js'
import { KafkaCode } from '../../protocol/error-codes.js'

export function handleApiVersions (served: readonly ApiVersion[], _req: ApiVersionsRequest): ApiVersionsResponse {
  return { errorCode: KafkaCode.NONE, apiKeys: served.map((a) => ({ ...a })), throttleTimeMs: 0 }
}

/** The v0-format answer to an ApiVersions version we do not serve: error 35 and our ranges. */
export function unsupportedVersionResponse (served: readonly ApiVersion[]): ApiVersionsResponse {
  return { errorCode: KafkaCode.UNSUPPORTED_VERSION, apiKeys: served.map((a) => ({ ...a })) }
}
