import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { crc32, downConvert, MessageSetError, upConvert } from '../../../src/protocol/message-set.js'
import { BatchBuilder, Compression, decodeBatch, TimestampType } from '../../../src/protocol/record-batch.js'
import { compress, decompress, DEFAULT_MAX_INFLATED_BYTES } from '../../../src/protocol/compression.js'
import type { ProduceRequest } from '../../../src/protocol/apis/produce.js'
import { decodeGolden, reencode } from './apis/golden.js'
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, kAttributes, patchOffsetAndEpoch, sealCrc } from '../../../src/protocol/batch-header.js'

const b = (s: string): Buffer => Buffer.from(s)

/** One message as an old client writes it; `crcDelta` damages the checksum. */
function message (magic: 0 | 1, attributes: number, timestamp: number, key: Buffer | null, value: Buffer | null, offset = 0, crcDelta = 0): Buffer {
  const size = 14 + (magic === 1 ? 8 : 0) + (key?.length ?? 0) + (value?.length ?? 0)
  const out = Buffer.alloc(12 + size)
  out.writeBigInt64BE(BigInt(offset), 0)
  out.writeInt32BE(size, 8)
  out.writeInt8(magic, 16)
  out.writeInt8(attributes, 17)
  let pos = 18
  if (magic === 1) { out.writeBigInt64BE(BigInt(timestamp), pos); pos += 8 }
  for (const f of [key, value]) {
    if (f === null) { out.writeInt32BE(-1, pos); pos += 4; continue }
    out.writeInt32BE(f.length, pos)
    f.copy(out, pos + 4)
    pos += 4 + f.length
  }
  out.writeUInt32BE((crc32(out.subarray(16)) + crcDelta) >>> 0, 12)
  return out
}

function batchOf (records: Array<[number, string | null, string | null]>, compression = Compression.None, baseOffset = 0): Buffer {
  const builder = new BatchBuilder({ compression })
  for (const [ts, k, v] of records) builder.append(ts, k === null ? null : b(k), v === null ? null : b(v), [['h', b('dropped')]])
  const batch = builder.build()
  patchOffsetAndEpoch(batch, 0, baseOffset, 0)
  sealCrc(batch, 0)
  return batch
}

/** Decodes a message set with the same walker the broker uses, through an up-conversion. */
function readSet (set: Buffer): Array<[number, string | null, string | null]> {
  return decodeBatch(upConvert(set).batch).records.map((r) => [r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])
}

// ---

const checksum = suite('crc32')
checksum('is CRC-32 (IEEE), not CRC-32C', () => {
  assert.is(crc32(b('123456789')), 0xcbf43926)
  assert.is(crc32(Buffer.alloc(0)), 0)
})
checksum.run()

// ---

const up = suite('upConvert (Produce v0-2)')

up('magic 0 messages become one uncompressed batch v2 with no timestamps', () => {
  const set = Buffer.concat([message(0, 0, 0, b('a'), b('one')), message(0, 0, 0, null, b('two')), message(0, 0, 0, b('c'), null)])
  const { batch, magic, records } = upConvert(set)
  assert.is(magic, 0)
  assert.is(records, 3)
  const decoded = decodeBatch(batch, 0, { verifyCrc: true })
  assert.is(decoded.compression, Compression.None)
  assert.is(decoded.baseOffset, 0)
  assert.equal(decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]),
    [[0, -1, 'a', 'one'], [1, -1, null, 'two'], [2, -1, 'c', null]])
})

up('magic 1 keeps each create time', () => {
  const set = Buffer.concat([message(1, 0, 1000, b('a'), b('x')), message(1, 0, 3000, b('b'), b('y'))])
  assert.equal(readSet(set), [[1000, 'a', 'x'], [3000, 'b', 'y']])
})

for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4]) {
  up(`a ${Compression[codec]} wrapper becomes a batch with the same codec`, () => {
    // Magic 1 inner offsets are relative (0..n-1), the wrapper holds the last one.
    const inner = Buffer.concat([0, 1, 2].map((i) => message(1, 0, 500 + i, b(`k${i}`), b(`v${i}`), i)))
    const wrapper = message(1, codec, 502, null, compress(codec, inner), 2)
    const { batch } = upConvert(wrapper)
    const decoded = decodeBatch(batch, 0, { verifyCrc: true })
    assert.is(decoded.attributes & ATTR_COMPRESSION_MASK, codec)
    assert.equal(decoded.records.map((r) => [r.timestamp, r.key!.toString(), r.value!.toString()]), [[500, 'k0', 'v0'], [501, 'k1', 'v1'], [502, 'k2', 'v2']])
  })
}

