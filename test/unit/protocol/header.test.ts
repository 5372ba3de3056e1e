import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../src/protocol/reader.js'
import { Writer } from '../../../src/protocol/writer.js'
import { ApiKey } from '../../../src/protocol/api-keys.js'
import {
  decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader, peekClientId, peekRequestHeader,
  requestHeaderVersion, responseHeaderVersion
} from '../../../src/protocol/header.js'

const versions = suite('header versions')

versions('flexible API versions use request header v2 / response header v1', () => {
  assert.is(requestHeaderVersion(ApiKey.Produce, 8), 1)
  assert.is(requestHeaderVersion(ApiKey.Produce, 9), 2)
  assert.is(responseHeaderVersion(ApiKey.Produce, 8), 0)
  assert.is(responseHeaderVersion(ApiKey.Produce, 9), 1)
  assert.is(requestHeaderVersion(ApiKey.Fetch, 12), 2)
  assert.is(responseHeaderVersion(ApiKey.Metadata, 9), 1)
})

versions('ApiVersions responses always use header v0, requests follow flexibility', () => {
  for (let v = 0; v <= 5; v++) assert.is(responseHeaderVersion(ApiKey.ApiVersions, v), 0)
  assert.is(requestHeaderVersion(ApiKey.ApiVersions, 2), 1)
  assert.is(requestHeaderVersion(ApiKey.ApiVersions, 3), 2)
  assert.is(requestHeaderVersion(ApiKey.ApiVersions, 5), 2, 'a newer, unserved version is still flexible')
})

versions('never-flexible and unknown APIs use header v1 / v0', () => {
  assert.is(requestHeaderVersion(ApiKey.SaslHandshake, 1), 1)
  assert.is(responseHeaderVersion(ApiKey.SaslHandshake, 1), 0)
  assert.is(requestHeaderVersion(9999, 3), 1)
  assert.is(requestHeaderVersion(7, 0), 0, 'ControlledShutdown v0')
})

versions.run()

// ---

const request = suite('request header')

request('v1: key, version, correlation id, INT16-length client id; nothing after', () => {
  const w = new Writer()
  encodeRequestHeader(w, { apiKey: 3, apiVersion: 6, correlationId: 258, clientId: 'ab' })
  assert.is(w.view().toString('hex'), '0003' + '0006' + '00000102' + '0002' + '6162')
  const r = new Reader(Buffer.concat([w.view(), Buffer.from([0xee])]))
  assert.equal(decodeRequestHeader(r), { apiKey: 3, apiVersion: 6, correlationId: 258, clientId: 'ab', headerVersion: 1 })
  assert.is(r.remaining, 1, 'the body starts right after the client id')
})

request('v2: client id stays INT16-length, then a tag section', () => {
  const w = new Writer()
  encodeRequestHeader(w, { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: null })
  assert.is(w.view().toString('hex'), '0012' + '0003' + '00000001' + 'ffff' + '00')
  assert.equal(decodeRequestHeader(new Reader(w.toBuffer())).clientId, null)
})

request('v2: unknown header tags are skipped', () => {
  const bytes = Buffer.from('0000' + '0009' + '00000005' + '0001' + '78' + '02' + '0502abcd' + '0700' + 'ff', 'hex')
  const r = new Reader(bytes)
  const h = decodeRequestHeader(r)
  assert.is(h.headerVersion, 2)
  assert.is(h.clientId, 'x')
  assert.is(r.remaining, 1)
})

request('an explicit header version overrides the lookup (v0 has no client id)', () => {
  const w = new Writer()
  encodeRequestHeader(w, { apiKey: 7, apiVersion: 0, correlationId: 9, clientId: 'ignored' }, 0)
  assert.is(w.pos, 8)
  assert.equal(decodeRequestHeader(new Reader(w.toBuffer()), 0), { apiKey: 7, apiVersion: 0, correlationId: 9, clientId: null, headerVersion: 0 })
})

request('peek reads key, version and correlation id without moving the reader', () => {
  const r = new Reader(Buffer.from('0012000500000063ffff', 'hex'))
  assert.equal(peekRequestHeader(r), { apiKey: 18, apiVersion: 5, correlationId: 99 })
  assert.is(r.pos, 0)
  assert.throws(() => peekRequestHeader(new Reader(Buffer.alloc(7))), (e: Error) => e.name === 'ProtocolDecodeError')
})

request('truncated headers throw ProtocolDecodeError', () => {
  const full = Buffer.from('0012000300000001' + '0003616263' + '00', 'hex')
  for (let cut = 0; cut < full.length; cut++) {
    assert.throws(() => decodeRequestHeader(new Reader(full.subarray(0, cut))), (e: Error) => e.name === 'ProtocolDecodeError', `cut at ${cut}`)
  }
})

request.run()

// ---

const response = suite('response header')

response('v0 is the correlation id; v1 adds an empty tag section', () => {
  const w = new Writer()
  encodeResponseHeader(w, 0x01020304, 0)
  assert.is(w.view().toString('hex'), '01020304')
  encodeResponseHeader(w.reset(), 0x01020304, 1)
  assert.is(w.view().toString('hex'), '0102030400')
  const r = new Reader(Buffer.from('0000002a' + '01' + '0301ff' + 'aa', 'hex'))
  assert.is(decodeResponseHeader(r, 1).correlationId, 42)
  assert.is(r.remaining, 1)
})

response.run()

// ---

const clientId = suite('peekClientId')

clientId('reads the client id of an unserved API or version without moving the reader', () => {
  const w = new Writer()
  encodeRequestHeader(w, { apiKey: 57, apiVersion: 3, correlationId: 9, clientId: 'newer-client' })
  w.int8(0x7f)
  const r = new Reader(w.toBuffer())
  assert.is(peekClientId(r), 'newer-client')
  assert.is(r.pos, 0)
  encodeRequestHeader(w.reset(), { apiKey: ApiKey.Metadata, apiVersion: 99, correlationId: 9, clientId: null })
  assert.is(peekClientId(new Reader(w.toBuffer())), null)
})

clientId('a length past the end, and header v0 (ControlledShutdown v0), give null', () => {
  const w = new Writer()
  w.int16(ApiKey.Metadata).int16(99).int32(1).int16(200).raw(Buffer.from('short'))
  assert.is(peekClientId(new Reader(w.toBuffer())), null)
  w.reset().int16(7).int16(0).int32(1).int16(2).raw(Buffer.from('id'))
  assert.is(peekClientId(new Reader(w.toBuffer())), null)
})

clientId.run()
