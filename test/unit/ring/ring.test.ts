import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MillraceError } from '../../../src/errors.js'
import {
  HEADER_BYTES, MAX_RING_BYTES, MIN_RING_BYTES, RING_CLOSED, RING_FAULTED, RING_OPEN, RingReader, RingWriter,
  createRing, frameBytes, maxFrameBytes, ringCapacity, ringUsedBytes
} from '../../../src/ring/ring.js'
import { HEADER_SLOTS, kHead, kTail } from '../../../src/ring/layout.js'
import { DEFAULT_SPIN_COUNT, spinCountFromEnv } from '../../../src/ring/wait.js'
import { checkFrame, fillFrame, frameLengths, mulberry32 } from '../../fixtures/ring-frames.js'

const CAP = MIN_RING_BYTES

function pair (capacity = CAP): { sab: SharedArrayBuffer, writer: RingWriter, reader: RingReader } {
  const sab = createRing(capacity)
  return { sab, writer: new RingWriter(sab), reader: new RingReader(sab) }
}

function errorCode (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof MillraceError, `expected a MillraceError, got ${String(err)}`)
    return (err as MillraceError).code
  }
  throw new assert.Assertion({ message: 'expected a throw', operator: 'throws', expects: 'throw', actual: 'none' })
}

/** Writes one frame of `length` bytes derived from `seq`; returns the payload offset or -1. */
function put (writer: RingWriter, length: number, seq: number): number {
  const at = writer.reserve(length)
  if (at === -1) return -1
  fillFrame(writer.bytes, at, length, seq)
  writer.commit()
  return at
}

function take (reader: RingReader, length: number, seq: number): void {
  const at = reader.next()
  assert.not.equal(at, -1, `frame ${seq} missing`)
  assert.is(checkFrame(reader.bytes, at, reader.frameLength, seq, length), null)
}

// ---

const platform = suite('platform')

platform('Atomics on 4-byte words are lock-free', () => {
  assert.ok(Atomics.isLockFree(4))
})

platform.run()

// ---

const create = suite('createRing')

create('makes a buffer of header plus capacity, open and empty', () => {
  const sab = createRing(CAP)
  assert.is(sab.byteLength, HEADER_BYTES + CAP)
  assert.is(ringCapacity(sab), CAP)
  const { reader, writer } = { reader: new RingReader(sab), writer: new RingWriter(sab) }
  assert.is(reader.state, RING_OPEN)
  assert.is(writer.state, RING_OPEN)
  assert.is(reader.next(), -1)
  assert.is(reader.bytes.byteLength, CAP)
  assert.is(writer.bytes.byteLength, CAP)
})

create('maxFrameBytes is half the capacity less the length prefix', () => {
  assert.is(maxFrameBytes(createRing(CAP)), CAP / 2 - 4)
  assert.is(maxFrameBytes(createRing(1 << 20)), (1 << 20) / 2 - 4)
})

create('rejects a capacity that is not a power of two in range, with a clear message', () => {
  for (const bad of [0, -65536, 1000, 32768, 65536 + 8, 65536.5, NaN, Infinity, MAX_RING_BYTES * 2]) {
    try {
      createRing(bad)
      assert.unreachable(`accepted ${bad}`)
    } catch (err) {
      assert.ok(err instanceof MillraceError)
      assert.is((err as MillraceError).code, 'MR_ERR_INVALID_OPTION')
      assert.is((err as Error).message, `ring capacityBytes must be a power of two between 65536 and 1073741824 (got ${String(bad)})`)
    }
  }
})

create('refuses a buffer that createRing did not make', () => {
  assert.is(errorCode(() => new RingReader(new SharedArrayBuffer(HEADER_BYTES + CAP))), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => new RingWriter(new SharedArrayBuffer(16))), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => maxFrameBytes(new ArrayBuffer(HEADER_BYTES + CAP) as unknown as SharedArrayBuffer)), 'MR_ERR_INVALID_OPTION')
})

create.run()

// ---

const frames = suite('frames')

