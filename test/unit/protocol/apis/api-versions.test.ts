import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import { API_LIST, ApiKey } from '../../../../src/protocol/api-keys.js'
import { encodeResponseFrame } from '../../../../src/protocol/frame.js'
import { decodeResponseHeader, responseHeaderVersion } from '../../../../src/protocol/header.js'
import * as apiVersions from '../../../../src/protocol/apis/api-versions.js'
import { decodeGolden, reencode } from './golden.js'

const golden = suite('ApiVersions golden requests')

golden('kafkajs sends v2 with header v1 and an empty body', () => {
  const g = decodeGolden<apiVersions.ApiVersionsRequest>('kafkajs-api-versions-v2')
  assert.equal({ ...g.header }, { apiKey: 18, apiVersion: 2, correlationId: 0, clientId: 'golden-kafkajs', headerVersion: 1 })
  assert.is(g.body.clientSoftwareName, '')
  assert.equal(reencode(g), g.frame)
})

golden('kcat sends v3 with header v2 and its software name and version', () => {
  const g = decodeGolden<apiVersions.ApiVersionsRequest>('kcat-api-versions-v3')
  assert.is(g.header.headerVersion, 2)
  assert.is(g.header.clientId, 'rdkafka')
  assert.is(g.body.clientSoftwareName, 'librdkafka')
  assert.is(g.body.clientSoftwareVersion, '2.0.2')
  assert.equal(reencode(g), g.frame)
})

golden.run()

// ---

const response = suite('ApiVersions response')

response('v3 body with response header v0: correlation id then body, no header tags', () => {
  const res: apiVersions.ApiVersionsResponse = { errorCode: 0, apiKeys: API_LIST.map(a => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })), throttleTimeMs: 0 }
  const hv = responseHeaderVersion(ApiKey.ApiVersions, 3)
  assert.is(hv, 0)
  const frame = encodeResponseFrame(new Writer(), 7, hv, w => apiVersions.encodeResponse(w, 3, res))
  const r = new Reader(frame)
  assert.is(r.int32(), frame.length - 4)
  assert.is(decodeResponseHeader(r, hv).correlationId, 7)
  assert.is(r.buf.readInt16BE(r.pos), 0, 'error code follows the correlation id directly')
  const back = apiVersions.decodeResponse(r, 3)
  assert.is(r.remaining, 0)
  assert.equal(back.apiKeys, res.apiKeys)
  assert.is(back.finalizedFeaturesEpoch, -1, 'absent tagged field reads as its default')
})

response('the UNSUPPORTED_VERSION answer is a v0 body: error 35 and one entry, no throttle', () => {
  const w = new Writer()
  apiVersions.encodeResponse(w, 0, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: apiVersions.api.maxVersion }] })
  assert.is(w.view().toString('hex'), '0023' + '00000001' + '0012' + '0000' + '0003')
})

response('api-keys lists the served ranges from PROTOCOL §5, sorted by key', () => {
  const keys = API_LIST.map(a => a.key)
  assert.equal(keys, [...keys].sort((a, b) => a - b))
  const range = (k: number): string => { const a = API_LIST.find(x => x.key === k)!; return `${a.minVersion}-${a.maxVersion}` }
  assert.is(range(0), '0-9', 'Produce from v0: librdkafka compresses only when v0 is listed (KAFKA-18659)')
  assert.is(range(1), '0-13')
  assert.is(range(2), '0-7')
  assert.is(range(3), '0-12')
  assert.is(range(18), '0-3')
  assert.is(range(22), '0-4')
  assert.ok(!keys.includes(27), 'WriteTxnMarkers is not advertised')
})

response.run()
