/**
 * Fault cases about bad bytes: damage to sealed segments on disk, malformed batches from a client,
 * and decompression bombs. What they must show differs from the loss cases: records in a damaged
 * range may become unreadable, but nothing wrong may ever be served as data, a consumer must be
 * told (an error, not an endless retry), and the broker must log it.
 */
import { execFile } from 'node:child_process'
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiKey } from '../../src/protocol/api-keys.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, kAttributes, kBaseOffset, kBatchLength, kRecordCount, sealCrc } from '../../src/protocol/batch-header.js'
import { Compression } from '../../src/protocol/compression.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { xorshift } from '../../test/helpers/seeded-random.js'
import { removeDir, tmpDir } from '../../test/helpers/tmp-dir.js'
import { until } from '../../test/helpers/until.js'
import { WireClient } from '../../test/integration/kafka-wire.js'
import { BrokerChild, freePort } from './broker-child.js'
import type { CaseOptions, CaseResult } from './cases.js'
import { kafkajsProducer } from './drivers.js'
import { check, Ledger, type ReadBackRecord } from './ledger.js'

const MAIN_JS = new URL('../../src/cli/main.js', import.meta.url).pathname

/** kcat's read of a topic that may stop at an error: what it returned, and what it said. */
function readUntilError (bootstrap: string, topic: string): Promise<{ records: ReadBackRecord[], error: string | null, timedOut: boolean }> {
  return new Promise((resolve) => {
    execFile('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n', '-X', 'fetch.wait.max.ms=5'],
      { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
        const records: ReadBackRecord[] = []
        for (const line of stdout.split('\n')) {
          if (line === '') continue
          const [p, o, value] = line.split(' ')
          records.push({ partition: Number(p), offset: Number(o), value: value! })
        }
        const timedOut = err !== null && (err as { killed?: boolean }).killed === true
        resolve({ records, error: err === null ? null : stderr.trim().split('\n').pop() ?? 'kcat failed', timedOut })
      })
  })
}

function createTopic (bootstrap: string, topic: string, configs: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN_JS, 'topics', 'create', topic, '--partitions', '1', ...configs.flatMap((c) => ['--config', c]), '-b', bootstrap], (err) => err === null ? resolve() : reject(err))
  })
}

// --- damage on disk

export type Damage = 'value-byte' | 'base-offset' | 'zeroed-tail'

/**
 * Writes records in small segments, stops the broker cleanly, damages one sealed segment (a value
 * byte under the CRC: the scrubber's to find; a baseOffset or a zeroed tail: the read path's), starts
 * it again and reads everything with kcat. Every record returned must be the one acknowledged at its
 * offset, kcat must stop with an error rather than spin, and the broker must log the damage.
 */
export async function diskDamage (options: CaseOptions & { damage: Damage }): Promise<CaseResult> {
  const random = xorshift(options.seed)
  const dir = tmpDir('millrace-damage-')
  const configFile = join(dir, 'broker.json')
  const dataDir = join(dir, 'data')
  // The scrubber's first pass runs soon after start and fast, so the case need not wait a day.
  writeFileSync(configFile, JSON.stringify({ scrubIntervalMs: 200, scrubBytesPerSecond: 64 * 1024 * 1024 }))
  const broker = new BrokerChild(dataDir, await freePort(), ['--config', configFile])
  const bootstrap = `127.0.0.1:${broker.port}`
  const topic = 'damage'
  const ledger = new Ledger()
  const problems: string[] = []
  try {
    await broker.start()
    await createTopic(bootstrap, topic, ['segment.bytes=4096'])
    await kafkajsProducer(bootstrap, topic, 1, options.quick ? 2_000 : 20_000, 'd', ledger, false, 20).done
    await broker.stop('SIGTERM')
    const partitionDir = join(dataDir, `${topic}-0`)
    const segments = readdirSync(partitionDir).filter((f) => f.endsWith('.log')).sort()
    if (segments.length < 3) throw new Error(`expected several segments, found ${segments.length}`)
    // A sealed segment in the middle, never the active one.
    const victim = join(partitionDir, segments[1 + random() % (segments.length - 2)]!)
    damageSegment(victim, options.damage, random)
    const began = performance.now()
    await broker.start()
    if (options.damage === 'value-byte') {
      await until('the scrubber to report the damage', () => broker.logged('scrubber found a damaged batch').length > 0, 30_000)
    }
    const read = await readUntilError(bootstrap, topic)
    const recovery = performance.now() - began
    if (read.timedOut) problems.push('kcat did not stop: the damage was neither served nor reported')
    else if (read.error === null) problems.push('kcat read to the end without an error: the damaged range was skipped silently or served')
    if (broker.log.filter((l) => /damaged|CORRUPT_MESSAGE|refused/.test(l)).length === 0) problems.push('the broker logged nothing about the damage')
    const wrong = read.records.filter((r) => { const a = ledger.acks.get(r.value); return a === undefined || a.offset !== r.offset })
    if (wrong.length > 0) problems.push(`${wrong.length} records served that were not acknowledged at their offset`)
    const result = check(ledger, read.records)
    return { fault: `damage on disk: ${options.damage.replace('-', ' ')}`, runs: 1, ...result, recoveryMs: recovery, problems }
  } finally {
    await broker.stop('SIGKILL')
    removeDir(dir)
  }
}

