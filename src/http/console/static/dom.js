// Builds the page from data without ever parsing data as markup: every string becomes a text
// node or an attribute value, so keys, values and headers (any bytes a producer sent) stay text.

/** h('td', { class: 'num', dataset: { testid: 'lag' } }, 'text', childNode, [more]) */
export function h (tag, props, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (name === 'dataset') Object.assign(el.dataset, value)
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value)
    else if (name === 'value') el.value = value
    else if (name === 'checked' || name === 'selected' || name === 'disabled') el[name] = Boolean(value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(el, child)
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces every child of `el`. */
export function replace (el, ...children) {
  el.replaceChildren()
  append(el, children)
}

const numbers = new Intl.NumberFormat('en')
export function fmtNumber (n) {
  return n === null || n === undefined ? '–' : numbers.format(n)
}

export function fmtRate (n) {
  return n === null || n === undefined ? '–' : numbers.format(Math.round(n * 10) / 10)
}

export function fmtBytes (n) {
  if (n === null || n === undefined) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
}

export function fmtTime (ms) {
  return ms < 0 ? '–' : new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

export function link (href, text, props = {}) {
  return h('a', { ...props, href }, text)
}

/** A table; `rows` are arrays of cells (strings, numbers or nodes). */
export function table (headers, rows, props = {}) {
  return h('table', props,
    h('thead', null, h('tr', null, headers.map((c) => h('th', null, c)))),
    h('tbody', null, rows))
}

/** Shows a failure where the user acted; empty text clears it. */
export function showError (el, message) {
  replace(el, message ?? '')
  el.hidden = !message
}
