/**
 * kafkajs against a replicated broker in tests: a client that retries quickly through failovers
 * (NOT_LEADER_OR_FOLLOWER while a new leader is elected), and a read of everything in a topic.
 */
import kafkajs from 'kafkajs'
import type { Broker } from '../../src/broker.js'
import { uniqueTopic } from './tmp-dir.js'
import { until } from './until.js'

const { Kafka, logLevel } = kafkajs

export function kafkaOf (broker: Broker, clientId: string, retries = 30): InstanceType<typeof Kafka> {
  return new Kafka({ clientId, brokers: [broker.address!], logLevel: logLevel.NOTHING, retry: { retries, initialRetryTime: 20, maxRetryTime: 200 } })
}

/** The values of the first `count` records of `topic`, read by a kafkajs group consumer from the beginning. */
export async function consumeAll (broker: Broker, topic: string, count: number): Promise<string[]> {
  const consumer = kafkaOf(broker, 'millrace-replicated-reader').consumer({ groupId: uniqueTopic('replicated-reader') })
  const seen: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
    await until(`${count} records consumed`, () => seen.length >= count, 20_000)
  } finally {
    await consumer.disconnect()
  }
  return seen
}