frames('a frame round-trips, 8-byte aligned, empty frames included', () => {
  const { writer, reader } = pair()
  const lengths = [0, 1, 3, 4, 5, 7, 8, 9, 100, 1000]
  lengths.forEach((n, seq) => {
    const at = put(writer, n, seq)
    assert.is(at % 8, 4, 'payload follows a 4-byte prefix at an 8-byte boundary')
  })
  lengths.forEach((n, seq) => take(reader, n, seq))
  assert.is(reader.next(), -1)
})

frames('ringUsedBytes counts published frames until the reader releases them, across a counter wrap', () => {
  const { sab, writer, reader } = pair()
  assert.is(ringUsedBytes(sab), 0)
  put(writer, 100, 0)
  put(writer, 5, 1)
  assert.is(ringUsedBytes(sab), frameBytes(100) + frameBytes(5))
  take(reader, 100, 0)
  assert.is(ringUsedBytes(sab), frameBytes(100) + frameBytes(5), 'read but not released: still in use')
  take(reader, 5, 1)
  reader.release()
  assert.is(ringUsedBytes(sab), 0)
  const i32 = new Int32Array(sab, 0, HEADER_SLOTS)
  Atomics.store(i32, kHead, 16)
  Atomics.store(i32, kTail, -8)
  assert.is(ringUsedBytes(sab), 24, 'head past 2^32, tail not yet')
})

frames('frameBytes counts prefix and padding', () => {
  assert.is(frameBytes(0), 8)
  assert.is(frameBytes(4), 8)
  assert.is(frameBytes(5), 16)
  assert.is(frameBytes(100), 104)
})

frames('reserve rejects lengths outside 0..maxFrameBytes', () => {
  const { writer } = pair()
  const max = writer.maxFrameBytes
  assert.is(errorCode(() => writer.reserve(max + 1)), 'MR_ERR_RECORD_TOO_LARGE')
  assert.is(errorCode(() => writer.reserve(-1)), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => writer.reserve(1.5)), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => writer.reserve(NaN)), 'MR_ERR_INVALID_OPTION')
  try {
    writer.reserve(max + 1)
  } catch (err) {
    assert.is((err as Error).message, `ring frame of ${max + 1} bytes exceeds maxFrameBytes ${max}`)
  }
})

frames('an empty ring accepts a largest frame at every position', () => {
  const { writer, reader } = pair()
  const max = writer.maxFrameBytes
  for (let seq = 0; seq < 64; seq++) {
    // Move the cursors by a varying amount, then drain: the ring is empty at a new position.
    put(writer, (seq * 1016) % 3000, seq)
    take(reader, (seq * 1016) % 3000, seq)
    reader.release()
    assert.not.equal(put(writer, max, 1000 + seq), -1, `largest frame refused at step ${seq}`)
    take(reader, max, 1000 + seq)
    reader.release()
  }
})

frames.run()

// ---

const wrap = suite('wrap-around')

wrap('a frame that does not fit before the end goes to offset 0 behind a wrap marker', () => {
  const { writer, reader } = pair()
  // Fill to 16 bytes short of the end with frames of 8184 payload bytes (8192 each), then a small one.
  let seq = 0
  for (let i = 0; i < 7; i++) assert.is(put(writer, 8184, seq++), i * 8192 + 4)
  assert.is(put(writer, 8176, seq++), 7 * 8192 + 4) // ends 8 bytes before the end
  for (let i = 0; i < seq; i++) take(reader, i < 7 ? 8184 : 8176, i)
  reader.release()
  // 8 bytes remain: a 100-byte frame wraps to 0.
  assert.is(put(writer, 100, seq), 4)
  take(reader, 100, seq)
  assert.is(reader.next(), -1)
})

