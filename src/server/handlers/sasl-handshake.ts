/**
 * SaslHandshake (17): picks the mechanism of a SASL listener's exchange (sasl/sasl-exchange.ts).
 * Anywhere else (a PLAINTEXT or SSL listener, or after authentication) Kafka answers
 * ILLEGAL_SASL_STATE, and so do we.
 */
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/apis/sasl-handshake.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import type { RequestContext } from '../context.js'
import { SASL_MECHANISMS } from '../sasl/sasl-exchange.js'

export function handleSaslHandshake (ctx: RequestContext, req: SaslHandshakeRequest): SaslHandshakeResponse {
  if (ctx.sasl == null) return { errorCode: KafkaCode.ILLEGAL_SASL_STATE, mechanisms: [...SASL_MECHANISMS] }
  return ctx.sasl.handshake(req, ctx.apiVersion)
}