up('a log-append-time wrapper stamps its timestamp on the inner messages', () => {
  const inner = Buffer.concat([message(1, 0, 1, null, b('a'), 0), message(1, 0, 2, null, b('b'), 1)])
  const wrapper = message(1, Compression.Gzip | ATTR_TIMESTAMP_TYPE, 9999, null, compress(Compression.Gzip, inner), 1)
  assert.equal(readSet(wrapper), [[9999, null, 'a'], [9999, null, 'b']])
})

up('a gzip wrapper that inflates past the cap (a decompression bomb) is refused as too-large, not inflated', () => {
  // 4 MiB of zeros in one inner message gzip to a few KB; the cap here is 1 MiB.
  const inner = message(1, 0, 1, null, Buffer.alloc(4 * 1024 * 1024))
  const wrapper = message(1, Compression.Gzip, 1, null, compress(Compression.Gzip, inner))
  assert.ok(wrapper.length < 64 * 1024)
  try {
    upConvert(wrapper, 1024 * 1024)
    assert.unreachable('the bomb should be refused')
  } catch (err) {
    assert.instance(err, MessageSetError)
    assert.is((err as MessageSetError).reason, 'too-large')
  }
  assert.equal(readSet(Buffer.concat([message(1, 0, 1, null, b('fine'))])), [[1, null, 'fine']], 'a small set still converts')
})

function failsWith (set: Buffer, reason: string, text: string): void {
  try {
    upConvert(set)
  } catch (err) {
    assert.instance(err, MessageSetError)
    assert.is((err as MessageSetError).reason, reason)
    assert.match((err as Error).message, text)
    return
  }
  assert.unreachable(`expected ${reason}`)
}

up('refuses damaged input with a reason', () => {
  failsWith(message(0, 0, 0, null, b('x'), 0, 1), 'bad-crc', 'CRC-32')
  failsWith(message(0, 0, 0, null, b('x')).subarray(0, 20), 'corrupt', 'declares')
  failsWith(Buffer.concat([message(0, 0, 0, null, b('x')), Buffer.alloc(5)]), 'corrupt', 'cannot hold a message header')
  const magic3 = message(0, 0, 0, null, b('x'))
  magic3.writeInt8(3, 16)
  magic3.writeUInt32BE(crc32(magic3.subarray(16)), 12)
  failsWith(magic3, 'bad-magic', 'magic 3')
  failsWith(message(1, Compression.Zstd, 0, null, b('x')), 'unsupported-compression', 'codec 4')
  failsWith(message(0, Compression.Gzip, 0, null, b('not gzip')), 'corrupt', 'corrupt')
  const nested = message(0, Compression.Gzip, 0, null, compress(Compression.Gzip, message(0, Compression.Gzip, 0, null, b('x'))))
  failsWith(nested, 'corrupt', 'another compressed message')
  failsWith(Buffer.alloc(0), 'corrupt', 'no message')
  failsWith(message(1, 0, 0, null, b('x')).fill(0x7f, 18, 26), 'bad-crc', 'CRC-32')
  const farFuture = message(1, 0, 0, null, b('x'))
  farFuture.fill(0x7f, 18, 26)
  farFuture.writeUInt32BE(crc32(farFuture.subarray(16)), 12)
  failsWith(farFuture, 'corrupt', 'timestamp')
})

up.run()

// ---

const down = suite('downConvert (Fetch v0-3)')

down('magic 1: offsets and timestamps kept, headers dropped, round-trips through upConvert', () => {
  const set = downConvert(batchOf([[100, 'a', 'one'], [200, null, 'two'], [300, 'c', null]], Compression.None, 40), 1, 0, 1 << 20)
  assert.is(set.readBigInt64BE(0), 40n)
  assert.equal(readSet(set), [[100, 'a', 'one'], [200, null, 'two'], [300, 'c', null]])
})

down('magic 0 has no timestamp field; compressed batches are sent decompressed', () => {
  const set = downConvert(batchOf([[100, 'k', 'v']], Compression.Gzip, 7), 0, 0, 1 << 20)
  assert.is(set.readInt8(16), 0, 'magic')
  assert.is(set.readInt8(17), 0, 'no codec')
  assert.is(set.length, 12 + 14 + 2)
  assert.equal(readSet(set), [[-1, 'k', 'v']])
})

