import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import { murmur2, partitionForKey, StickyPartitioner } from '../../../src/client/partitioner.js'
import { MillraceError } from '../../../src/errors.js'
import { xorshift } from '../../helpers/seeded-random.js'

const require = createRequire(import.meta.url)
type KafkajsPartitioner = (args: { topic: string, partitionMetadata: Array<{ partitionId: number, leader: number }>, message: { key: Buffer } }) => number
const kafkajsDefault = require('kafkajs/src/producer/partitioners/default/index.js') as () => KafkajsPartitioner
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number


const hash = suite('murmur2')

// Vectors from the Java client's UtilsTest; each length mod 4 is covered.
const VECTORS: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

for (const [key, expected] of VECTORS) {
  hash(`"${key}" hashes to ${expected}`, () => {
    assert.is(murmur2(Buffer.from(key)), expected)
  })
}

hash('agrees with kafkajs on random keys of every length up to 64, bytes above 0x7f included', () => {
  const next = xorshift(1234)
  for (let i = 0; i < 2000; i++) {
    const key = Buffer.allocUnsafe(i % 65)
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff
    assert.is(murmur2(key), kafkajsMurmur2(key), key.toString('hex'))
  }
})

hash('takes a plain Uint8Array view', () => {
  const backing = Buffer.from('xxfoobarxx')
  assert.is(murmur2(new Uint8Array(backing.buffer, backing.byteOffset + 2, 6)), -790332482)
})

hash.run()

// ---

const keyed = suite('partitionForKey')

keyed('matches the kafkajs default partitioner for 1,000 random keys and several partition counts', () => {
  const next = xorshift(99)
  const partitioner = kafkajsDefault()
  for (const numPartitions of [1, 2, 3, 7, 12, 100, 1024]) {
    const partitionMetadata = Array.from({ length: numPartitions }, (_, partitionId) => ({ partitionId, leader: 0 }))
    for (let i = 0; i < 1000; i++) {
      const key = Buffer.allocUnsafe(1 + (next() % 40))
      for (let j = 0; j < key.length; j++) key[j] = next() & 0xff
      const expected = partitioner({ topic: 't', partitionMetadata, message: { key } })
      assert.is(partitionForKey(key, numPartitions), expected, `${key.toString('hex')} over ${numPartitions}`)
    }
  }
})

keyed('keeps negative hashes positive the Java way (mask, not abs)', () => {
  const key = Buffer.from('21') // murmur2 = -973932308
  assert.is(partitionForKey(key, 1000), ((-973932308) & 0x7fffffff) % 1000)
  assert.is.not(partitionForKey(key, 1000), 973932308 % 1000)
})

keyed('rejects a partition count that is not a positive integer', () => {
  for (const n of [0, -1, 1.5, NaN]) {
    try {
      partitionForKey(Buffer.from('k'), n)
      assert.unreachable(`${n} should be rejected`)
    } catch (err) {
      assert.instance(err, MillraceError)
      assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
      assert.match((err as Error).message, 'numPartitions must be an integer ≥ 1')
    }
  }
})

keyed.run()

// ---

const sticky = suite('StickyPartitioner')

sticky('keeps one partition per topic until a batch is sent', () => {
  const p = new StickyPartitioner({ random: (() => { const n = xorshift(5); return () => n() / 2 ** 32 })() })
  const first = p.partition('a', 10)
  for (let i = 0; i < 100; i++) assert.is(p.partition('a', 10), first)
})

sticky('topics stick independently', () => {
  const draws = [0.05, 0.95]
  const p = new StickyPartitioner({ random: () => draws.shift() ?? 0 })
  assert.is(p.partition('a', 10), 0)
  assert.is(p.partition('b', 10), 9)
  p.onBatchSent('b')
  assert.is(p.partition('a', 10), 0)
})

sticky('after onBatchSent it picks a different partition, every time', () => {
  const n = xorshift(77)
  const p = new StickyPartitioner({ random: () => n() / 2 ** 32 })
  let prev = p.partition('t', 4)
  const seen = new Set<number>([prev])
  for (let i = 0; i < 500; i++) {
    p.onBatchSent('t')
    const next = p.partition('t', 4)
    assert.is.not(next, prev)
    assert.ok(next >= 0 && next < 4)
    seen.add(next)
    prev = next
  }
  assert.is(seen.size, 4)
})

sticky('the new partition is drawn from the others, skipping the previous one', () => {
  const draws = [0.5, 0.5, 0.99]
  const p = new StickyPartitioner({ random: () => draws.shift() ?? 0 })
  assert.is(p.partition('t', 5), 2) // floor(0.5 * 5)
  p.onBatchSent('t')
  assert.is(p.partition('t', 5), 3) // floor(0.5 * 4) = 2, which is the previous: skip to 3
  p.onBatchSent('t')
  assert.is(p.partition('t', 5), 4) // floor(0.99 * 4) = 3, ≥ previous 3: 4
})

sticky('a single partition is always partition 0', () => {
  const p = new StickyPartitioner()
  for (let i = 0; i < 10; i++) {
    assert.is(p.partition('t', 1), 0)
    p.onBatchSent('t')
  }
})

sticky('onBatchSent for a topic never seen is harmless', () => {
  const p = new StickyPartitioner({ random: () => 0.3 })
  p.onBatchSent('unknown')
  assert.is(p.partition('unknown', 10), 3)
})

sticky('a sticky partition beyond a smaller partition count is replaced', () => {
  const p = new StickyPartitioner({ random: () => 0.9 })
  assert.is(p.partition('t', 10), 9)
  const next = p.partition('t', 3)
  assert.ok(next >= 0 && next < 3)
  assert.is(p.partition('t', 3), next)
})

sticky('random returning 1 stays in range', () => {
  const p = new StickyPartitioner({ random: () => 1 })
  assert.is(p.partition('t', 4), 3)
  p.onBatchSent('t')
  assert.is(p.partition('t', 4), 2)
})

sticky.run()
