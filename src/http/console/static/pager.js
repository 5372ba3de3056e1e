// Shows a long list a page at a time (a topic may have thousands of partitions): only the rows
// of the current page are ever in the DOM.
import { h, replace } from './dom.js'

export function pager (headers, rowOf, { pageSize = 50, testid } = {}) {
  let items = []
  let page = 0
  const body = h('tbody')
  const info = h('span', { class: 'muted' })
  const prev = h('button', { type: 'button', onclick: () => { page--; render() } }, '‹ Prev')
  const next = h('button', { type: 'button', onclick: () => { page++; render() } }, 'Next ›')
  const el = h('div', { class: 'pager', dataset: testid ? { testid } : undefined },
    h('table', null, h('thead', null, h('tr', null, headers.map((c) => h('th', null, c)))), body),
    h('div', { class: 'pager-nav' }, prev, info, next))
  function render () {
    const pages = Math.max(1, Math.ceil(items.length / pageSize))
    page = Math.min(Math.max(page, 0), pages - 1)
    const shown = items.slice(page * pageSize, (page + 1) * pageSize)
    replace(body, shown.map(rowOf))
    replace(info, items.length <= pageSize ? `${items.length} rows` : `page ${page + 1} of ${pages} (${items.length} rows)`)
    prev.disabled = page === 0
    next.disabled = page >= pages - 1
  }
  return { el, update (list) { items = list; render() } }
}
