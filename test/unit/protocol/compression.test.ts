import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import { Compression, CompressionError, compress, decompress, inflateLimit, isCompression } from '../../../src/protocol/compression.js'

const require = createRequire(import.meta.url)
const snappy = require('snappy') as { compressSync (b: Uint8Array): Buffer }

/** Far above every sample here: these suites test decoding, the cap has its own suite. */
const LIMIT = 64 * 1024 * 1024

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]

function sample (n: number, seed = 1): Buffer {
  // Half text-like (compressible), half noise, so every codec takes its real path.
  const buf = Buffer.allocUnsafe(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    buf[i] = i % 64 < 32 ? 97 + (i % 26) : s >>> 24
  }
  return buf
}

const roundTrip = suite('compression round trips')

for (const codec of CODECS) {
  const name = Compression[codec]
  for (const size of [0, 1, 100, 32 * 1024, 32 * 1024 + 1, 200_000]) {
    roundTrip(`${name}: ${size} bytes`, () => {
      const data = sample(size, size + codec)
      const packed = compress(codec, data)
      assert.ok(Buffer.isBuffer(packed))
      assert.ok(decompress(codec, packed, LIMIT).equals(data))
    })
  }
  roundTrip(`${name}: takes a plain Uint8Array view`, () => {
    const backing = sample(5000, 3)
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 10, 4000)
    const packed = compress(codec, view)
    assert.ok(decompress(codec, new Uint8Array(packed), LIMIT).equals(Buffer.from(view)))
  })
}

roundTrip('compressible data shrinks with every real codec', () => {
  const data = Buffer.from('the same record again and again, '.repeat(500))
  for (const codec of CODECS.slice(1)) {
    assert.ok(compress(codec, data).length < data.length / 4, Compression[codec])
  }
})

roundTrip.run()

// ---

const formats = suite('compression wire formats')

formats('gzip writes a gzip stream', () => {
  const packed = compress(Compression.Gzip, Buffer.from('x'))
  assert.is(packed[0], 0x1f)
  assert.is(packed[1], 0x8b)
})

formats('lz4 writes the LZ4 frame format', () => {
  const packed = compress(Compression.Lz4, Buffer.from('hello'))
  assert.is(packed.readUInt32LE(0), 0x184d2204)
})

formats('zstd writes a zstd frame', () => {
  const packed = compress(Compression.Zstd, Buffer.from('hello'))
  assert.is(packed.readUInt32LE(0), 0xfd2fb528)
})

formats('snappy writes xerial framing with 32 KiB input blocks', () => {
  const data = sample(32 * 1024 * 2 + 10)
  const packed = compress(Compression.Snappy, data)
  assert.equal([...packed.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
  assert.is(packed.readInt32BE(8), 1)
  assert.is(packed.readInt32BE(12), 1)
  let at = 16
  let blocks = 0
  while (at < packed.length) { at += 4 + packed.readInt32BE(at); blocks++ }
  assert.is(at, packed.length)
  assert.is(blocks, 3)
})

formats('snappy of empty input is the bare xerial header', () => {
  const packed = compress(Compression.Snappy, Buffer.alloc(0))
  assert.is(packed.length, 16)
  assert.is(decompress(Compression.Snappy, packed, LIMIT).length, 0)
})

formats('snappy decodes a raw (unframed) block', () => {
  const data = sample(10_000)
  const raw = snappy.compressSync(data)
  assert.is.not(raw[0], 0x82)
  assert.ok(decompress(Compression.Snappy, raw, LIMIT).equals(data))
})

formats('snappy decodes a framed stream built by hand from raw blocks', () => {
  const a = Buffer.from('first block ')
  const b = Buffer.from('second block')
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
  const parts: Buffer[] = [header]
  for (const block of [snappy.compressSync(a), snappy.compressSync(b)]) {
    const len = Buffer.alloc(4)
    len.writeInt32BE(block.length)
    parts.push(len, block)
  }
  assert.is(decompress(Compression.Snappy, Buffer.concat(parts), LIMIT).toString(), 'first block second block')
})

formats.run()

// ---

const failures = suite('compression failures')

failures('codecs 5-7 throw CompressionError with reason unknown-codec', () => {
  for (const codec of [5, 6, 7]) {
    for (const op of [(c: Compression) => compress(c, Buffer.from('x')), (c: Compression) => decompress(c, Buffer.from('x'), LIMIT)]) {
      try {
        op(codec as Compression)
        assert.unreachable('should have thrown')
      } catch (err) {
        assert.instance(err, CompressionError)
        assert.is((err as CompressionError).reason, 'unknown-codec')
        assert.is((err as CompressionError).codec, codec)
      }
    }
  }
})

failures('isCompression accepts 0-4 only', () => {
  assert.equal([-1, 0, 1, 2, 3, 4, 5, 7, 1.5].map(isCompression), [false, true, true, true, true, true, false, false, false])
})

failures('garbage input throws CompressionError with reason corrupt', () => {
  const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05])
  for (const codec of CODECS.slice(1)) {
    try {
      decompress(codec, garbage, LIMIT)
      assert.unreachable(`${Compression[codec]} should have thrown`)
    } catch (err) {
      assert.instance(err, CompressionError, Compression[codec])
      assert.is((err as CompressionError).reason, 'corrupt')
    }
  }
})

