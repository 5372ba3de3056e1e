import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import {
  BatchBuilder, Compression, RecordBatchError, TimestampType, decodeBatch, decodeBatches, forEachBatch, maxRecordBytes,
  type DecodedRecord,
} from '../../../src/protocol/record-batch.js'
import {
  BatchCheck, checkBatch, kAttributes, kBatchLength, kCrc, kMagic, kRecordCount, patchOffsetAndEpoch, sealCrc,
  stampLogAppendTime,
} from '../../../src/protocol/batch-header.js'
import { CompressionError } from '../../../src/protocol/compression.js'
import { xorshift } from '../../helpers/seeded-random.js'

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]


interface Input {
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Array<[string, Buffer | null]>
}

function build (inputs: Input[], compression = Compression.None): Buffer {
  const b = new BatchBuilder({ compression })
  for (const r of inputs) b.append(r.timestamp, r.key, r.value, r.headers)
  return b.build()
}

/** Drops the offsets so decoded records compare with what was appended. */
function plain (records: DecodedRecord[]): Input[] {
  return records.map(({ timestamp, key, value, headers }) => ({ timestamp, key, value, headers }))
}

const T0 = 1_700_000_000_000

function mixedInputs (n: number, seed: number): Input[] {
  const next = xorshift(seed)
  const out: Input[] = []
  for (let i = 0; i < n; i++) {
    const kind = next() % 5
    const headers: Array<[string, Buffer | null]> = []
    if (kind === 4) headers.push(['trace-id', Buffer.from(`t-${i}`)], ['ünïcode-κλειδί', null], ['trace-id', Buffer.alloc(0)])
    out.push({
      timestamp: T0 + (next() % 10_000) - 5000,
      key: kind === 1 ? null : Buffer.from(`key-${i}`),
      value: kind === 2 ? null : kind === 3 ? Buffer.alloc(0) : Buffer.alloc(next() % 300, i & 0xff),
      headers,
    })
  }
  return out
}

// ---

const roundTrip = suite('BatchBuilder → decodeBatch round trip')

roundTrip('keys, null keys, null values, empty values and headers', () => {
  const inputs: Input[] = [
    { timestamp: T0, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [] },
    { timestamp: T0 + 1, key: null, value: Buffer.from('no key'), headers: [] },
    { timestamp: T0 + 2, key: Buffer.from('tombstone'), value: null, headers: [] },
    { timestamp: T0 + 3, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [] },
    { timestamp: T0 + 4, key: null, value: null, headers: [['a', Buffer.from('1')], ['a', Buffer.from('2')], ['nil', null], ['', Buffer.alloc(0)], ['日本', Buffer.from([0, 255])]] },
  ]
  const batch = decodeBatch(build(inputs))
  assert.equal(plain(batch.records), inputs)
  assert.equal(batch.records.map(r => r.offset), [0, 1, 2, 3, 4])
})

roundTrip('timestamps: base is the first, max is the largest, earlier ones go negative', () => {
  const stamps = [T0 + 500, T0, T0 + 90_000_000_000, T0 - 3, T0 + 1]
  const batch = decodeBatch(build(stamps.map(timestamp => ({ timestamp, key: null, value: Buffer.from('x'), headers: [] }))))
  assert.is(batch.baseTimestamp, T0 + 500)
  assert.is(batch.maxTimestamp, T0 + 90_000_000_000)
  assert.is(batch.timestampType, TimestampType.CreateTime)
  assert.equal(batch.records.map(r => r.timestamp), stamps)
})

roundTrip('timestamps of 0 and -1 (no timestamp) survive', () => {
  const batch = decodeBatch(build([
    { timestamp: 0, key: null, value: null, headers: [] },
    { timestamp: -1, key: null, value: null, headers: [] },
  ]))
  assert.equal(batch.records.map(r => r.timestamp), [0, -1])
})

