// Writes one message to the topic: key, value, headers (one `name: value` per line) and an
// optional partition.
import { h, showError, replace } from './dom.js'
import { sendJson } from './api.js'

export function produceForm (topic) {
  const key = h('input', { name: 'key', dataset: { testid: 'produce-key' } })
  const value = h('textarea', { name: 'value', rows: 3, dataset: { testid: 'produce-value' } })
  const headers = h('textarea', { name: 'headers', rows: 2, placeholder: 'name: value (one per line)', dataset: { testid: 'produce-headers' } })
  const partition = h('input', { name: 'partition', placeholder: 'any', size: 6, dataset: { testid: 'produce-partition' } })
  const result = h('p', { class: 'ok', dataset: { testid: 'produce-result' } })
  const error = h('p', { class: 'error', hidden: true, dataset: { testid: 'produce-error' } })
  return h('form', { class: 'stack', onsubmit: async (e) => {
    e.preventDefault()
    showError(error, '')
    replace(result)
    try {
      const message = {
        key: key.value === '' ? null : key.value,
        value: value.value,
        headers: headerList(headers.value),
        partition: partition.value.trim() === '' ? null : partition.value.trim()
      }
      const acked = await sendJson('POST', `/api/topics/${encodeURIComponent(topic)}/messages`, message)
      replace(result, `Written to partition ${acked.partition} at offset ${acked.offset}.`)
    } catch (err) {
      showError(error, err.message)
    }
  } },
  h('label', null, 'Key', key),
  h('label', null, 'Value', value),
  h('label', null, 'Headers', headers),
  h('label', null, 'Partition', partition),
  h('button', { type: 'submit', dataset: { testid: 'produce-send' } }, 'Produce'),
  result, error)
}

function headerList (text) {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '').map((line) => {
    const at = line.indexOf(':')
    return at < 0 ? { key: line, value: null } : { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() }
  })
}
