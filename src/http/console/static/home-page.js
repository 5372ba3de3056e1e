// Overview: every topic (partitions, size, records, throughput) and every consumer group.
import { h, replace, link, fmtBytes, fmtNumber, fmtRate, showError } from './dom.js'
import { getJson, live } from './api.js'

export function homePage () {
  const topicsBody = h('tbody')
  const groupsBody = h('tbody')
  const error = h('p', { class: 'error', hidden: true })
  const el = h('section', null,
    h('h1', null, 'Overview'),
    error,
    h('h2', null, 'Topics'),
    h('table', { dataset: { testid: 'topics' } },
      h('thead', null, h('tr', null, ['Topic', 'Partitions', 'Size', 'Records', 'Records/s', 'Bytes/s'].map((c) => h('th', null, c)))),
      topicsBody),
    h('h2', null, 'Consumer groups'),
    h('table', { dataset: { testid: 'groups' } },
      h('thead', null, h('tr', null, ['Group', 'State', 'Members', 'Topics', 'Total lag'].map((c) => h('th', null, c)))),
      groupsBody))

  function render (view) {
    showError(error, view.problems.length > 0 ? `Partly unreadable: ${view.problems.join('; ')}` : '')
    replace(topicsBody, view.topics.length === 0
      ? h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No topics yet.'))
      : view.topics.map((t) => h('tr', { dataset: { topic: t.topic } },
        h('td', null, link(`#/topics/${encodeURIComponent(t.topic)}`, t.topic)),
        h('td', { class: 'num' }, fmtNumber(t.partitions), t.offlinePartitions > 0 ? h('span', { class: 'warn' }, ` (${t.offlinePartitions} offline)`) : null),
        h('td', { class: 'num' }, fmtBytes(t.sizeBytes)),
        h('td', { class: 'num', dataset: { testid: 'records' } }, fmtNumber(t.records)),
        h('td', { class: 'num' }, fmtRate(t.recordsPerSec)),
        h('td', { class: 'num' }, fmtBytes(t.bytesPerSec)))))
    replace(groupsBody, view.groups.length === 0
      ? h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No consumer groups yet.'))
      : view.groups.map((g) => h('tr', { dataset: { group: g.groupId } },
        h('td', null, link(`#/groups/${encodeURIComponent(g.groupId)}`, g.groupId)),
        h('td', null, g.state),
        h('td', { class: 'num' }, fmtNumber(g.members)),
        h('td', null, g.topics.join(', ')),
        h('td', { class: 'num', dataset: { testid: 'lag' } }, fmtNumber(g.lag)))))
  }

  getJson('/api/overview').then(render, (err) => showError(error, err.message))
  const close = live('/api/stream/home', render, (f) => showError(error, f.error))
  return { el, leave: close }
}
