import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../../../src/protocol/batch-header.js'
import { Compression, compress } from '../../../src/protocol/compression.js'
import { BatchBuilder } from '../../../src/protocol/record-batch.js'
import { MAX_LISTED_RECORDS, validateBatch, type BatchFault, type BatchRules } from '../../../src/log/batch-validator.js'
import { LogStatus } from '../../../src/log/errors.js'
import { batch, record, records } from '../../helpers/crafted-batch.js'

const RULES: BatchRules = { maxInflatedBytes: 32 * 1024 * 1024, keysRequired: false }
const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]

function check (buf: Buffer, rules: BatchRules = RULES): BatchFault | null {
  return validateBatch(buf, 0, buf.length, rules)
}

function assertFault (f: BatchFault | null, status: LogStatus, records: number[], text: string | RegExp, label = ''): void {
  assert.ok(f !== null, `${label}: expected a fault`)
  assert.is(LogStatus[f.status], LogStatus[status], `${label}: ${f.message}`)
  assert.equal(f.recordIndexes, records, label)
  assert.match(f.message, text, label)
}

// ---

const valid = suite('validateBatch: valid batches pass')

for (const codec of CODECS) {
  valid(`${Compression[codec]}: records with keys, values, null values and headers`, () => {
    const body = [
      ...record({ offsetDelta: 0, key: 'a', value: 'x', headers: [['h', 'v'], ['n', null]] }),
      ...record({ offsetDelta: 1, key: null, value: null }),
      ...record({ offsetDelta: 2, key: 'c', value: '' })
    ]
    assert.is(check(batch(body, 3, { codec })), null)
  })
  valid(`${Compression[codec]}: what BatchBuilder writes`, () => {
    const builder = new BatchBuilder({ compression: codec })
    for (let i = 0; i < 500; i++) builder.append(1_700_000_000_000 + i, Buffer.from(`key-${i}`), Buffer.alloc(100, i), [['trace', Buffer.from('id')]])
    assert.is(check(builder.build()), null)
  })
}

valid.run()

// ---

const batchLevel = suite('validateBatch: batch-level refusals')

batchLevel('codecs 5, 6 and 7 are corrupt: no such codec exists', () => {
  for (const codec of [5, 6, 7]) {
    assertFault(check(batch(records(2), 2, { codec })), LogStatus.CorruptMessage, [], `compression codec ${codec}`, `codec ${codec}`)
  }
})

batchLevel('the control bit is refused as INVALID_RECORD', () => {
  assertFault(check(batch(records(1), 1, { attributes: ATTR_CONTROL })), LogStatus.InvalidRecord, [], /control batches/)
})

batchLevel('a transactional batch without a producer id is refused as INVALID_RECORD', () => {
  assertFault(check(batch(records(1), 1, { attributes: ATTR_TRANSACTIONAL })), LogStatus.InvalidRecord, [], /needs a producer id/)
})

batchLevel('a transactional batch with a producer id passes (the coordinator decides whether it belongs to a transaction)', () => {
  const b = new BatchBuilder({ producerId: 7, producerEpoch: 0, baseSequence: 0, transactional: true })
  b.append(1_700_000_000_000, Buffer.from('k'), Buffer.from('v'))
  assert.is(check(b.build()), null)
})

for (const codec of CODECS.slice(1)) {
  const name = Compression[codec]
  batchLevel(`${name}: a payload that does not decompress is corrupt`, () => {
    const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    assertFault(check(batch([], 1, { codec, compressedBody: garbage })), LogStatus.CorruptMessage, [], /do not decompress/, name)
  })
  batchLevel(`${name}: a payload cut short is corrupt`, () => {
    const packed = compress(codec, Buffer.from(records(200)))
    assertFault(check(batch([], 200, { codec, compressedBody: packed.subarray(0, packed.length - 9) })), LogStatus.CorruptMessage, [], /do not decompress/, name)
  })
  batchLevel(`${name}: a bomb is refused at the cap, fast and without inflating it`, () => {
    // 64 MiB of one byte compresses to a few KiB (a few hundred for zstd); the cap is 1 MiB.
    const packed = compress(codec, Buffer.alloc(64 * 1024 * 1024, 0x61))
    const before = process.memoryUsage().arrayBuffers
    const started = performance.now()
    const f = check(batch([], 1, { codec, compressedBody: packed }), { maxInflatedBytes: 1024 * 1024, keysRequired: false })
    const elapsed = performance.now() - started
    assertFault(f, LogStatus.RecordTooLarge, [], /inflate past 1048576 bytes/, name)
    assert.ok(elapsed < 1000, `${name} took ${elapsed} ms`)
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, `${name} held too much memory`)
  })
}

batchLevel.run()

// ---

const recordLevel = suite('validateBatch: malformed records, every codec')

interface Case {
  name: string
  body: number[]
  count: number
  status: LogStatus
  records: number[]
  text: RegExp
}

/** A record whose one header's key length (4 bytes from the end: len, 'h', len, 'v') is -1. */
function nullHeaderKey (): number[] {
  const r = record({ offsetDelta: 0, key: 'a', headers: [['h', 'v']] })
  r[r.length - 4] = 1
  return r
}

