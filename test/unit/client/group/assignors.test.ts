import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import {
  assignorByName, kafkajsRoundRobinAssignor, rangeAssignor, roundRobinAssignor,
  type Assignor, type AssignorMember, type GroupAssignment
} from '../../../../src/client/group/assignors.js'
import { xorshift } from '../../../helpers/seeded-random.js'

const require = createRequire(import.meta.url)

function flat (a: GroupAssignment, memberId: string): string[] {
  return (a.get(memberId) ?? []).flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`))
}

function member (memberId: string, topics: string[], groupInstanceId: string | null = null): AssignorMember {
  return { memberId, groupInstanceId, topics }
}

/** Every partition of every subscribed topic goes to exactly one member subscribed to its topic. */
function checkComplete (a: GroupAssignment, members: AssignorMember[], counts: Map<string, number>): void {
  const seen = new Map<string, string>()
  for (const m of members) {
    for (const tp of a.get(m.memberId) ?? []) {
      assert.ok(m.topics.includes(tp.topic), `${m.memberId} got ${tp.topic} without subscribing`)
      for (const p of tp.partitions) {
        const key = `${tp.topic}-${p}`
        assert.not.ok(seen.has(key), `${key} assigned twice`)
        seen.set(key, m.memberId)
      }
    }
  }
  const subscribed = new Set(members.flatMap((m) => m.topics))
  let expected = 0
  for (const t of subscribed) expected += counts.get(t) ?? 0
  assert.is(seen.size, expected)
}

const range = suite('range assignor')

range('splits each topic into contiguous ranges, the first members taking the extra', () => {
  const members = [member('c', ['t']), member('a', ['t']), member('b', ['t'])]
  const a = rangeAssignor.assign(members, new Map([['t', 7]]))
  assert.equal(flat(a, 'a'), ['t-0', 't-1', 't-2'])
  assert.equal(flat(a, 'b'), ['t-3', 't-4'])
  assert.equal(flat(a, 'c'), ['t-5', 't-6'])
})

range('per topic: only the members subscribed to it share it; more members than partitions leaves some idle', () => {
  const members = [member('a', ['x', 'y']), member('b', ['y']), member('c', ['y'])]
  const counts = new Map([['x', 2], ['y', 2]])
  const a = rangeAssignor.assign(members, counts)
  assert.equal(flat(a, 'a'), ['x-0', 'x-1', 'y-0'])
  assert.equal(flat(a, 'b'), ['y-1'])
  assert.equal(flat(a, 'c'), [])
  assert.ok(a.has('c'), 'an idle member still gets an (empty) assignment')
  checkComplete(a, members, counts)
})

range('static members sort by instance id', () => {
  const members = [member('m1', ['t'], 'z'), member('m2', ['t'], 'a')]
  const a = rangeAssignor.assign(members, new Map([['t', 2]]))
  assert.equal(flat(a, 'm2'), ['t-0'])
  assert.equal(flat(a, 'm1'), ['t-1'])
})

range('topics missing from the partition counts are skipped', () => {
  const a = rangeAssignor.assign([member('a', ['gone', 't'])], new Map([['t', 1]]))
  assert.equal(flat(a, 'a'), ['t-0'])
})

range.run()

// ---

const rr = suite('round-robin assignors')

rr('deals sorted partitions across sorted members', () => {
  const members = [member('b', ['t', 'u']), member('a', ['t', 'u'])]
  const a = roundRobinAssignor.assign(members, new Map([['u', 1], ['t', 3]]))
  assert.equal(flat(a, 'a'), ['t-0', 't-2'])
  assert.equal(flat(a, 'b'), ['t-1', 'u-0'])
})

rr('skips members not subscribed to a topic', () => {
  const members = [member('a', ['t']), member('b', ['t', 'u']), member('c', ['u'])]
  const counts = new Map([['t', 3], ['u', 2]])
  const a = roundRobinAssignor.assign(members, counts)
  checkComplete(a, members, counts)
  assert.equal(flat(a, 'a'), ['t-0', 't-2'])
  assert.equal(flat(a, 'b'), ['t-1', 'u-0'])
  assert.equal(flat(a, 'c'), ['u-1'])
})

rr("'RoundRobinAssigner' matches kafkajs's own assigner for a shared subscription", async () => {
  const counts = new Map([['alpha', 5], ['beta', 3]])
  const cluster = { findTopicPartitionMetadata: (topic: string) => Array.from({ length: counts.get(topic)! }, (_, partitionId) => ({ partitionId })) }
  const create = require('kafkajs/src/consumer/assigners/roundRobinAssigner/index.js') as (a: { cluster: typeof cluster }) => { assign: (a: { members: Array<{ memberId: string }>, topics: string[] }) => Promise<Array<{ memberId: string, memberAssignment: Buffer }>> }
  const { MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js') as { MemberAssignment: { decode: (b: Buffer) => { assignment: Record<string, number[]> } } }
  const ids = ['m-3', 'm-1', 'm-2']
  const theirs = await create({ cluster }).assign({ members: ids.map((memberId) => ({ memberId })), topics: ['alpha', 'beta'] })
  const ours = kafkajsRoundRobinAssignor.assign(ids.map((id) => member(id, ['alpha', 'beta'])), counts)
  for (const { memberId, memberAssignment } of theirs) {
    const decoded = MemberAssignment.decode(memberAssignment).assignment
    assert.equal(Object.fromEntries((ours.get(memberId) ?? []).map((tp) => [tp.topic, tp.partitions])), decoded, memberId)
  }
})

rr.run()

// ---

const props = suite('assignor properties (seeded random groups)')

for (const assignor of [rangeAssignor, roundRobinAssignor, kafkajsRoundRobinAssignor] as Assignor[]) {
  props(`${assignor.name}: every partition exactly once, deterministic, balanced for a shared subscription`, () => {
    const next = xorshift(0x5eed + assignor.name.length)
    const random = (): number => next() / 2 ** 32
    for (let round = 0; round < 200; round++) {
      const topicCount = 1 + Math.floor(random() * 4)
      const counts = new Map<string, number>()
      for (let t = 0; t < topicCount; t++) counts.set(`t${t}`, 1 + Math.floor(random() * 12))
      const memberCount = 1 + Math.floor(random() * 6)
      const shared = random() < 0.5
      const members: AssignorMember[] = []
      for (let m = 0; m < memberCount; m++) {
        const topics = shared ? [...counts.keys()] : [...counts.keys()].filter(() => random() < 0.6)
        members.push(member(`member-${Math.floor(random() * 1e6)}-${m}`, topics.length > 0 ? topics : ['t0']))
      }
      const a = assignor.assign(members, counts)
      checkComplete(a, members, counts)
      const again = assignor.assign([...members].reverse(), counts)
      for (const m of members) assert.equal(again.get(m.memberId), a.get(m.memberId), 'same input in another order, same result')
      if (shared) {
        const sizes = members.map((m) => flat(a, m.memberId).length)
        if (assignor.name === 'range') {
          // Range balances per topic: within a topic, counts differ by at most one.
          for (const t of counts.keys()) {
            const per = members.map((m) => flat(a, m.memberId).filter((x) => x.startsWith(`${t}-`)).length)
            assert.ok(Math.max(...per) - Math.min(...per) <= 1, `${t}: ${per.join(',')}`)
          }
        } else {
          assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','))
        }
      }
    }
  })
}

props('assignorByName knows the three protocol names and nothing else', () => {
  assert.is(assignorByName('range'), rangeAssignor)
  assert.is(assignorByName('roundrobin'), roundRobinAssignor)
  assert.is(assignorByName('RoundRobinAssigner'), kafkajsRoundRobinAssignor)
  assert.is(assignorByName('cooperative-sticky'), undefined)
})

props.run()
