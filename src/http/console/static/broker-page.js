// The broker: its settings, worker threads, data dir and this process's memory.
import { h, replace, table, fmtBytes, showError } from './dom.js'
import { getJson } from './api.js'

export function brokerPage () {
  const body = h('div')
  const error = h('p', { class: 'error', hidden: true })
  const el = h('section', null, h('h1', null, 'Broker'), error, body)
  getJson('/api/broker').then((b) => {
    const settings = Object.entries(b.config).filter(([k]) => k !== 'topicDefaults')
      .map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v === null || v === undefined ? '–' : String(v))))
    const defaults = Object.entries(b.config.topicDefaults ?? {}).map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v)))
    replace(body,
      h('dl', { class: 'facts' },
        h('dt', null, 'Kafka listener'), h('dd', null, b.address ?? 'none (library mode)'),
        h('dt', null, 'Data dir'), h('dd', { dataset: { testid: 'data-dir' } }, b.dataDir ?? 'in memory'),
        h('dt', null, 'Partition workers'), h('dd', { dataset: { testid: 'workers' } }, String(b.workers)),
        h('dt', null, 'Topics'), h('dd', null, String(b.topics)),
        h('dt', null, 'Process'), h('dd', null, `pid ${b.process.pid}, Node ${b.process.node}, up ${b.process.uptimeSeconds} s`),
        h('dt', null, 'Memory'), h('dd', null, `RSS ${fmtBytes(b.process.rssBytes)}, heap used ${fmtBytes(b.process.heapUsedBytes)}`)),
      h('h2', null, 'Settings'),
      table(['Setting', 'Value'], settings, { dataset: { testid: 'settings' } }),
      h('h2', null, 'Topic defaults'),
      table(['Config', 'Value'], defaults))
  }, (err) => showError(error, err.message))
  return { el, leave () {} }
}