wrap('random sizes on one thread, many wraps, content checked', () => {
  const { writer, reader } = pair()
  const rng = mulberry32(7)
  const wLengths = frameLengths(11, writer.maxFrameBytes)
  const rLengths = frameLengths(11, reader.maxFrameBytes)
  let written = 0
  let read = 0
  let pending = -1
  while (read < 20000) {
    if (rng() < 0.55) {
      const n = pending === -1 ? wLengths() : pending
      pending = put(writer, n, written) === -1 ? n : -1
      if (pending === -1) written++
    } else {
      const at = reader.next()
      if (at !== -1) {
        assert.is(checkFrame(reader.bytes, at, reader.frameLength, read, rLengths()), null)
        read++
      }
      if (rng() < 0.3) reader.release()
    }
  }
})

wrap('the 32-bit counters wrap past 2^31 and 2^32 without losing frames', () => {
  for (const start of [0x7fff_f000 | 0, 0xffff_f000 | 0]) {
    const sab = createRing(CAP)
    const i32 = new Int32Array(sab, 0, HEADER_SLOTS)
    i32[kHead] = start
    i32[kTail] = start
    const writer = new RingWriter(sab)
    const reader = new RingReader(sab)
    const lengths = frameLengths(3, writer.maxFrameBytes)
    const expect = frameLengths(3, reader.maxFrameBytes)
    for (let seq = 0; seq < 5000; seq++) {
      const n = lengths()
      if (put(writer, n, seq) === -1) {
        reader.release()
        assert.not.equal(put(writer, n, seq), -1)
      }
      take(reader, expect(), seq)
    }
    assert.ok(Atomics.load(i32, kHead) !== start)
  }
})

wrap.run()

// ---

const full = suite('full ring')

full('reserve returns -1 when full and succeeds after the reader releases', () => {
  const { writer, reader } = pair()
  let seq = 0
  while (put(writer, 1000, seq) !== -1) seq++
  assert.is(seq, Math.floor(CAP / frameBytes(1000)))
  assert.not.ok(writer.hasSpace(1000))
  // Reading alone frees nothing: the frames stay valid until released.
  take(reader, 1000, 0)
  assert.is(writer.reserve(1000), -1)
  reader.release()
  assert.ok(writer.hasSpace(1000))
  assert.not.equal(put(writer, 1000, seq), -1)
  for (let i = 1; i <= seq; i++) take(reader, 1000, i)
  assert.is(reader.next(), -1)
})

full('a reserve that is not committed publishes nothing and can be replaced', () => {
  const { writer, reader } = pair()
  assert.not.equal(writer.reserve(CAP / 4), -1)
  assert.is(reader.next(), -1)
  put(writer, 10, 0)
  take(reader, 10, 0)
  assert.is(reader.next(), -1)
})

full.run()

// ---

const commit = suite('commit')

commit('commit with a shorter length publishes only that length and frees the rest', () => {
  const { writer, reader } = pair()
  const at = writer.reserve(5000)
  fillFrame(writer.bytes, at, 10, 0)
  writer.commit(10)
  assert.is(put(writer, 20, 1), frameBytes(10) + 4, 'the next frame starts right after the shrunk one')
  take(reader, 10, 0)
  take(reader, 20, 1)
})

commit('commit rejects a longer length and a commit without a reservation', () => {
  const { writer } = pair()
  assert.is(errorCode(() => writer.commit()), 'MR_ERR_PROTOCOL')
  writer.reserve(10)
  assert.is(errorCode(() => writer.commit(11)), 'MR_ERR_RECORD_TOO_LARGE')
  writer.commit(10)
  assert.is(errorCode(() => writer.commit(10)), 'MR_ERR_PROTOCOL')
})

commit('a shrunk frame after a wrap marker is still read at offset 0', () => {
  const { writer, reader } = pair()
  for (let i = 0; i < 8; i++) put(writer, i < 7 ? 8184 : 8176, i)
  for (let i = 0; i < 8; i++) take(reader, i < 7 ? 8184 : 8176, i)
  reader.release()
  const at = writer.reserve(20000)
  assert.is(at, 4)
  fillFrame(writer.bytes, at, 3, 8)
  writer.commit(3)
  take(reader, 3, 8)
})

