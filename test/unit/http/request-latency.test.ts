import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Registry, type Metric } from 'prom-client'
import { RequestLatency } from '../../../src/http/metrics/request-latency.js'
import { ApiKey } from '../../../src/protocol/api-keys.js'
import { parseExposition, valueOf } from '../../helpers/prometheus-text.js'

const latency = suite('RequestLatency')

async function exposition (h: RequestLatency): Promise<ReturnType<typeof parseExposition>> {
  const registry = new Registry()
  registry.registerMetric(h as unknown as Metric)
  return parseExposition(await registry.metrics())
}

latency('cumulative buckets (a value on a bound counts in it), +Inf, sum and count per API, as prom-client writes them', async () => {
  const h = new RequestLatency('t_seconds', 'test', [0.001, 0.01, 0.1])
  for (const s of [0.0005, 0.001, 0.005, 0.5]) h.observe(ApiKey.Produce, s)
  h.observe(ApiKey.Fetch, 0.05)
  const m = await exposition(h)
  assert.is(m.types.get('t_seconds'), 'histogram')
  const bucket = (api: string, le: string): number | undefined => valueOf(m, 't_seconds_bucket', { api, le })
  assert.equal([bucket('Produce', '0.001'), bucket('Produce', '0.01'), bucket('Produce', '0.1'), bucket('Produce', '+Inf')], [2, 3, 3, 4])
  assert.is(valueOf(m, 't_seconds_count', { api: 'Produce' }), 4)
  assert.ok(Math.abs(valueOf(m, 't_seconds_sum', { api: 'Produce' })! - 0.5065) < 1e-9)
  assert.equal([bucket('Fetch', '0.01'), bucket('Fetch', '0.1'), bucket('Fetch', '+Inf')], [0, 1, 1])
  assert.is(valueOf(m, 't_seconds_count', { api: 'Metadata' }), undefined, 'an API never asked has no samples')
  assert.equal([...h.apiKeys()], [ApiKey.Produce, ApiKey.Fetch])
  assert.is(h.count(ApiKey.Produce), 4)
})

latency('reset empties it; a key outside the table is ignored', async () => {
  const h = new RequestLatency('t_seconds', 'test', [1])
  h.observe(1000, 0.1)
  h.observe(-1, 0.1)
  assert.equal([...h.apiKeys()], [])
  h.observe(ApiKey.Metadata, 0.1)
  h.reset()
  assert.equal((await exposition(h)).samples, [])
})

latency.run()
