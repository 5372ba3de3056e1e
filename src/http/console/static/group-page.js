// A consumer group: state and members, per-partition lag (live, with a chart) and offset reset.
import { h, replace, fmtNumber, showError, table } from './dom.js'
import { getJson, live, sendJson } from './api.js'
import { pager } from './pager.js'
import { liveChart } from './live-chart.js'

export function groupPage (groupId) {
  const summary = h('dl', { class: 'facts' })
  const error = h('p', { class: 'error', hidden: true })
  const members = h('div')
  const canvas = h('canvas')
  const offsets = pager(['Topic', 'Partition', 'Committed', 'High watermark', 'Lag'], (o) => h('tr', { dataset: { topic: o.topic, partition: o.partition } },
    h('td', null, o.topic),
    h('td', { class: 'num' }, String(o.partition)),
    h('td', { class: 'num', dataset: { testid: 'committed' } }, fmtNumber(o.committedOffset)),
    h('td', { class: 'num' }, fmtNumber(o.highWatermark)),
    h('td', { class: 'num', dataset: { testid: 'partition-lag' } }, fmtNumber(o.lag))), { testid: 'offsets' })
  const reset = resetForm(groupId, () => getJson(`/api/groups/${encodeURIComponent(groupId)}`).then(render))
  const el = h('section', null,
    h('h1', null, 'Consumer group ', h('span', { class: 'name' }, groupId)),
    error, summary,
    h('div', { class: 'chart' }, canvas),
    h('h2', null, 'Members'), members,
    h('h2', null, 'Offsets'), offsets.el,
    h('h2', null, 'Reset offsets'), reset.el)
  const chart = liveChart(canvas, ['total lag'], ['records behind'])

  function render (g) {
    replace(summary,
      h('dt', null, 'State'), h('dd', { dataset: { testid: 'group-state' } }, g.state),
      h('dt', null, 'Members'), h('dd', null, fmtNumber(g.members.length)),
      h('dt', null, 'Total lag'), h('dd', { dataset: { testid: 'group-lag' } }, fmtNumber(g.lag)))
    replace(members, g.members.length === 0
      ? h('p', { class: 'muted' }, 'No active members.')
      : table(['Member', 'Client', 'Host', 'Assignment'], g.members.map((m) => h('tr', null,
        h('td', null, m.memberId), h('td', null, m.clientId), h('td', null, m.clientHost),
        h('td', null, m.assignment.map((a) => `${a.topic}: ${a.partitions.join(',')}`).join('; '))))))
    offsets.update(g.offsets)
    reset.topics([...new Set(g.offsets.map((o) => o.topic))].sort())
  }

  let stop = () => {}
  getJson(`/api/groups/${encodeURIComponent(groupId)}`).then((g) => {
    render(g)
    stop = live(`/api/stream/groups/${encodeURIComponent(groupId)}`, (v) => { render(v); chart.push(v.time, [v.lag]) }, (f) => showError(error, f.error))
  }, (err) => showError(error, err.message))
  return { el, leave () { stop(); chart.destroy() } }
}

function resetForm (groupId, refresh) {
  const topic = h('select', { name: 'topic', dataset: { testid: 'reset-topic' } })
  const to = h('select', { name: 'to', dataset: { testid: 'reset-to' } }, ['earliest', 'latest', 'offset'].map((v) => h('option', { value: v }, v)))
  const offset = h('input', { name: 'offset', placeholder: 'offset', size: 10, dataset: { testid: 'reset-offset' } })
  const result = h('p', { class: 'ok', dataset: { testid: 'reset-result' } })
  const error = h('p', { class: 'error', hidden: true, dataset: { testid: 'reset-error' } })
  const el = h('div', null,
    h('p', { class: 'muted' }, 'Only a group without active members can be reset (stop its consumers first).'),
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault()
      showError(error, '')
      replace(result)
      try {
        const res = await sendJson('POST', `/api/groups/${encodeURIComponent(groupId)}/reset-offsets`, { topic: topic.value, to: to.value === 'offset' ? offset.value.trim() : to.value })
        replace(result, `Reset ${res.results.length} partitions: ${res.results.map((r) => `${r.partition}: ${r.previousOffset ?? '–'} → ${r.newOffset}`).join(', ')}`)
        await refresh()
      } catch (err) {
        showError(error, err.message)
      }
    } }, h('label', null, 'Topic ', topic), h('label', null, 'To ', to), offset, h('button', { type: 'submit', dataset: { testid: 'reset-send' } }, 'Reset')),
    result, error)
  let known = ''
  return {
    el,
    topics (list) {
      if (list.join('\0') === known) return // keep the user's choice while samples arrive
      known = list.join('\0')
      const chosen = topic.value
      replace(topic, list.map((t) => h('option', { value: t, selected: t === chosen }, t)))
    }
  }
}