down('records before fetchOffset and control batches are left out; a partial batch at the end is ignored', () => {
  const control = batchOf([[1, null, null]], Compression.None, 3)
  control.writeInt16BE(control.readInt16BE(kAttributes) | ATTR_CONTROL, kAttributes)
  sealCrc(control, 0)
  const tail = batchOf([[5, 'x', 'late']], Compression.None, 4)
  const bytes = Buffer.concat([batchOf([[1, 'a', '0'], [2, 'b', '1'], [3, 'c', '2']]), control, tail.subarray(0, tail.length - 3)])
  const set = downConvert(bytes, 1, 1, 1 << 20)
  const offsets: number[] = []
  for (let at = 0; at < set.length; at += 12 + set.readInt32BE(at + 8)) offsets.push(Number(set.readBigInt64BE(at)))
  assert.equal(offsets, [1, 2])
})

down('stops at maxBytes but always sends the first message', () => {
  const bytes = batchOf([[1, null, 'x'.repeat(100)], [2, null, 'y'.repeat(100)]])
  const one = downConvert(bytes, 1, 0, 10)
  assert.is(readSet(one).length, 1)
  assert.is(readSet(downConvert(bytes, 1, 0, one.length + 10)).length, 1)
  assert.is(readSet(downConvert(bytes, 1, 0, 2 * one.length)).length, 2)
})

down('a log-append-time batch marks its messages', () => {
  const bytes = batchOf([[1, null, 'x']])
  bytes.writeInt16BE(bytes.readInt16BE(kAttributes) | ATTR_TIMESTAMP_TYPE, kAttributes)
  sealCrc(bytes, 0)
  const set = downConvert(bytes, 1, 0, 1 << 20)
  assert.is(set.readInt8(17), TimestampType.LogAppendTime << 3)
})

down.run()

// ---

const golden = suite('message sets captured from old clients')

function goldenRecords (name: string, version: number): { set: Buffer, records: Array<[string | null, string | null]> } {
  const g = decodeGolden<ProduceRequest>(name)
  assert.is(g.header.apiVersion, version)
  assert.equal(reencode(g), g.frame)
  const set = g.body.topicData[0].partitionData[0].records!
  return { set, records: decodeBatch(upConvert(set).batch, 0, { verifyCrc: true }).records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null]) }
}

golden('sarama V0_8_2_0, Produce v0: a gzip wrapper of magic 0 messages', () => {
  const { set, records } = goldenRecords('sarama-produce-v0', 0)
  assert.is(set.readInt8(16), 0, 'magic 0')
  assert.is(set.readInt8(17), Compression.Gzip)
  assert.equal(records, [['k0', 'v0 gzip'], ['k1', 'v1 gzip']])
})

golden('sarama V0_10_2_0, Produce v2: a snappy (raw block) wrapper of magic 1 messages', () => {
  const { set, records } = goldenRecords('sarama-produce-v2', 2)
  assert.is(set.readInt8(16), 1, 'magic 1')
  assert.is(set.readInt8(17), Compression.Snappy)
  assert.equal(records, [['k0', 'v0 snappy']])
  assert.is(decodeBatch(upConvert(set).batch).records[0].timestamp, 1_700_000_000_000, 'the create time sarama set')
})

golden('librdkafka as a 0.9 client, Produce v1: plain magic 0 messages', () => {
  const { set, records } = goldenRecords('kcat09-produce-v1', 1)
  assert.is(set.readInt8(16), 0, 'magic 0')
  assert.equal(records, [['a', 'one'], ['b', 'two']])
})

golden('librdkafka as a 0.9 client, Produce v1 with lz4: the magic 0 frame checksum that covers the magic bytes is accepted', () => {
  const { set, records } = goldenRecords('kcat09-produce-v1-lz4', 1)
  assert.is(set.readInt8(17), Compression.Lz4)
  // A standard LZ4 decoder refuses this frame as it came: its header checksum is the old broken one.
  const frame = set.subarray(12 + 14 + 4 + 4)
  assert.throws(() => decompress(Compression.Lz4, frame, DEFAULT_MAX_INFLATED_BYTES), /HeaderChecksum|corrupt/)
  assert.equal(records, [[null, 'lz4 one'], [null, 'lz4 two']])
})

golden.run()
