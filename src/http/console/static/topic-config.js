// A topic's configs: its overrides and the broker's defaults, each editable; the broker's
// refusal of a value is shown under the table.
import { h, replace, showError } from './dom.js'
import { getJson, sendJson } from './api.js'

export function topicConfig (topic) {
  const body = h('tbody')
  const error = h('p', { class: 'error', hidden: true, dataset: { testid: 'config-error' } })
  const newKey = h('input', { placeholder: 'config name', dataset: { testid: 'config-new-key' } })
  const newValue = h('input', { placeholder: 'value', dataset: { testid: 'config-new-value' } })
  const el = h('div', null,
    h('table', { dataset: { testid: 'configs' } }, h('thead', null, h('tr', null, ['Config', 'Value', 'Source', ''].map((c) => h('th', null, c)))), body),
    h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); save({ set: { [newKey.value.trim()]: newValue.value } }) } },
      newKey, newValue, h('button', { type: 'submit' }, 'Set')),
    error)

  async function save (edit) {
    showError(error, '')
    try {
      const res = await sendJson('PUT', `/api/topics/${encodeURIComponent(topic)}/config`, edit)
      const view = await getJson(`/api/topics/${encodeURIComponent(topic)}`)
      show(res.config, view.defaults)
    } catch (err) {
      showError(error, err.message)
    }
  }

  let current = {}
  let defaults = {}
  function show (config, topicDefaults) {
    current = config
    defaults = topicDefaults
    const names = [...new Set([...Object.keys(defaults), ...Object.keys(current)])].sort()
    if (names.length === 0) {
      replace(body, h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'No overrides: the broker\'s built-in defaults apply.')))
      return
    }
    replace(body, names.map((name) => {
      const overridden = Object.hasOwn(current, name)
      const input = h('input', { value: overridden ? current[name] : defaults[name], dataset: { testid: `config-value-${name}` } })
      return h('tr', { dataset: { config: name }, class: overridden ? 'override' : undefined },
        h('td', null, name),
        h('td', null, input),
        h('td', { class: 'muted' }, overridden ? 'topic' : 'broker default'),
        h('td', null,
          h('button', { type: 'button', dataset: { testid: `config-save-${name}` }, onclick: () => save({ set: { [name]: input.value } }) }, 'Save'),
          overridden ? h('button', { type: 'button', onclick: () => save({ remove: [name] }) }, 'Reset') : null))
    }))
  }
  return { el, show }
}