roundTrip('10,000 mixed records grow the buffer and come back intact', () => {
  const inputs = mixedInputs(10_000, 1)
  const batch = decodeBatch(build(inputs))
  assert.is(batch.recordCount, 10_000)
  assert.is(batch.lastOffsetDelta, 9_999)
  assert.equal(plain(batch.records), inputs)
  assert.equal(batch.records.map(r => r.offset), [...Array(10_000).keys()])
})

roundTrip('a 3 MiB value, and keys whose length takes a multi-byte varint', () => {
  const inputs: Input[] = [
    { timestamp: T0, key: Buffer.alloc(200, 1), value: Buffer.alloc(3 * 1024 * 1024, 2), headers: [] },
    { timestamp: T0, key: Buffer.alloc(20_000, 3), value: Buffer.alloc(64, 4), headers: [['h', Buffer.alloc(70_000, 5)]] },
  ]
  assert.equal(plain(decodeBatch(build(inputs)).records), inputs)
})

for (const codec of CODECS) {
  roundTrip(`compression ${Compression[codec]}: records and the codec bits survive`, () => {
    const inputs = mixedInputs(2000, 10 + codec)
    const bytes = build(inputs, codec)
    assert.is(checkBatch(bytes, 0), BatchCheck.Ok)
    const batch = decodeBatch(bytes, 0, { verifyCrc: true })
    assert.is(batch.compression, codec)
    assert.is(batch.attributes & 7, codec)
    assert.is(batch.sizeBytes, bytes.length)
    assert.equal(plain(batch.records), inputs)
  })
}

roundTrip('compressed batches are smaller than the records they hold', () => {
  const inputs = Array.from({ length: 500 }, (_, i) => ({ timestamp: T0, key: Buffer.from(`user-${i % 10}`), value: Buffer.from('{"event":"click","page":"/home"}'), headers: [] }))
  const plainSize = build(inputs).length
  for (const codec of CODECS.slice(1)) assert.ok(build(inputs, codec).length < plainSize / 2, Compression[codec])
})

roundTrip('a plain Uint8Array input at an offset decodes the same', () => {
  const bytes = build(mixedInputs(50, 3))
  const padded = new Uint8Array(bytes.length + 100)
  padded.set(bytes, 37)
  assert.equal(plain(decodeBatch(padded, 37).records), plain(decodeBatch(bytes).records))
})

roundTrip.run()

// ---

const header = suite('BatchBuilder header fields')

header('defaults: offset 0, epoch -1, magic 2, no producer, CRC sealed, checkBatch passes', () => {
  const b = new BatchBuilder()
  b.append(T0, null, Buffer.from('a'))
  b.append(T0 + 7, null, Buffer.from('b'))
  const bytes = b.build()
  assert.is(checkBatch(bytes, 0), BatchCheck.Ok)
  assert.is(bytes.readInt8(kMagic), 2)
  assert.is(bytes.readInt32BE(kBatchLength), bytes.length - 12)
  const batch = decodeBatch(bytes, 0, { verifyCrc: true })
  assert.equal({ ...batch, records: undefined }, {
    baseOffset: 0,
    lastOffsetDelta: 1,
    partitionLeaderEpoch: -1,
    attributes: 0,
    compression: Compression.None,
    timestampType: TimestampType.CreateTime,
    isTransactional: false,
    isControl: false,
    baseTimestamp: T0,
    maxTimestamp: T0 + 7,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: 2,
    sizeBytes: bytes.length,
    records: undefined,
  })
})

header('producer fields and the transactional bit', () => {
  const b = new BatchBuilder({ compression: Compression.Lz4, producerId: 2 ** 40 + 5, producerEpoch: 7, baseSequence: 1234, transactional: true })
  b.append(T0, Buffer.from('k'), Buffer.from('v'))
  const batch = decodeBatch(b.build())
  assert.is(batch.producerId, 2 ** 40 + 5)
  assert.is(batch.producerEpoch, 7)
  assert.is(batch.baseSequence, 1234)
  assert.ok(batch.isTransactional)
  assert.is(batch.attributes, 0x10 | Compression.Lz4)
})