function damageSegment (file: string, damage: Damage, random: () => number): void {
  const bytes = readFileSync(file)
  // Batch positions in the segment, from their length fields.
  const starts: number[] = []
  for (let at = 0; at + BATCH_LOG_OVERHEAD <= bytes.length; at += BATCH_LOG_OVERHEAD + bytes.readInt32BE(at + kBatchLength)) starts.push(at)
  const at = starts[random() % starts.length]!
  const fd = openSync(file, 'r+')
  try {
    if (damage === 'value-byte') {
      const position = at + BATCH_HEADER_BYTES + 8
      writeSync(fd, Buffer.from([bytes[position]! ^ 0x5a]), 0, 1, position)
    } else if (damage === 'base-offset') {
      writeSync(fd, Buffer.from([bytes[at + kBaseOffset + 6]! ^ 0x10]), 0, 1, at + kBaseOffset + 6)
    } else {
      writeSync(fd, Buffer.alloc(statSync(file).size - at), 0, statSync(file).size - at, at)
    }
  } finally {
    closeSync(fd)
  }
}

// --- malformed batches and bombs

interface Malformed { name: string, batch: Buffer, expect: number[] }

function malformedBatches (): Malformed[] {
  const valid = (compression = Compression.None): Buffer => {
    const b = new BatchBuilder({ compression })
    for (let i = 0; i < 5; i++) b.append(Date.now(), null, Buffer.from(`malformed-${compression}-${i}`))
    return b.build()
  }
  const unknownCodec = valid()
  unknownCodec.writeInt16BE(7, kAttributes)
  sealCrc(unknownCodec, 0)
  const corruptGzip = valid(Compression.Gzip)
  corruptGzip.fill(0x41, BATCH_HEADER_BYTES + 10)
  sealCrc(corruptGzip, 0)
  const countTooLarge = valid()
  countTooLarge.writeInt32BE(50, kRecordCount)
  sealCrc(countTooLarge, 0)
  const truncated = valid()
  const cut = truncated.subarray(0, truncated.length - 7)
  cut.writeInt32BE(cut.length - BATCH_LOG_OVERHEAD, kBatchLength)
  sealCrc(cut, 0)
  return [
    { name: 'unknown codec 7', batch: unknownCodec, expect: [KafkaCode.CORRUPT_MESSAGE, KafkaCode.UNSUPPORTED_COMPRESSION_TYPE] },
    { name: 'corrupt gzip payload', batch: corruptGzip, expect: [KafkaCode.CORRUPT_MESSAGE] },
    { name: 'record count larger than the records', batch: countTooLarge, expect: [KafkaCode.CORRUPT_MESSAGE, KafkaCode.INVALID_RECORD] },
    { name: 'truncated record', batch: Buffer.from(cut), expect: [KafkaCode.CORRUPT_MESSAGE, KafkaCode.INVALID_RECORD] }
  ]
}

async function produceRaw (wire: WireClient, topic: string, batch: Buffer): Promise<number> {
  const res = await wire.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }]
  })
  return res.responses[0]!.partitionResponses[0]!.errorCode
}

function rssBytes (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) * 1024
}

/**
 * Malformed batches and decompression bombs between valid records: each refused with its Kafka
 * code and logged, nothing of it visible, the valid records all there, kcat reading to the end,
 * and the broker's memory not inflated by the bombs.
 */
export async function badBatches (options: CaseOptions): Promise<CaseResult> {
  const dir = tmpDir('millrace-bad-')
  const broker = new BrokerChild(dir, await freePort())
  const bootstrap = `127.0.0.1:${broker.port}`
  const topic = 'bad'
  const ledger = new Ledger()
  const problems: string[] = []
  let wire: WireClient | null = null
  try {
    await broker.start()
    await createTopic(bootstrap, topic, [])
    wire = await WireClient.connect(broker.port)
    const rounds = options.quick ? 1 : 5
    for (let round = 0; round < rounds; round++) {
      await kafkajsProducer(bootstrap, topic, 1, 200, `ok${round}`, ledger, false, 20).done
      for (const m of malformedBatches()) {
        const code = await produceRaw(wire, topic, m.batch)
        if (!m.expect.includes(code)) problems.push(`${m.name}: answered ${code}, expected one of ${m.expect.join('/')}`)
      }
    }
    const before = rssBytes(broker.pid!)
    // A gzip bomb: one record of 256 MiB (64 MiB quick) of zeros, a few hundred KB on the wire.
    const bombBuilder = new BatchBuilder({ compression: Compression.Gzip })
    bombBuilder.append(Date.now(), null, Buffer.alloc((options.quick ? 64 : 256) * 1024 * 1024))
    const bomb = bombBuilder.build()
    const bombCode = await produceRaw(wire, topic, bomb)
    if (bombCode !== KafkaCode.MESSAGE_TOO_LARGE && bombCode !== KafkaCode.CORRUPT_MESSAGE) problems.push(`the bomb was answered ${bombCode}`)
    const growth = rssBytes(broker.pid!) - before
    if (growth > 96 * 1024 * 1024) problems.push(`the bomb grew the broker by ${Math.round(growth / 1048576)} MB`)
    await kafkajsProducer(bootstrap, topic, 1, 200, 'after', ledger, false, 20).done
    if (broker.logged('refused').length === 0) problems.push('no refusal in the broker log')
    const read = await readUntilError(bootstrap, topic)
    if (read.error !== null) problems.push(`kcat stopped: ${read.error}`)
    if (read.records.some((r) => r.value.startsWith('malformed-'))) problems.push('records of a refused batch became visible')
    return { fault: 'malformed batches and a gzip bomb', runs: rounds * 4 + 1, ...check(ledger, read.records), recoveryMs: null, problems }
  } finally {
    wire?.close()
    await broker.stop('SIGKILL')
    removeDir(dir)
  }
}
