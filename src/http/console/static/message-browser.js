// Reads a window of the topic (from the end, the beginning, an offset or a time) and shows each
// record's key, value and headers as text, JSON or hex. Bytes arrive base64-encoded and are only
// ever put on the page as text.
import { h, replace, fmtTime, showError } from './dom.js'
import { getJson } from './api.js'

const utf8 = new TextDecoder('utf-8')

export function messageBrowser (topic) {
  const from = h('select', { name: 'from', dataset: { testid: 'browse-from' } },
    ['end', 'beginning', 'offset', 'timestamp'].map((v) => h('option', { value: v }, v)))
  const partition = h('input', { name: 'partition', placeholder: 'all', size: 6, dataset: { testid: 'browse-partition' } })
  const offset = h('input', { name: 'offset', placeholder: 'offset', size: 10, dataset: { testid: 'browse-offset' } })
  const timestamp = h('input', { name: 'timestamp', type: 'datetime-local', step: 1, dataset: { testid: 'browse-timestamp' } })
  const limit = h('input', { name: 'limit', value: '50', size: 4 })
  const filter = h('input', { name: 'filter', placeholder: 'text filter', dataset: { testid: 'browse-filter' } })
  const format = h('select', { name: 'format', dataset: { testid: 'browse-format' }, onchange: () => last && render(last) },
    ['text', 'json', 'hex'].map((v) => h('option', { value: v }, v)))
  const status = h('p', { class: 'muted', dataset: { testid: 'browse-status' } })
  const error = h('p', { class: 'error', hidden: true, dataset: { testid: 'browse-error' } })
  const body = h('tbody')
  let last = null

  async function load () {
    showError(error, '')
    const q = new URLSearchParams({ from: from.value, limit: limit.value })
    if (partition.value.trim() !== '') q.set('partition', partition.value.trim())
    if (from.value === 'offset') q.set('offset', offset.value.trim())
    if (from.value === 'timestamp') q.set('timestamp', timestamp.value === '' ? '' : String(new Date(timestamp.value).getTime()))
    if (filter.value !== '') q.set('filter', filter.value)
    try {
      last = await getJson(`/api/topics/${encodeURIComponent(topic)}/messages?${q}`)
      render(last)
    } catch (err) {
      showError(error, err.message)
    }
  }

  function render (result) {
    const notes = [`${result.messages.length} messages, ${result.scanned} records read`]
    if (result.scanLimitReached) notes.push('stopped at the scan limit: narrow the window or the partition')
    if (result.incompletePartitions.length > 0) notes.push(`partitions not read to their end (offline?): ${result.incompletePartitions.join(', ')}`)
    replace(status, notes.join('; '))
    replace(body, result.messages.length === 0
      ? h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No messages in this window.'))
      : result.messages.map((m) => h('tr', { dataset: { offset: m.offset, partition: m.partition } },
        h('td', { class: 'num' }, String(m.partition)),
        h('td', { class: 'num' }, String(m.offset)),
        h('td', null, fmtTime(m.timestamp)),
        h('td', { dataset: { testid: 'message-key' } }, shown(m.key, format.value)),
        h('td', { dataset: { testid: 'message-value' } }, shown(m.value, format.value)),
        h('td', { dataset: { testid: 'message-headers' } }, m.headers.map((hd) => h('div', null, h('b', null, hd.key), ': ', shown(hd.value, 'text')))))))
  }

  return h('div', null,
    h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); load() } },
      h('label', null, 'From ', from), offset, timestamp,
      h('label', null, 'Partition ', partition),
      h('label', null, 'Limit ', limit), filter,
      h('label', null, 'Show as ', format),
      h('button', { type: 'submit', dataset: { testid: 'browse-load' } }, 'Load')),
    error, status,
    h('table', { class: 'messages', dataset: { testid: 'messages' } },
      h('thead', null, h('tr', null, ['Partition', 'Offset', 'Timestamp', 'Key', 'Value', 'Headers'].map((c) => h('th', null, c)))),
      body))
}

function bytesOf (base64) {
  const bin = atob(base64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** One field as a node of text: null, text, pretty JSON (or the text with a note) or hex. */
function shown (field, format) {
  if (field === null) return h('span', { class: 'muted' }, 'null')
  const bytes = bytesOf(field.base64)
  const cut = field.truncated ? h('span', { class: 'warn' }, ` … ${field.size} bytes, first ${bytes.length} shown`) : null
  if (format === 'hex') {
    return h('code', { class: 'hex' }, Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' '), cut)
  }
  const text = utf8.decode(bytes)
  if (format === 'json') {
    try {
      return h('pre', null, JSON.stringify(JSON.parse(text), null, 2), cut)
    } catch {
      return h('span', null, text, h('span', { class: 'muted' }, ' (not JSON)'), cut)
    }
  }
  return h('span', { class: 'text' }, text, cut)
}
