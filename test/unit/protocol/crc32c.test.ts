import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { crc32c, crc32cJs } from '../../../src/protocol/crc32c.js'
import { xorshift } from '../../helpers/seeded-random.js'


function randomBytes (next: () => number, n: number): Buffer {
  const buf = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) buf[i] = next() & 0xff
  return buf
}

const vectors = suite('crc32c known vectors')

const VECTORS: Array<[string, Buffer, number]> = [
  ['"123456789"', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', Buffer.alloc(32, 0x00), 0x8a9136aa],
  ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['the empty input', Buffer.alloc(0), 0],
]

for (const [name, input, expected] of VECTORS) {
  vectors(`native: ${name}`, () => { assert.is(crc32c(input), expected) })
  vectors(`js: ${name}`, () => { assert.is(crc32cJs(input), expected) })
}

vectors('results are unsigned 32-bit numbers', () => {
  const v = crc32c(Buffer.from('123456789'))
  assert.ok(v > 0x7fffffff)
  assert.is(v >>> 0, v)
})

vectors.run()

// ---

const agree = suite('crc32c native and js agree')

agree('on random buffers of every length from 0 to 300 and some large ones', () => {
  const next = xorshift(0xc0ffee)
  const lengths = [...Array(301).keys(), 1023, 1024, 4095, 65536 + 7]
  for (const n of lengths) {
    const buf = randomBytes(next, n)
    assert.is(crc32cJs(buf), crc32c(buf), `length ${n}`)
  }
})

agree('on unaligned views into a larger buffer', () => {
  const next = xorshift(42)
  const big = randomBytes(next, 4096)
  for (let start = 0; start < 16; start++) {
    const view = big.subarray(start, start + 1000 + start)
    assert.is(crc32cJs(view), crc32c(view), `start ${start}`)
  }
})

agree('when chained through `initial`, and the chain equals one pass', () => {
  const next = xorshift(7)
  for (let round = 0; round < 50; round++) {
    const buf = randomBytes(next, 1 + (next() % 2000))
    const cut = next() % (buf.length + 1)
    const whole = crc32c(buf)
    const nativeChain = crc32c(buf.subarray(cut), crc32c(buf.subarray(0, cut)))
    const jsChain = crc32cJs(buf.subarray(cut), crc32cJs(buf.subarray(0, cut)))
    assert.is(nativeChain, whole)
    assert.is(jsChain, whole)
  }
})

agree('a single flipped bit changes the checksum', () => {
  const buf = randomBytes(xorshift(9), 512)
  const before = crc32c(buf)
  buf[200] ^= 0x10
  assert.is.not(crc32c(buf), before)
  assert.is(crc32cJs(buf), crc32c(buf))
})

agree.run()