commit('commit(length, false) stages a frame that the reader sees only after flush or a publishing commit', () => {
  const { writer, reader } = pair()
  for (let seq = 0; seq < 3; seq++) {
    const at = writer.reserve(10)
    fillFrame(writer.bytes, at, 10, seq)
    writer.commit(10, false)
  }
  assert.is(writer.unpublishedBytes, 3 * frameBytes(10))
  assert.is(reader.next(), -1)
  writer.flush()
  assert.is(writer.unpublishedBytes, 0)
  for (let seq = 0; seq < 3; seq++) take(reader, 10, seq)
  writer.reserve(5)
  writer.commit(5, false)
  put(writer, 6, 4) // a publishing commit publishes the staged frame too
  assert.is(reader.next(), 3 * frameBytes(10) + 4)
  assert.is(reader.frameLength, 5)
  take(reader, 6, 4)
})

commit('close and waitForSpace publish staged frames first', async () => {
  const { writer, reader } = pair()
  while (true) {
    const at = writer.reserve(1000)
    if (at === -1) break
    writer.commit(1000, false)
  }
  assert.is(reader.next(), -1)
  const waiting = writer.waitForSpace(1000, 10_000)
  assert.not.equal(reader.next(), -1, 'waitForSpace flushed: the reader can make room')
  reader.release()
  assert.is(await waiting, true)
  writer.reserve(1)
  writer.commit(1, false)
  writer.close()
  let n = 0
  while (reader.next() !== -1) n++
  assert.is(reader.frameLength, 1, 'the frame staged before close was published')
  assert.ok(n > 0)
})

commit.run()

// ---

const marks = suite('mark and releaseTo')

marks('releaseTo frees frames read before the mark and keeps the ones after', () => {
  const { writer, reader } = pair()
  const n = CAP / 4 - 4 // four frames fill the ring
  for (let i = 0; i < 4; i++) assert.not.equal(put(writer, n, i), -1)
  take(reader, n, 0)
  const m = reader.mark()
  take(reader, n, 1)
  take(reader, n, 2)
  reader.releaseTo(m)
  // Exactly one frame's room came back.
  assert.not.equal(put(writer, n, 4), -1)
  assert.is(writer.reserve(n), -1)
  // The frames after the mark are untouched.
  const bytes = reader.bytes
  assert.is(checkFrame(bytes, frameBytes(n) + 4, n, 1, n), null)
  assert.is(checkFrame(bytes, 2 * frameBytes(n) + 4, n, 2, n), null)
  reader.release()
  take(reader, n, 3)
  take(reader, n, 4)
})

marks('releaseTo refuses a mark behind the release cursor or ahead of the read cursor', () => {
  const { writer, reader } = pair()
  put(writer, 10, 0)
  put(writer, 10, 1)
  const m0 = reader.mark()
  take(reader, 10, 0)
  const m1 = reader.mark()
  reader.releaseTo(m1)
  assert.is(errorCode(() => reader.releaseTo(m0)), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => reader.releaseTo(m1 + 16)), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => reader.releaseTo(0.5)), 'MR_ERR_INVALID_OPTION')
  reader.releaseTo(m1) // releasing again to the same mark is a no-op
})

marks.run()

// ---

const states = suite('closed and faulted')

states('after the writer closes, the reader drains what was published, then sees RING_CLOSED', async () => {
  const { writer, reader } = pair()
  put(writer, 10, 0)
  put(writer, 20, 1)
  writer.close()
  assert.is(writer.state, RING_CLOSED)
  assert.is(writer.reserve(10), -1)
  assert.ok(reader.waitSync(10_000))
  take(reader, 10, 0)
  take(reader, 20, 1)
  assert.is(reader.next(), -1)
  assert.is(reader.state, RING_CLOSED)
  assert.is(reader.waitSync(10_000), false)
  assert.is(await reader.waitAsync(10_000), false)
})

states('after the reader closes, the writer stops', async () => {
  const { writer, reader } = pair()
  reader.close()
  assert.is(writer.state, RING_CLOSED)
  assert.is(writer.reserve(10), -1)
  assert.is(writer.waitForSpaceSync(10, 10_000), false)
  assert.is(await writer.waitForSpace(10, 10_000), false)
})