header('recordCount and sizeBytes track appends; sizeBytes is the uncompressed size with header', () => {
  const b = new BatchBuilder({ compression: Compression.Gzip })
  assert.is(b.recordCount, 0)
  assert.is(b.sizeBytes, 61)
  for (let i = 0; i < 10; i++) b.append(T0, Buffer.from('key'), Buffer.alloc(100))
  assert.is(b.recordCount, 10)
  // Body: attributes 1, timestampDelta 1, offsetDelta 1, key 1 + 3, value 2 + 100 (zig-zag 200
  // takes two bytes), header count 1 = 110, and 110 needs a two-byte length prefix.
  assert.is(b.sizeBytes, 61 + 10 * (2 + 110))
  const uncompressed = new BatchBuilder()
  for (let i = 0; i < 10; i++) uncompressed.append(T0, Buffer.from('key'), Buffer.alloc(100))
  assert.is(uncompressed.sizeBytes, uncompressed.build().length)
  assert.is(b.sizeBytes, uncompressed.sizeBytes)
})

header('build is repeatable and reset reuses the builder', () => {
  const b = new BatchBuilder()
  b.append(T0, Buffer.from('a'), Buffer.from('1'))
  const first = b.build()
  assert.ok(b.build().equals(first))
  b.reset()
  assert.is(b.recordCount, 0)
  b.append(T0 + 50, Buffer.from('b'), Buffer.from('2'))
  const second = decodeBatch(b.build())
  assert.is(second.baseTimestamp, T0 + 50)
  assert.equal(plain(second.records), [{ timestamp: T0 + 50, key: Buffer.from('b'), value: Buffer.from('2'), headers: [] }])
  // The first batch is a copy, untouched by later appends.
  assert.equal(plain(decodeBatch(first).records), [{ timestamp: T0, key: Buffer.from('a'), value: Buffer.from('1'), headers: [] }])
})

header('reset with options replaces the producer fields and codec', () => {
  const b = new BatchBuilder({ producerId: 9, producerEpoch: 1, baseSequence: 0 })
  b.append(T0, null, Buffer.from('x'))
  assert.is(decodeBatch(b.build()).baseSequence, 0)
  b.reset({ producerId: 9, producerEpoch: 1, baseSequence: 1, compression: Compression.Zstd })
  b.append(T0, null, Buffer.from('y'))
  const batch = decodeBatch(b.build())
  assert.is(batch.baseSequence, 1)
  assert.is(batch.compression, Compression.Zstd)
  b.reset()
  b.append(T0, null, Buffer.from('z'))
  assert.is(decodeBatch(b.build()).baseSequence, 1)
})

header('an empty builder refuses to build', () => {
  assert.throws(() => new BatchBuilder().build(), /at least one record/)
})

header('bad options and timestamps are rejected', () => {
  assert.throws(() => new BatchBuilder({ compression: 6 as Compression }), (err: unknown) => err instanceof CompressionError && err.reason === 'unknown-codec')
  assert.throws(() => new BatchBuilder({ producerEpoch: 40_000 }), /options.producerEpoch/)
  assert.throws(() => new BatchBuilder({ baseSequence: 1.5 }), /options.baseSequence/)
  assert.throws(() => new BatchBuilder().append(1.5, null, null), /timestamp must be an integer/)
  assert.throws(() => new BatchBuilder().append(NaN, null, null), /timestamp must be an integer/)
})

header.run()

// ---

const broker = suite('decodeBatch after the broker rewrites the header')

broker('assigned offsets and epoch show in every record', () => {
  const bytes = build(mixedInputs(5, 4))
  patchOffsetAndEpoch(bytes, 0, 1_000_000, 12)
  assert.is(checkBatch(bytes, 0), BatchCheck.Ok)
  const batch = decodeBatch(bytes)
  assert.is(batch.baseOffset, 1_000_000)
  assert.is(batch.partitionLeaderEpoch, 12)
  assert.equal(batch.records.map(r => r.offset), [1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_000_004])
})

