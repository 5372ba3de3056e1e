import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseBenchArgs } from '../../../src/bench/options.js'
import { findBinary, freePort } from '../../../src/bench/peer-process.js'
import { peerTargets } from '../../../src/bench/run.js'

const peers = suite('bench peers')

peers('peers that are not installed are skipped with how to install them', async () => {
  const { targets, skipped } = await peerTargets(parseBenchArgs(['produce', '--vs', 'nats,redis']), () => undefined)
  assert.equal(targets, [])
  assert.equal(skipped, [
    "nats: nats-server is not installed (install it with 'apt-get install nats-server')",
    "redis: redis-server is not installed (install it with 'apt-get install redis-server')"
  ])
})

peers('an installed peer becomes a target, in the order given', async () => {
  const { targets, skipped } = await peerTargets(parseBenchArgs(['produce', '--vs', 'redis,nats']), (name) => `/opt/${name}`)
  assert.equal(skipped, [])
  assert.equal(targets.map((t) => [t.label, t.kind]), [['redis streams', 'peer'], ['nats jetstream', 'peer']])
})

peers('findBinary finds executables on PATH and nothing for unknown names', () => {
  assert.is(findBinary('millrace-no-such-binary'), undefined)
  const sh = findBinary('sh')
  assert.ok(sh !== undefined && sh.endsWith('/sh'))
})

peers('freePort gives a usable port number', async () => {
  const port = await freePort()
  assert.ok(Number.isInteger(port) && port > 0 && port < 65536)
})

peers.run()