states('a fault is visible to both sides, stops handing out frames, and overrides a close', async () => {
  const { writer, reader } = pair()
  put(writer, 10, 0)
  writer.close()
  reader.fault()
  assert.is(writer.state, RING_FAULTED)
  assert.is(reader.state, RING_FAULTED)
  writer.close()
  assert.is(reader.state, RING_FAULTED, 'close does not undo a fault')
  assert.is(reader.next(), -1)
  assert.is(reader.waitSync(10_000), false)
  assert.is(await reader.waitAsync(10_000), false)
  assert.is(writer.reserve(10), -1)
  assert.is(writer.waitForSpaceSync(10, 10_000), false)
})

states('a sleeping reader wakes when the writer faults', async () => {
  const { writer, reader } = pair()
  const waiting = reader.waitAsync(10_000)
  setTimeout(() => writer.fault(), 5)
  assert.is(await waiting, false)
  assert.is(reader.state, RING_FAULTED)
})

states('a sleeping writer wakes when the reader closes', async () => {
  const { writer, reader } = pair()
  while (put(writer, 1000, 0) !== -1);
  const waiting = writer.waitForSpace(1000, 10_000)
  setTimeout(() => reader.close(), 5)
  assert.is(await waiting, false)
})

states('a corrupt length word faults the ring instead of handing out garbage', () => {
  const { writer, reader } = pair()
  put(writer, 16, 0)
  new Int32Array(reader.bytes.buffer, HEADER_BYTES, 1)[0] = 60000
  assert.is(reader.next(), -1)
  assert.is(writer.state, RING_FAULTED)
})

states.run()

// ---

const waits = suite('waits')

waits('waitAsync resolves true when a frame is committed later', async () => {
  const { writer, reader } = pair()
  const waiting = reader.waitAsync(10_000)
  setTimeout(() => put(writer, 42, 0), 5)
  assert.is(await waiting, true)
  take(reader, 42, 0)
})

waits('waitForSpace resolves true when the reader releases', async () => {
  const { writer, reader } = pair()
  let seq = 0
  while (put(writer, 1000, seq) !== -1) seq++
  const waiting = writer.waitForSpace(1000, 10_000)
  setTimeout(() => {
    take(reader, 1000, 0)
    reader.release()
  }, 5)
  assert.is(await waiting, true)
  assert.not.equal(put(writer, 1000, seq), -1)
})

waits('waits return at once when ready, and false on a zero timeout when not', async () => {
  const { writer, reader } = pair()
  assert.is(reader.waitSync(0), false)
  assert.is(await reader.waitAsync(0), false)
  put(writer, 1, 0)
  assert.is(reader.waitSync(0), true)
  assert.is(await reader.waitAsync(0), true)
  assert.is(writer.waitForSpaceSync(10, 0), true)
})

waits('timeouts and spin counts are validated', () => {
  const { reader } = pair()
  assert.is(errorCode(() => reader.waitSync(-1)), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => reader.waitSync(NaN)), 'MR_ERR_INVALID_OPTION')
  assert.is(errorCode(() => new RingReader(createRing(CAP), { spinCount: -1 })), 'MR_ERR_INVALID_OPTION')
})

waits('MILLRACE_RING_SPIN sets the spin count; 0 disables spinning', () => {
  const saved = process.env.MILLRACE_RING_SPIN
  try {
    delete process.env.MILLRACE_RING_SPIN
    assert.is(spinCountFromEnv(), DEFAULT_SPIN_COUNT)
    process.env.MILLRACE_RING_SPIN = '0'
    assert.is(spinCountFromEnv(), 0)
    process.env.MILLRACE_RING_SPIN = '50'
    assert.is(spinCountFromEnv(), 50)
    process.env.MILLRACE_RING_SPIN = 'lots'
    assert.is(errorCode(() => spinCountFromEnv()), 'MR_ERR_INVALID_OPTION')
  } finally {
    if (saved === undefined) delete process.env.MILLRACE_RING_SPIN
    else process.env.MILLRACE_RING_SPIN = saved
  }
})

waits.run()
