/**
 * Group and producer-id requests go to the coordinator actor. When it cannot be reached (its
 * thread is starting over, or the broker is closing), the request gets a retriable
 * COORDINATOR_NOT_AVAILABLE in the shape of its own response, and the client looks it up again.
 */
import { KafkaCode } from '../../protocol/error-codes.js'
import type { CoordinatorLink } from '../../dispatcher/coordinator-link.js'
import type { RequestContext } from '../context.js'

export async function withCoordinator<T> (ctx: RequestContext, call: (c: CoordinatorLink) => Promise<T>, failed: (code: number) => T): Promise<T> {
  let coordinator: CoordinatorLink
  try {
    coordinator = await ctx.dispatcher.coordinator()
  } catch {
    return failed(KafkaCode.COORDINATOR_NOT_AVAILABLE)
  }
  try {
    return await call(coordinator)
  } catch {
    return failed(KafkaCode.COORDINATOR_NOT_AVAILABLE)
  }
}

/** The codecs write Buffers; bytes that crossed from the coordinator's thread are plain Uint8Arrays. */
export function wireBytes (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
