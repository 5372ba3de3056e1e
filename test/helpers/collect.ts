import type { Broker, Consumer, ConsumerMessage } from '../../src/index.js'
import { decodeBatches, type DecodedBatch } from '../../src/protocol/record-batch.js'

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

/** Every batch stored in a partition, read through the dispatcher from offset 0 to the end. */
export async function storedBatches (broker: Broker, topic: string, partition = 0): Promise<DecodedBatch[]> {
  const p = broker.dispatcher.partition(topic, partition)!
  const out: DecodedBatch[] = []
  for (let offset = 0; ;) {
    const answer = await broker.dispatcher.fetch(p, offset, 1 << 20)
    if (answer.bytes === null || answer.bytes.length === 0) return out
    for (const b of decodeBatches(answer.bytes)) {
      if (b.baseOffset < offset) continue
      out.push(b)
      offset = b.baseOffset + b.records.length
    }
  }
}
