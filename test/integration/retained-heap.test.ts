/**
 * Short waits must not leave memory behind on the dispatcher's thread: 100,000 heartbeats (each a
 * call to the coordinator thread) and 100,000 Fetch long-polls that time out, all on connections
 * that stay open, then a forced GC. Before the fix each heartbeat kept ~0.6 KB until the
 * coordinator thread exited and each poll ~0.8 KB until its connection closed (~140 MB here).
 *
 * The broker runs in this process, so the heap measured here is the dispatcher's.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Broker } from '../../src/index.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { FrameSplitter } from '../../src/protocol/frame.js'
import { WireClient } from './kafka-wire.js'

const REQUESTS = 100_000
/** Requests in flight on one connection; below the broker's MAX_INFLIGHT_REQUESTS, so it keeps reading. */
const WINDOW = 100
/** Growth allowed after 200,000 requests: what warm caches and allocator slack may hold, far below a leak. */
const MAX_RETAINED_BYTES = 5 * 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function retainedHeap (): number {
  // Several passes: weak references and finalizers free more on the second and third.
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed
}

/** Sends `frame` `count` times on `socket`, at most `WINDOW` unanswered, and resolves when all are answered. */
function pump (socket: Socket, frame: Buffer, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const splitter = new FrameSplitter(1 << 24)
    let sent = 0
    let answered = 0
    const send = (): void => {
      const burst: Buffer[] = []
      while (sent < count && sent - answered < WINDOW) { burst.push(frame); sent++ }
      if (burst.length > 0) socket.write(Buffer.concat(burst))
    }
    const onData = (chunk: Buffer): void => {
      answered += splitter.push(chunk).length
      if (answered === count) { socket.off('data', onData); socket.off('close', onClose); resolve(); return }
      send()
    }
    const onClose = (): void => reject(new Error(`connection closed after ${answered} of ${count} answers`))
    socket.on('data', onData)
    socket.once('close', onClose)
    send()
  })
}

function open (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => { socket.off('error', reject); resolve(socket) })
    socket.once('error', reject)
  })
}

interface Ctx { broker: Broker, frames: WireClient }
const heap = suite<Ctx>('heap retained by heartbeats and long-polls')

heap.before(async (ctx) => {
  ctx.broker = await Broker.start({ dataDir: null, port: 0, workers: 1 })
  ctx.frames = await WireClient.connect(ctx.broker.port!)
})
heap.after(async (ctx) => {
  ctx.frames.close()
  await ctx.broker.close()
})

heap('100,000 heartbeats and 100,000 timed-out long-polls leave the heap where it was', async (ctx) => {
  const topic = `retained-heap-${process.pid}`
  await ctx.broker.createTopic({ topic, partitions: 1 })
  // A heartbeat of an unknown member: the coordinator answers with an error code, after a full call to its thread.
  const heartbeat = ctx.frames.frame(ApiKey.Heartbeat, 4, { groupId: `${topic}-group`, generationId: 1, memberId: 'nobody', groupInstanceId: null }, 1)
  // A caught-up consumer's poll: nothing to read, so it parks for 1 ms and answers empty.
  const poll = ctx.frames.frame(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 1, minBytes: 1, maxBytes: 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1024 * 1024 }] }],
    forgottenTopicsData: [], rackId: ''
  }, 2)
  const groups = await open(ctx.broker.port!)
  const polls = await open(ctx.broker.port!)
  try {
    // Warm up first (coordinator thread started, code compiled, pools grown) so the baseline is fair.
    await Promise.all([pump(groups, heartbeat, 2_000), pump(polls, poll, 2_000)])
    const before = retainedHeap()
    await Promise.all([pump(groups, heartbeat, REQUESTS), pump(polls, poll, REQUESTS)])
    const grown = retainedHeap() - before
    assert.ok(grown < MAX_RETAINED_BYTES, `heap grew by ${(grown / 1024 / 1024).toFixed(1)} MB over ${REQUESTS} heartbeats and ${REQUESTS} polls`)
    // Both connections are still open: nothing was freed by a close.
    assert.is(groups.destroyed || polls.destroyed, false)
  } finally {
    groups.destroy()
    polls.destroy()
    await ctx.broker.deleteTopic(topic)
  }
})

heap.run()