broker('LogAppendTime gives every record the batch maxTimestamp', () => {
  const bytes = build(mixedInputs(5, 5), Compression.Snappy)
  stampLogAppendTime(bytes, 0, T0 + 42)
  const batch = decodeBatch(bytes, 0, { verifyCrc: true })
  assert.is(batch.timestampType, TimestampType.LogAppendTime)
  assert.equal(batch.records.map(r => r.timestamp), [T0 + 42, T0 + 42, T0 + 42, T0 + 42, T0 + 42])
})

broker('control and transactional bits are reported', () => {
  const b = new BatchBuilder({ producerId: 3, producerEpoch: 0, transactional: true })
  b.append(T0, Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 0, 0, 0, 5]))
  const bytes = b.build()
  bytes.writeInt16BE(bytes.readInt16BE(kAttributes) | 0x20, kAttributes)
  sealCrc(bytes, 0)
  const batch = decodeBatch(bytes, 0, { verifyCrc: true })
  assert.ok(batch.isControl)
  assert.ok(batch.isTransactional)
})

broker.run()

// ---

const crc = suite('CRC-32C')

crc('a flipped byte anywhere in the CRC range fails checkBatch and a verifying decode', () => {
  const good = build(mixedInputs(20, 6))
  for (const at of [21, 30, 57, 61, 100, good.length - 1]) {
    const bad = Buffer.from(good)
    bad[at] ^= 0x01
    assert.is(checkBatch(bad, 0), at === 57 ? BatchCheck.BadCount : BatchCheck.BadCrc, `byte ${at}`)
    assert.is(checkBatch(bad, 0, false), at === 57 ? BatchCheck.BadCount : BatchCheck.Ok)
    try {
      decodeBatch(bad, 0, { verifyCrc: true })
      assert.unreachable(`byte ${at}`)
    } catch (err) {
      assert.instance(err, RecordBatchError)
      assert.is((err as RecordBatchError).reason, 'bad-crc')
    }
  }
})

crc('a flipped stored CRC fails too', () => {
  const bad = build(mixedInputs(3, 7))
  bad[kCrc + 2] ^= 0x80
  assert.is(checkBatch(bad, 0), BatchCheck.BadCrc)
  assert.throws(() => decodeBatch(bad, 0, { verifyCrc: true }), (err: unknown) => err instanceof RecordBatchError && err.reason === 'bad-crc')
})

crc('without verifyCrc a changed value byte decodes as written', () => {
  const bytes = build([{ timestamp: T0, key: null, value: Buffer.from('abc'), headers: [] }])
  bytes[bytes.length - 2] = 'z'.charCodeAt(0) // the last value byte; the header count follows
  assert.is(decodeBatch(bytes).records[0].value?.toString(), 'abz')
})

crc.run()

// ---

const bad = suite('decodeBatch on bad input')

function reasonOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof RecordBatchError) return err.reason
    throw err
  }
  return 'decoded'
}

bad('every truncation throws RecordBatchError truncated', () => {
  for (const codec of [Compression.None, Compression.Gzip]) {
    const bytes = build(mixedInputs(10, 8), codec)
    for (let n = 0; n < bytes.length; n++) {
      assert.is(reasonOf(() => decodeBatch(bytes.subarray(0, n))), 'truncated', `${n} of ${bytes.length}`)
    }
  }
})

bad('a wrong magic is bad-magic', () => {
  const bytes = build(mixedInputs(2, 9))
  bytes[kMagic] = 1
  assert.is(reasonOf(() => decodeBatch(bytes)), 'bad-magic')
})

bad('a batchLength below the header size is bad-length', () => {
  const bytes = build(mixedInputs(2, 9))
  bytes.writeInt32BE(10, kBatchLength)
  assert.is(reasonOf(() => decodeBatch(bytes)), 'bad-length')
  bytes.writeInt32BE(-5, kBatchLength)
  assert.is(reasonOf(() => decodeBatch(bytes)), 'bad-length')
})

