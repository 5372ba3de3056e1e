import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { browseRequestOf, configEditOf, producedMessageOf, resetRequestOf } from '../../../../src/http/console/api-input.js'
import { ApiError } from '../../../../src/http/console/api-errors.js'

function refused (fn: () => unknown, text: string): void {
  try {
    fn()
  } catch (err) {
    assert.instance(err, ApiError)
    assert.is((err as ApiError).statusCode, 400)
    assert.ok((err as Error).message.includes(text), `'${(err as Error).message}' mentions '${text}'`)
    return
  }
  assert.unreachable(`refused: ${text}`)
}

const browse = suite('browseRequestOf')

browse('defaults: the last 50 of every partition, no filter', () => {
  assert.equal(browseRequestOf('t', {}), { topic: 't', partition: null, from: { kind: 'end' }, limit: 50, filter: '' })
})

browse('from an offset, a timestamp (ms or ISO) or the beginning', () => {
  assert.equal(browseRequestOf('t', { from: 'offset', offset: '12', partition: '3' }).from, { kind: 'offset', offset: 12 })
  assert.is(browseRequestOf('t', { from: 'offset', offset: '12', partition: '3' }).partition, 3)
  assert.equal(browseRequestOf('t', { from: 'timestamp', timestamp: '1700000000000' }).from, { kind: 'timestamp', timestamp: 1700000000000 })
  assert.equal(browseRequestOf('t', { from: 'timestamp', timestamp: '2023-11-14T22:13:20Z' }).from, { kind: 'timestamp', timestamp: 1700000000000 })
  assert.equal(browseRequestOf('t', { from: 'beginning' }).from, { kind: 'offset', offset: 0 })
})

browse('bad input names the field', () => {
  refused(() => browseRequestOf('t', { from: 'offset', offset: '-1' }), 'offset must be a non-negative integer')
  refused(() => browseRequestOf('t', { from: 'offset' }), 'from=offset needs offset')
  refused(() => browseRequestOf('t', { from: 'timestamp', timestamp: 'yesterday' }), 'timestamp must be')
  refused(() => browseRequestOf('t', { from: 'middle' }), "from must be 'end'")
  refused(() => browseRequestOf('t', { limit: '0' }), 'limit must be from 1 to 500')
  refused(() => browseRequestOf('t', { partition: 'x' }), 'partition must be')
  refused(() => browseRequestOf('t', { filter: 'x'.repeat(201) }), 'filter must be at most 200')
})

browse.run()

// ---

const writes = suite('bodies of writes')

writes('a produced message: strings, headers as a list, partition optional', () => {
  assert.equal(producedMessageOf({ key: 'k', value: 'v', headers: [{ key: 'h', value: '1' }], partition: '2' }), { key: 'k', value: 'v', headers: { h: '1' }, partition: 2 })
  assert.equal(producedMessageOf({ value: null }), { key: null, value: null })
  refused(() => producedMessageOf({ value: 5 }), 'value must be a string or null')
  refused(() => producedMessageOf({ value: 'v', headers: [{ key: 'h', value: 'a' }, { key: 'h', value: 'b' }] }), "'h' appears twice")
  refused(() => producedMessageOf({ value: 'v', partition: -1 }), 'partition must be a non-negative integer')
  refused(() => producedMessageOf('v'), 'the message must be a JSON object')
})

writes('a config edit sets or removes something', () => {
  assert.equal(configEditOf({ set: { 'retention.ms': '5' } }), { set: { 'retention.ms': '5' }, remove: [] })
  refused(() => configEditOf({}), 'sets and removes nothing')
  refused(() => configEditOf({ set: { 'retention.ms': 5 } }), "set['retention.ms'] must be a string")
})

writes('an offset reset goes to earliest, latest or an offset', () => {
  assert.equal(resetRequestOf('g', { topic: 't', to: '7' }), { groupId: 'g', topic: 't', to: 7n })
  assert.equal(resetRequestOf('g', { topic: 't', to: 'earliest', partitions: [0] }), { groupId: 'g', topic: 't', to: 'earliest', partitions: [0] })
  refused(() => resetRequestOf('g', { topic: 't', to: 'soon' }), "to must be 'earliest', 'latest' or a non-negative offset")
  refused(() => resetRequestOf('g', { to: 'latest' }), 'topic must be')
})

writes.run()
