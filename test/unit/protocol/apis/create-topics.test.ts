import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Reader } from '../../../../src/protocol/reader.js'
import { Writer } from '../../../../src/protocol/writer.js'
import * as createTopics from '../../../../src/protocol/apis/create-topics.js'
import { decodeGolden, reencode } from './golden.js'

const golden = suite('CreateTopics golden requests')

golden('kafkajs v3: broker defaults (-1/-1) for partitions and replication factor', () => {
  const g = decodeGolden<createTopics.CreateTopicsRequest>('kafkajs-create-topics-v3')
  assert.is(g.header.apiVersion, 3)
  assert.equal(g.body.topics, [{ name: 'golden', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }])
  assert.is(g.body.timeoutMs, 5000)
  assert.is(g.body.validateOnly, false)
  assert.equal(reencode(g), g.frame)
})

golden.run()

// ---

const versions = suite('CreateTopics versions')

versions('v5+ results carry partitions, replication factor, configs and the tagged config error', () => {
  const res: createTopics.CreateTopicsResponse = { throttleTimeMs: 0, topics: [{ name: 't', errorCode: 0, errorMessage: null, topicConfigErrorCode: 40, numPartitions: 2, replicationFactor: 1, configs: null }] }
  const at = (v: number): createTopics.CreatableTopicResult => { const w = new Writer(); createTopics.encodeResponse(w, v, res); return createTopics.decodeResponse(new Reader(w.toBuffer()), v).topics[0] }
  assert.is(at(4).numPartitions, -1)
  assert.is(at(4).topicConfigErrorCode, 0)
  assert.is(at(5).numPartitions, 2)
  assert.is(at(5).topicConfigErrorCode, 40)
  assert.is(at(5).configs, null)
  assert.is(at(0).errorMessage, '', 'no error message before v1')
  assert.is(at(1).errorMessage, null)
})

versions.run()
