/**
 * SIGKILL of a `millrace start` process: the idempotent producer state is rebuilt from the last
 * roll snapshot and the batch headers after it, so retries of the last batches are answered
 * with their original offsets and stored once, and a gap is still refused.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { KafkaCode } from '../../src/protocol/error-codes.js'
import type { CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js'
import type { ProduceResponse } from '../../src/protocol/apis/produce.js'
import { BatchBuilder } from '../../src/protocol/record-batch.js'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'
import { fetchRecords, WireClient } from './kafka-wire.js'

const MAIN_JS = new URL('../../src/cli/main.js', import.meta.url).pathname
const TOPIC = 'idem-sigkill'
const PRODUCER_ID = 42
const PER_BATCH = 3

interface Child { process: ChildProcess, port: number }

async function startChild (dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [MAIN_JS, 'start', '--port', '0', '--http-port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on \S+:(\d+)/.exec(line)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`broker exited with ${String(code)} before it was ready`)))
  })
  return { process: child, port }
}

async function kill (child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return
  const exited = new Promise((resolve) => child.process.once('exit', resolve))
  child.process.kill('SIGKILL')
  await exited
}

function batch (n: number): Buffer {
  const builder = new BatchBuilder({ producerId: PRODUCER_ID, producerEpoch: 0, baseSequence: n * PER_BATCH })
  for (let i = 0; i < PER_BATCH; i++) builder.append(1_700_000_000_000, null, Buffer.from(`r-${n * PER_BATCH + i}-${'x'.repeat(60)}`))
  return builder.build()
}

async function produce (wire: WireClient, n: number): Promise<{ errorCode: number, baseOffset: number }> {
  const res = await wire.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch(n) }] }]
  })
  const p = res.responses[0].partitionResponses[0]
  return { errorCode: p.errorCode, baseOffset: p.baseOffset }
}

const crash = suite('idempotent producer state after SIGKILL')

crash('retries of the last batches keep their offsets after a SIGKILL; a gap is refused', async () => {
  const dir = tmpDir('millrace-idem-kill-')
  let child: Child | null = null
  let wire: WireClient | null = null
  try {
    child = await startChild(dir)
    wire = await WireClient.connect(child.port)
    const created = await wire.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      timeoutMs: 5000, validateOnly: false,
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '1024' }] }]
    })
    assert.is(created.topics[0].errorCode, KafkaCode.NONE)
    const BATCHES = 40
    for (let n = 0; n < BATCHES; n++) assert.equal(await produce(wire, n), { errorCode: 0, baseOffset: n * PER_BATCH })
    wire.close()
    await kill(child)
    const snapshots = readdirSync(join(dir, `${TOPIC}-0`)).filter((name) => name.endsWith('.snapshot'))
    assert.ok(snapshots.length > 0, 'segments rolled and left snapshots')
    assert.not.ok(snapshots.includes(`${String(BATCHES * PER_BATCH).padStart(20, '0')}.snapshot`), 'no snapshot at the log end: no clean close')

    child = await startChild(dir)
    wire = await WireClient.connect(child.port)
    for (let n = BATCHES - 5; n < BATCHES; n++) assert.equal(await produce(wire, n), { errorCode: 0, baseOffset: n * PER_BATCH }, `retry of batch ${n}`)
    assert.is((await produce(wire, BATCHES - 6)).errorCode, KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'older than the five kept batches')
    assert.is((await produce(wire, BATCHES + 1)).errorCode, KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap')
    assert.equal(await produce(wire, BATCHES), { errorCode: 0, baseOffset: BATCHES * PER_BATCH })
    const total = (BATCHES + 1) * PER_BATCH
    const records = await fetchRecords(wire, TOPIC, 0, 0, total)
    assert.equal(records.map((r) => r.value!.toString().split('-').slice(0, 2).join('-')), Array.from({ length: total }, (_, i) => `r-${i}`))
    assert.equal(records.map((r) => r.offset), Array.from({ length: total }, (_, i) => i))
  } finally {
    wire?.close()
    if (child !== null) await kill(child)
    removeDir(dir)
  }
})

crash.run()
