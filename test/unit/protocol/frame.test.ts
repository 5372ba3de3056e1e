import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Writer } from '../../../src/protocol/writer.js'
import { FrameSizeError, FrameSplitter, MAX_FRAME_BYTES, encodeResponseFrame, splitFrames } from '../../../src/protocol/frame.js'

function frame (payload: string): Buffer {
  const body = Buffer.from(payload)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

const split = suite('splitFrames')

split('returns whole frames as views and the bytes consumed', () => {
  const buf = Buffer.concat([frame('one'), frame(''), frame('three'), frame('four').subarray(0, 6)])
  const out: Buffer[] = []
  const used = splitFrames(buf, out)
  assert.equal(out.map(f => f.toString()), ['one', '', 'three'])
  assert.is(used, 7 + 4 + 9)
  assert.is(out[0].buffer, buf.buffer, 'a view, not a copy')
})

split('a negative size or one above the limit is a FrameSizeError', () => {
  const neg = Buffer.from('ffffffff', 'hex')
  assert.throws(() => splitFrames(neg, []), (e: Error) => e instanceof FrameSizeError && e.name === 'FrameSizeError' && (e as FrameSizeError).size === -1)
  const big = Buffer.alloc(4)
  big.writeInt32BE(101)
  assert.throws(() => splitFrames(big, [], 100), (e: Error) => e instanceof FrameSizeError && (e as FrameSizeError).maxBytes === 100)
  assert.is(MAX_FRAME_BYTES, 100 * 1024 * 1024)
})

split.run()

// ---

const splitter = suite('FrameSplitter')

splitter('reassembles frames split at every possible byte boundary', () => {
  const stream = Buffer.concat([frame('alpha'), frame('b'), frame(''), frame('gamma-delta')])
  for (let cut = 0; cut <= stream.length; cut++) {
    const s = new FrameSplitter()
    const out = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))]
    assert.equal(out.map(f => f.toString()), ['alpha', 'b', '', 'gamma-delta'], `cut at ${cut}`)
    assert.is(s.pendingBytes, 0)
  }
})

splitter('byte-by-byte delivery', () => {
  const stream = Buffer.concat([frame('hello'), frame('world')])
  const s = new FrameSplitter()
  const out: string[] = []
  for (const byte of stream) for (const f of s.push(Buffer.from([byte]))) out.push(f.toString())
  assert.equal(out, ['hello', 'world'])
})

splitter('keeps an incomplete frame pending', () => {
  const s = new FrameSplitter()
  assert.equal(s.push(frame('abcdef').subarray(0, 7)), [])
  assert.is(s.pendingBytes, 7)
})

splitter('oversized size throws as soon as the size is known, even split across chunks', () => {
  const s = new FrameSplitter(16)
  assert.equal(s.push(Buffer.from([0, 0])), [])
  assert.throws(() => s.push(Buffer.from([0, 17])), (e: Error) => e instanceof FrameSizeError)
  assert.throws(() => new FrameSplitter().push(Buffer.from('80000000', 'hex')), (e: Error) => e.name === 'FrameSizeError')
})

splitter.run()

// ---

const out = suite('encodeResponseFrame')

out('writes size, header and body; the size excludes itself', () => {
  const w = new Writer(8)
  w.int8(0x7f) // something already in the writer stays before the frame
  const f = encodeResponseFrame(w, 5, 1, b => { b.int16(0).int32(-1) })
  assert.is(f.toString('hex'), '0000000b' + '00000005' + '00' + '0000' + 'ffffffff')
})

out.run()