failures('a cut-short stream is corrupt, for every codec', () => {
  const data = sample(50_000)
  for (const codec of CODECS.slice(1)) {
    const packed = compress(codec, data)
    try {
      decompress(codec, packed.subarray(0, packed.length - 7), LIMIT)
      assert.unreachable(`${Compression[codec]} should have thrown`)
    } catch (err) {
      assert.instance(err, CompressionError, Compression[codec])
      assert.is((err as CompressionError).reason, 'corrupt')
    }
  }
})

failures('a xerial block length past the end is corrupt', () => {
  const packed = compress(Compression.Snappy, sample(1000))
  packed.writeInt32BE(1_000_000, 16)
  assert.throws(() => decompress(Compression.Snappy, packed, LIMIT), (err: unknown) => err instanceof CompressionError && err.reason === 'corrupt')
})

failures.run()

// ---

const caps = suite('compression: the inflate cap')

/** A block of `n` identical bytes: the most compressible input, a bomb when large. */
function bomb (codec: Compression, n: number): Buffer {
  return compress(codec, Buffer.alloc(n, 0x61))
}

caps('inflateLimit is max.message.bytes times the documented factor', () => {
  assert.is(inflateLimit(1_048_588), 1_048_588 * 32)
})

for (const codec of CODECS.slice(1)) {
  const name = Compression[codec]
  caps(`${name}: a block inflating past the cap is refused as too-large`, () => {
    const packed = bomb(codec, 4 * 1024 * 1024)
    assert.ok(packed.length < 256 * 1024, `${name} bomb is small (${packed.length} bytes)`)
    try {
      decompress(codec, packed, 1024 * 1024)
      assert.unreachable(`${name} should have thrown`)
    } catch (err) {
      assert.instance(err, CompressionError, name)
      assert.is((err as CompressionError).reason, 'too-large', name)
      assert.match((err as Error).message, '1048576-byte limit')
    }
  })
  caps(`${name}: a block exactly at the cap decodes`, () => {
    const data = sample(300_000, 7)
    assert.ok(decompress(codec, compress(codec, data), data.length).equals(data))
  })
}

caps('a 64 MiB zstd bomb is refused fast, without inflating it', () => {
  const packed = bomb(Compression.Zstd, 64 * 1024 * 1024)
  const before = process.memoryUsage().arrayBuffers
  const started = performance.now()
  assert.throws(() => decompress(Compression.Zstd, packed, 1024 * 1024), (err: unknown) => err instanceof CompressionError && err.reason === 'too-large')
  assert.ok(performance.now() - started < 1000, 'refused fast')
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'bounded memory')
})

caps('gzip stops at the cap instead of inflating the whole stream', () => {
  const packed = bomb(Compression.Gzip, 64 * 1024 * 1024)
  const before = process.memoryUsage().arrayBuffers
  assert.throws(() => decompress(Compression.Gzip, packed, 1024 * 1024), (err: unknown) => err instanceof CompressionError && err.reason === 'too-large')
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'bounded memory')
})

caps('snappy refuses a block whose preamble claims more than the cap, before decoding', () => {
  const raw = snappy.compressSync(Buffer.alloc(2 * 1024 * 1024, 0x62))
  assert.throws(() => decompress(Compression.Snappy, raw, 1024 * 1024), (err: unknown) => err instanceof CompressionError && err.reason === 'too-large')
})

caps('snappy counts the cap across xerial blocks', () => {
  const data = sample(100_000, 3)
  const packed = compress(Compression.Snappy, data)
  assert.throws(() => decompress(Compression.Snappy, packed, 99_999), (err: unknown) => err instanceof CompressionError && err.reason === 'too-large')
  assert.ok(decompress(Compression.Snappy, packed, 100_000).equals(data))
})

caps.run()