const CASES: Case[] = [
  { name: 'a record count larger than the records', body: records(2), count: 3, status: LogStatus.CorruptMessage, records: [2], text: /recordCount is 3 but the records end after 2/ },
  { name: 'a record count smaller than the records', body: records(3), count: 2, status: LogStatus.CorruptMessage, records: [], text: /bytes follow the last of the 2 records/ },
  { name: 'a record length past the end (truncated)', body: records(2).slice(0, -3), count: 2, status: LogStatus.CorruptMessage, records: [1], text: /record 1 .*does not fit the batch/ },
  { name: 'a record length longer than its fields', body: [...record({ offsetDelta: 0, key: 'a' }), ...record({ offsetDelta: 1, key: 'b', lengthSkew: 1 }), 0], count: 2, status: LogStatus.CorruptMessage, records: [1], text: /record 1 declares/ },
  { name: 'an unparseable varint', body: [...records(1), 0x14, 0, ...Array(11).fill(0xff)], count: 2, status: LogStatus.CorruptMessage, records: [1], text: /record 1 has a malformed timestampDelta/ },
  { name: 'a negative record length', body: [0x03, ...records(1)], count: 1, status: LogStatus.CorruptMessage, records: [0], text: /record 0 .*does not fit/ },
  // length 5 | attributes | timestampDelta 0 | offsetDelta 0 | keyLength 100 (two bytes)
  { name: 'a key length past the record', body: [10, 0, 0, 0, 0xc8, 0x01], count: 1, status: LogStatus.CorruptMessage, records: [0], text: /record 0 has a key length/ },
  // length 5 | attributes | timestampDelta 0 | offsetDelta 0 | keyLength 0 | valueLength 50
  { name: 'a value length past the record', body: [10, 0, 0, 0, 0, 0x64], count: 1, status: LogStatus.CorruptMessage, records: [0], text: /record 0 has a value length/ },
  { name: 'a null header key', body: nullHeaderKey(), count: 1, status: LogStatus.CorruptMessage, records: [0], text: /record 0 header 0 has a malformed or null key/ },
  { name: 'a duplicate offset delta', body: [...record({ offsetDelta: 0 }), ...record({ offsetDelta: 0 })], count: 2, status: LogStatus.InvalidRecord, records: [1], text: /record 1 has offsetDelta 0/ },
  { name: 'an out-of-range offset delta', body: [...record({ offsetDelta: 0 }), ...record({ offsetDelta: 7 })], count: 2, status: LogStatus.InvalidRecord, records: [1], text: /record 1 has offsetDelta 7; records must number 0 to 1/ },
  { name: 'a negative offset delta', body: record({ offsetDelta: -1 }), count: 1, status: LogStatus.InvalidRecord, records: [0], text: /record 0 has offsetDelta -1/ }
]

for (const codec of CODECS) {
  for (const c of CASES) {
    recordLevel(`${Compression[codec]}: ${c.name}`, () => {
      assertFault(check(batch(c.body, c.count, { codec })), c.status, c.records, c.text, `${Compression[codec]} ${c.name}`)
    })
  }
}

recordLevel('a fault at the second batch of a buffer reads that batch, not the first', () => {
  const good = batch(records(2), 2)
  const bad = batch([...record({ offsetDelta: 0 }), ...record({ offsetDelta: 0 })], 2)
  const both = Buffer.concat([good, bad])
  assert.is(validateBatch(both, 0, good.length, RULES), null)
  assertFault(validateBatch(both, good.length, bad.length, RULES), LogStatus.InvalidRecord, [1], /offsetDelta 0/)
})

recordLevel.run()

// ---

const keys = suite('validateBatch: compacted topics')

const COMPACT: BatchRules = { ...RULES, keysRequired: true }

for (const codec of CODECS) {
  keys(`${Compression[codec]}: every record without a key is named (KIP-467 record_errors)`, () => {
    const body = [
      ...record({ offsetDelta: 0, key: 'a' }), ...record({ offsetDelta: 1, key: null }),
      ...record({ offsetDelta: 2, key: 'c' }), ...record({ offsetDelta: 3, key: null })
    ]
    assertFault(check(batch(body, 4, { codec }), COMPACT), LogStatus.InvalidRecord, [1, 3], /needs a key on every record; 2 of 4 have none/)
    assert.is(check(batch(body, 4, { codec })), null, 'a topic that does not compact takes them')
  })
}

keys('an empty key is a key', () => {
  assert.is(check(batch(record({ offsetDelta: 0, key: '' }), 1), COMPACT), null)
})

keys(`at most ${MAX_LISTED_RECORDS} records are listed; the message counts them all`, () => {
  let body: number[] = []
  for (let i = 0; i < MAX_LISTED_RECORDS + 5; i++) body = body.concat(record({ offsetDelta: i, key: null }))
  const f = check(batch(body, MAX_LISTED_RECORDS + 5), COMPACT)
  assert.ok(f !== null)
  assert.is(f.recordIndexes.length, MAX_LISTED_RECORDS)
  assert.match(f.message, `${MAX_LISTED_RECORDS + 5} of ${MAX_LISTED_RECORDS + 5} have none (the first ${MAX_LISTED_RECORDS} listed)`)
})

keys.run()
