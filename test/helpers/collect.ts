import type { Consumer, ConsumerMessage } from '../../src/index.js'

/** Polls until `count` messages arrived (or throws after `maxPolls` empty rounds). */
export async function collect (consumer: Consumer, count: number, maxEmptyPolls = 20): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = []
  let empty = 0
  while (out.length < count) {
    const batch = await consumer.poll()
    if (batch.length === 0) {
      if (++empty >= maxEmptyPolls) throw new Error(`expected ${count} messages, got ${out.length}`)
      continue
    }
    empty = 0
    for (const m of batch) out.push(m)
  }
  return out
}