bad('codecs 5-7 are unsupported-compression', () => {
  for (const codec of [5, 6, 7]) {
    const bytes = build(mixedInputs(2, 10))
    bytes.writeInt16BE(codec, kAttributes)
    assert.is(reasonOf(() => decodeBatch(bytes)), 'unsupported-compression')
  }
})

bad('a compressed block that is not valid data is bad-compression', () => {
  for (const codec of CODECS.slice(1)) {
    const bytes = build(mixedInputs(2, 11))
    bytes.writeInt16BE(codec, kAttributes)
    assert.is(reasonOf(() => decodeBatch(bytes)), 'bad-compression', Compression[codec])
  }
})

bad('a recordCount the bytes cannot hold is bad-count, without allocating for it', () => {
  const bytes = build(mixedInputs(2, 12))
  bytes.writeInt32BE(0x7fffffff, kRecordCount)
  assert.is(reasonOf(() => decodeBatch(bytes)), 'bad-count')
  bytes.writeInt32BE(-1, kRecordCount)
  assert.is(reasonOf(() => decodeBatch(bytes)), 'bad-count')
})

bad('more records claimed than present is truncated or bad-record, fewer leaves the rest unread', () => {
  const bytes = build(mixedInputs(3, 13))
  bytes.writeInt32BE(4, kRecordCount)
  assert.ok(['truncated', 'bad-record'].includes(reasonOf(() => decodeBatch(bytes))))
  bytes.writeInt32BE(2, kRecordCount)
  assert.is(decodeBatch(bytes).records.length, 2)
})

/** A one-record batch around hand-written record bytes. */
function withRecord (record: number[]): Buffer {
  const bytes = build([{ timestamp: T0, key: null, value: null, headers: [] }])
  const out = Buffer.concat([bytes.subarray(0, 61), Buffer.from(record)])
  out.writeInt32BE(out.length - 12, kBatchLength)
  sealCrc(out, 0)
  return out
}

