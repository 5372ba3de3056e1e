/**
 * SaslAuthenticate (36): one token of a SASL listener's exchange (sasl/sasl-exchange.ts). Without
 * a SASL exchange in progress the answer is ILLEGAL_SASL_STATE, as in Kafka.
 */
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../protocol/apis/sasl-authenticate.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import type { RequestContext } from '../context.js'

export async function handleSaslAuthenticate (ctx: RequestContext, req: SaslAuthenticateRequest): Promise<SaslAuthenticateResponse> {
  if (ctx.sasl == null) return { errorCode: KafkaCode.ILLEGAL_SASL_STATE, errorMessage: 'this listener does not use SASL', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }
  return await ctx.sasl.authenticate(req.authBytes)
}
