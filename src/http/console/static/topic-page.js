// A topic: its partitions (live), throughput chart, configs, message browser and produce form.
import { h, replace, fmtBytes, fmtNumber, fmtRate, showError } from './dom.js'
import { getJson, live } from './api.js'
import { pager } from './pager.js'
import { liveChart } from './live-chart.js'
import { topicConfig } from './topic-config.js'
import { messageBrowser } from './message-browser.js'
import { produceForm } from './produce-form.js'

export function topicPage (topic) {
  const summary = h('dl', { class: 'facts' })
  const error = h('p', { class: 'error', hidden: true })
  const canvas = h('canvas')
  const partitions = pager(['Partition', 'Leader', 'Log start', 'High watermark', 'Log end', 'Size', 'Records/s'], (p) => h('tr', { dataset: { partition: p.partition } },
    h('td', { class: 'num' }, String(p.partition)),
    h('td', { class: 'num' }, '1'),
    h('td', { class: 'num' }, fmtNumber(p.logStartOffset)),
    h('td', { class: 'num', dataset: { testid: 'hw' } }, fmtNumber(p.highWatermark)),
    h('td', { class: 'num' }, p.logEndOffset === null ? h('span', { class: 'warn' }, 'offline') : fmtNumber(p.logEndOffset)),
    h('td', { class: 'num' }, fmtBytes(p.sizeBytes)),
    h('td', { class: 'num' }, fmtRate(p.recordsPerSec))), { testid: 'partitions' })
  const configs = topicConfig(topic)
  const el = h('section', null,
    h('h1', null, 'Topic ', h('span', { class: 'name' }, topic)),
    error, summary,
    h('div', { class: 'chart' }, canvas),
    h('h2', null, 'Partitions'), partitions.el,
    h('h2', null, 'Configs'), configs.el,
    h('h2', null, 'Messages'), messageBrowser(topic),
    h('h2', null, 'Produce a message'), produceForm(topic))

  const chart = liveChart(canvas, ['records/s', 'bytes/s'], ['records/s', 'bytes/s'])
  function render (view) {
    replace(summary,
      h('dt', null, 'Partitions'), h('dd', null, fmtNumber(view.partitions.length)),
      h('dt', null, 'Size'), h('dd', null, fmtBytes(view.sizeBytes)),
      h('dt', null, 'Records'), h('dd', { dataset: { testid: 'topic-records' } }, fmtNumber(view.records)),
      h('dt', null, 'Throughput'), h('dd', null, `${fmtRate(view.recordsPerSec)} records/s, ${fmtBytes(view.bytesPerSec)}/s`))
    partitions.update(view.partitions)
  }
  let stop = () => {}
  getJson(`/api/topics/${encodeURIComponent(topic)}`).then((view) => {
    render(view)
    configs.show(view.config, view.defaults)
    stop = live(`/api/stream/topics/${encodeURIComponent(topic)}`, (v) => {
      render(v)
      if (v.recordsPerSec !== null) chart.push(v.time, [v.recordsPerSec, v.bytesPerSec])
    }, (f) => showError(error, f.error))
  }, (err) => showError(error, err.message))
  return { el, leave () { stop(); chart.destroy() } }
}