bad('malformed records are bad-record', () => {
  // length 6 | attr 0 | tsDelta 0 | offsetDelta 0 | key -1 | value -1 | 0 headers: well formed
  assert.is(reasonOf(() => decodeBatch(withRecord([12, 0, 0, 0, 1, 1, 0]))), 'decoded')
  // A key length of -2.
  assert.is(reasonOf(() => decodeBatch(withRecord([12, 0, 0, 0, 3, 1, 0]))), 'bad-record')
  // A value longer than the record.
  assert.is(reasonOf(() => decodeBatch(withRecord([12, 0, 0, 0, 1, 20, 0]))), 'bad-record')
  // The record's length says 7 bytes but its fields take 6 (the extra byte pads the batch).
  assert.is(reasonOf(() => decodeBatch(withRecord([14, 0, 0, 0, 1, 1, 0, 0]))), 'bad-record')
  // The record's length says 5 but the fields need 6.
  assert.is(reasonOf(() => decodeBatch(withRecord([10, 0, 0, 0, 1, 1, 0]))), 'bad-record')
  // A negative record length.
  assert.is(reasonOf(() => decodeBatch(withRecord([1, 0, 0, 0, 1, 1, 0]))), 'bad-record')
  // A record length beyond the batch.
  assert.is(reasonOf(() => decodeBatch(withRecord([100, 0, 0, 0, 1, 1, 0]))), 'truncated')
  // A varint that never ends.
  assert.is(reasonOf(() => decodeBatch(withRecord([40, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))), 'bad-record')
  // A null header key.
  assert.is(reasonOf(() => decodeBatch(withRecord([16, 0, 0, 0, 1, 1, 2, 1, 1]))), 'bad-record')
  // A header count far beyond the bytes.
  assert.is(reasonOf(() => decodeBatch(withRecord([14, 0, 0, 0, 1, 1, 0xfe, 0x7f]))), 'bad-record')
  // A negative header count.
  assert.is(reasonOf(() => decodeBatch(withRecord([12, 0, 0, 0, 1, 1, 3]))), 'bad-record')
})

bad('random mutations of valid batches either decode or throw RecordBatchError', () => {
  const next = xorshift(2024)
  const seeds = [build(mixedInputs(30, 14)), build(mixedInputs(30, 15), Compression.Snappy), build(mixedInputs(30, 16), Compression.Lz4)]
  let thrown = 0
  for (let round = 0; round < 3000; round++) {
    const bytes = Buffer.from(seeds[round % seeds.length])
    const flips = 1 + (next() % 4)
    for (let f = 0; f < flips; f++) bytes[12 + (next() % (bytes.length - 12))] = next() & 0xff
    if (reasonOf(() => decodeBatch(bytes)) !== 'decoded') thrown++
  }
  assert.ok(thrown > 0)
})

bad('random garbage after a plausible header throws RecordBatchError', () => {
  const next = xorshift(77)
  for (let round = 0; round < 500; round++) {
    const bytes = Buffer.allocUnsafe(61 + (next() % 200))
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff
    bytes.writeInt32BE(bytes.length - 12, kBatchLength)
    bytes[kMagic] = 2
    bytes.writeInt16BE(next() % 8, kAttributes)
    bytes.writeInt32BE(1 + (next() % 5), kRecordCount)
    reasonOf(() => decodeBatch(bytes))
  }
})

bad.run()

// ---

const walk = suite('forEachBatch and decodeBatches')

walk('visits each whole batch, stops at a partial one, returns where it stopped', () => {
  const batches = [build(mixedInputs(3, 20)), build(mixedInputs(1, 21), Compression.Gzip), build(mixedInputs(7, 22))]
  const whole = Buffer.concat(batches)
  for (const cut of [0, 5, 12, 61, batches[0].length - 1]) {
    const buf = Buffer.concat([whole, batches[0].subarray(0, cut)])
    const seen: Array<[number, number]> = []
    const end = forEachBatch(buf, (at, size) => { seen.push([at, size]) })
    assert.equal(seen, [[0, batches[0].length], [batches[0].length, batches[1].length], [batches[0].length + batches[1].length, batches[2].length]])
    assert.is(end, whole.length)
    assert.equal(decodeBatches(buf).map(b => b.recordCount), [3, 1, 7])
  }
})

walk('an empty buffer visits nothing', () => {
  let calls = 0
  assert.is(forEachBatch(Buffer.alloc(0), () => { calls++ }), 0)
  assert.is(calls, 0)
})

walk('a length field too small for a batch throws bad-length', () => {
  const buf = Buffer.concat([build(mixedInputs(1, 23)), Buffer.alloc(20)])
  assert.is(reasonOf(() => forEachBatch(buf, () => {})), 'bad-length')
})

walk.run()

// ---

const require = createRequire(import.meta.url)
interface KafkajsEncoder { buffer: Buffer }
interface KafkajsRecord { offset: string, timestamp: string, key: Buffer | null, value: Buffer | null, headers: Record<string, Buffer | Buffer[]> }
interface KafkajsBatch { firstOffset: string, lastOffsetDelta: number, producerId: string, producerEpoch: number, firstSequence: number, inTransaction: boolean, maxTimestamp: string, records: KafkajsRecord[] }
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (args: object) => Promise<KafkajsEncoder> }
const KafkajsRecordEncoder = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: object) => KafkajsEncoder
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<KafkajsBatch>
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => unknown
const Long = require('kafkajs/src/utils/long.js') as { fromValue (v: number): unknown }

const kafkajs = suite('interop with kafkajs record batches')

