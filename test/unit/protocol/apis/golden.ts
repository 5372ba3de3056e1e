/**
 * Loads captured request frames (test/fixtures/golden/*.hex, written by
 * scripts/capture-golden.mjs) and decodes header + body with the project's codecs.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import { decodeRequestHeader, encodeRequestHeader, type DecodedRequestHeader } from '../../../../src/protocol/header.js'
import { codecs } from '../../../../src/protocol/apis/index.js'

// dist/test/unit/protocol/apis → repository root is five levels up; the fixtures are not compiled.
const GOLDEN_DIR = fileURLToPath(new URL('../../../../../test/fixtures/golden/', import.meta.url))

export function goldenFrame (name: string): Buffer {
  return Buffer.from(readFileSync(GOLDEN_DIR + name + '.hex', 'utf8').trim(), 'hex')
}

export interface GoldenRequest<T> { frame: Buffer, header: DecodedRequestHeader, body: T }

/** Decodes a captured frame; asserts that header and body use every byte. */
export function decodeGolden<T> (name: string): GoldenRequest<T> {
  const frame = goldenFrame(name)
  const r = new Reader(frame)
  const header = decodeRequestHeader(r)
  const codec = codecs.get(header.apiKey)
  assert.ok(codec !== undefined, `codec for key ${header.apiKey}`)
  const body = codec.decodeRequest(r, header.apiVersion) as T
  assert.is(r.remaining, 0, `${name}: every byte is read`)
  return { frame, header, body }
}

/** Encodes header + body again with the project's codecs. */
export function reencode (g: GoldenRequest<unknown>): Buffer {
  const w = new Writer(256)
  encodeRequestHeader(w, g.header)
  codecs.get(g.header.apiKey)!.encodeRequest(w, g.header.apiVersion, g.body)
  return w.toBuffer()
}
