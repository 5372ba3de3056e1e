// The console's API: JSON reads and writes, and one EventSource per open page.

export class ApiError extends Error {
  constructor (status, body) {
    super(body?.error ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.code
  }
}

async function answer (res) {
  const body = await res.json().catch(() => null)
  if (!res.ok) throw new ApiError(res.status, body)
  return body
}

export async function getJson (path) {
  return answer(await fetch(path, { headers: { accept: 'application/json' } }))
}

export async function sendJson (method, path, body) {
  return answer(await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))
}

const liveBadge = () => document.getElementById('live')

/** Opens a page's stream; returns a function that closes it (the server stops sampling with the last one). */
export function live (path, onSample, onFailure) {
  const source = new EventSource(path)
  source.addEventListener('sample', (e) => {
    liveBadge().textContent = 'live'
    liveBadge().classList.add('on')
    onSample(JSON.parse(e.data))
  })
  source.addEventListener('failure', (e) => onFailure(JSON.parse(e.data)))
  source.onerror = () => {
    liveBadge().textContent = 'reconnecting'
    liveBadge().classList.remove('on')
  }
  return () => {
    source.close()
    liveBadge().textContent = 'offline'
    liveBadge().classList.remove('on')
  }
}
