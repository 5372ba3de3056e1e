// The console's router: one page per hash route, each page built by a module and torn down
// (its stream closed, its charts destroyed) when the user leaves it.
import { h, replace } from './dom.js'
import { homePage } from './home-page.js'
import { topicPage } from './topic-page.js'
import { groupPage } from './group-page.js'
import { brokerPage } from './broker-page.js'

const main = document.getElementById('app')
let leave = () => {}

function route () {
  leave()
  leave = () => {}
  const path = location.hash.replace(/^#/, '') || '/'
  const [, section, rest] = path.match(/^\/([^/]*)\/?(.*)$/) ?? []
  let page
  if (section === '' || section === undefined) page = homePage()
  else if (section === 'topics' && rest !== '') page = topicPage(decodeURIComponent(rest))
  else if (section === 'groups' && rest !== '') page = groupPage(decodeURIComponent(rest))
  else if (section === 'broker') page = brokerPage()
  else page = { el: h('p', { class: 'error' }, `No page at ${path}`), leave () {} }
  replace(main, page.el)
  leave = page.leave
}

window.addEventListener('hashchange', route)
route()