for (const codec of [Compression.None, Compression.Gzip]) {
  kafkajs(`a kafkajs-encoded ${Compression[codec]} batch decodes with ours`, async () => {
    const inputs = mixedInputs(200, 30 + codec).map(r => ({ ...r, headers: r.headers.filter(([, v]) => v !== null) }))
    const first = inputs[0].timestamp
    const max = Math.max(...inputs.map(r => r.timestamp))
    const encoded = await RecordBatch({
      compression: codec,
      firstOffset: Long.fromValue(500),
      firstTimestamp: first,
      maxTimestamp: max,
      lastOffsetDelta: inputs.length - 1,
      producerId: Long.fromValue(77),
      producerEpoch: 2,
      firstSequence: 40,
      transactional: true,
      records: inputs.map((r, i) => KafkajsRecordEncoder({
        offsetDelta: i,
        timestampDelta: r.timestamp - first,
        key: r.key,
        value: r.value,
        // kafkajs takes headers as an object; repeated keys as an array.
        headers: r.headers.reduce<Record<string, Buffer[]>>((o, [k, v]) => { (o[k] ??= []).push(v!); return o }, {}),
      })),
    })
    const bytes = encoded.buffer
    assert.is(checkBatch(bytes, 0), BatchCheck.Ok)
    const batch = decodeBatch(bytes, 0, { verifyCrc: true })
    assert.is(batch.compression, codec)
    assert.is(batch.baseOffset, 500)
    assert.is(batch.producerId, 77)
    assert.is(batch.producerEpoch, 2)
    assert.is(batch.baseSequence, 40)
    assert.ok(batch.isTransactional)
    assert.is(batch.maxTimestamp, max)
    assert.equal(plain(batch.records), inputs)
    assert.equal(batch.records.map(r => r.offset), inputs.map((_, i) => 500 + i))
  })

  kafkajs(`our ${Compression[codec]} batch decodes with kafkajs`, async () => {
    const inputs = mixedInputs(200, 40 + codec)
    const bytes = build(inputs, codec)
    patchOffsetAndEpoch(bytes, 0, 9000, 1)
    const batch = await decodeKafkajsBatch(new KafkajsDecoder(bytes))
    assert.is(batch.firstOffset, '9000')
    assert.is(batch.lastOffsetDelta, inputs.length - 1)
    assert.is(batch.producerId, '-1')
    assert.is(batch.records.length, inputs.length)
    batch.records.forEach((r, i) => {
      const input = inputs[i]
      assert.is(r.offset, String(9000 + i))
      assert.is(r.timestamp, String(input.timestamp))
      assert.equal(r.key, input.key)
      assert.equal(r.value, input.value)
      const headers: Record<string, Buffer | null | Array<Buffer | null>> = {}
      for (const [k, v] of input.headers) {
        const had = headers[k]
        headers[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v]
      }
      assert.equal(r.headers, headers)
    })
  })
}

kafkajs.run()

// ---
const bound = suite('maxRecordBytes')

bound('is never less than what BatchBuilder writes for the record, whatever its deltas', () => {
  const random = xorshift(7)
  for (let round = 0; round < 200; round++) {
    const builder = new BatchBuilder()
    // A first record far in the past makes the next one's timestampDelta as wide as it gets.
    builder.append(random() % 2 === 0 ? 0 : 1_700_000_000_000, null, null)
    for (let i = random() % 300; i > 0; i--) builder.append(0, null, null)
    const key = random() % 3 === 0 ? null : Buffer.alloc(random() % 20_000)
    const value = random() % 5 === 0 ? null : Buffer.alloc(random() % 300_000)
    const headers: Array<[string, Uint8Array | null]> = []
    let headerBytes = 0
    for (let h = random() % 4; h > 0; h--) {
      const name = 'h\u00e9'.repeat(random() % 50)
      const v = random() % 2 === 0 ? null : Buffer.alloc(random() % 200)
      headers.push([name, v])
      headerBytes += Buffer.byteLength(name) + (v?.length ?? 0)
    }
    const before = builder.sizeBytes
    builder.append(Number.MAX_SAFE_INTEGER - (random() % 1000), key, value, headers)
    const written = builder.sizeBytes - before
    const bounded = maxRecordBytes(key?.length ?? 0, value?.length ?? 0, headers.length, headerBytes)
    assert.ok(bounded >= written, `round ${round}: bound ${bounded} < ${written} written`)
    assert.ok(bounded - written <= 40 + headers.length * 10, `round ${round}: bound ${bounded} is loose by ${bounded - written}`)
  }
})

bound.run()
