// The big screen of a live event: shows approved messages, lets the moderator
// approve or reject what phone users send, post announcements and recall.
// Plain browser JavaScript, served as is by the outside port; the connection
// is mswoole's client wrapper, which the port serves at /mswoole-client.js.
import { MswClient } from './mswoole-client.js'

;(() => {
  // Enough for a screen; older messages leave the page so a long event stays light.
  var MAX_SHOWN = 200

  var messages = document.getElementById('messages')
  var messagesEmpty = document.getElementById('messages-empty')
  var pending = document.getElementById('pending')
  var pendingCount = document.getElementById('pending-count')
  var pendingEmpty = document.getElementById('pending-empty')
  var statusLine = document.getElementById('status')
  var room = document.getElementById('room')
  var users = document.getElementById('users')
  var form = document.getElementById('announce')
  var formText = document.getElementById('announce-text')

  var auth = new URLSearchParams(location.search).get('auth')
  var client = null
  var joined = false

  function setStatus(state, text, event) {
    statusLine.dataset.state = state
    if (event) statusLine.dataset.event = event
    else delete statusLine.dataset.event
    statusLine.textContent = text
  }

  function send(message) {
    // Nothing is queued: a moderator's click while disconnected is refused, not sent later.
    if (!client?.send(message)) {
      setStatus('error', 'Not connected; try again in a moment.')
      return false
    }
    return true
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    setStatus('connecting', 'Connecting…')
    client = new MswClient(`${scheme}//${location.host}/?auth=${encodeURIComponent(auth)}`, {
      queue: 0,
      // On every connection, before the wrapper recovers the rooms' missed messages.
      join: (context) => {
        joined = false
        setStatus('connecting', 'Joining…')
        // extras: the user count and the other screens' moderation, which the seed's frames lack.
        context.send({ method: 'live.wall.join', extras: true })
        return context.next((e) => e.event === 'wallJoinSuccess' || e.status !== 200)
      },
    })
    client.on('message', handle)
    client.on('open', (info) => {
      if (!joined) return
      // Pending messages come from the store, as they are now.
      send({ method: 'live.wall.history', type: 'user' })
      // The shown ones: after a reconnect with room history, the wrapper replays what was missed;
      // otherwise (the first join, history off) the page starts from the stored history.
      if (!info.reconnect || !wallRoomFollowed()) requestShown()
    })
    client.on('recovered', (result) => {
      if (!result.recovered && result.room.indexOf('live:wall:') === 0) requestShown()
    })
    client.on('close', (info) => {
      joined = false
      if (info.retryIn !== null) setStatus('closed', `Disconnected; reconnecting in ${Math.max(1, Math.ceil(info.retryIn / 1000))} s…`)
    })
  }

  // Whether the wrapper holds a position in the event's wall room, so a reconnect recovers it.
  function wallRoomFollowed() {
    return Object.keys(client.positions()).some((room) => room.indexOf('live:wall:') === 0)
  }

  function handle(envelope) {
    var param = envelope.param
    if (envelope.status !== 200) {
      if (envelope.event === 'wallRecallFail') {
        // Another screen recalled it first: reload both lists.
        requestShown()
        send({ method: 'live.wall.history', type: 'user' })
      }
      setStatus('error', `Error ${envelope.status}: ${String(envelope.info)}`, String(envelope.event))
      return
    }
    // The moderator's own action went through: an earlier error no longer applies.
    if (joined && /^wall(Say|Check|Recall)Success$/.test(envelope.event)) setStatus('connected', 'Connected')
    switch (envelope.event) {
      case 'wallJoinSuccess':
        joined = true
        setStatus('connected', 'Connected')
        break
      case 'wallSayHistory':
        // The seed's page of rows: {list: [newest first], count}; every row is something a wall said.
        clear(messages)
        if (param && Array.isArray(param.list)) {
          param.list
            .slice()
            .reverse()
            .forEach((row) => {
              showMessage(row, true)
            })
        }
        updateEmpty()
        break
      case 'userSayHistory':
        // Pending messages keyed by id, oldest first; no param when there are none.
        clear(pending)
        if (param && typeof param === 'object') {
          Object.keys(param).forEach((id) => {
            addPending(param[id])
          })
        }
        updateCount()
        break
      case 'wallSaySuccess':
      case 'wallSayBroadcast':
        showMessage(param, true)
        updateEmpty()
        break
      case 'userSayBroadcast':
        // An approved message keeps the id it had while pending.
        if (param) removePending(param.id)
        showMessage(param, false)
        updateEmpty()
        break
      case 'userSayNeedCheck':
        addPending(param)
        updateCount()
        break
      case 'wallCheckSuccess':
        removePending(param)
        break
      case 'userSayChecked':
        // Another screen of the event moderated it.
        if (param) removePending(param.id)
        break
      case 'wallCleanSuccess':
      case 'userSayCleaned':
        clear(pending)
        updateCount()
        break
      case 'wallSayRecall':
      case 'wallRecallSuccess':
        removeById(messages, param)
        updateEmpty()
        break
      case 'userCount':
        users.textContent = param && typeof param.count === 'number' ? `${param.count} online` : ''
        if (param?.code) room.textContent = `Room ${param.code}`
        break
    }
  }

  function requestShown() {
    send({ method: 'live.wall.history', type: 'wall', count: 20 })
  }

  // The server sends nickname and say HTML-escaped; only those two go in as HTML.
  function escapedText(element, value) {
    if (typeof value === 'string') element.innerHTML = value
    else element.textContent = value === undefined || value === null ? '' : String(value)
    return element
  }

  function el(tag, className, text) {
    var node = document.createElement(tag)
    if (className) node.className = className
    if (text !== undefined) node.textContent = text
    return node
  }

  function findById(list, id) {
    var key = String(id)
    for (var i = 0; i < list.children.length; i++) {
      if (list.children[i].dataset.id === key) return list.children[i]
    }
    return null
  }

  function removeById(list, id) {
    var item = findById(list, id)
    if (item) item.remove()
  }

  function clear(list) {
    while (list.firstChild) list.firstChild.remove()
  }

  // A stored row carries create_time (Unix seconds); a live message is shown with the time it arrived.
  function timeOf(m) {
    var ms = typeof m.create_time === 'number' ? m.create_time * 1000 : Date.now()
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  }

  function showMessage(m, announcement) {
    if (!m || typeof m !== 'object' || m.id === undefined || findById(messages, m.id)) return
    var item = el('li', announcement ? 'message announcement' : 'message')
    item.dataset.id = String(m.id)
    var head = el('div', 'head')
    if (announcement) head.appendChild(el('span', 'badge', 'Announcement'))
    head.appendChild(escapedText(el('span', 'who'), m.nickname))
    head.appendChild(el('time', 'when', timeOf(m)))
    var recall = el('button', 'recall', 'Recall')
    recall.type = 'button'
    recall.addEventListener('click', () => {
      if (send({ method: 'live.wall.recall', id: m.id })) recall.disabled = true
    })
    head.appendChild(recall)
    item.appendChild(head)
    item.appendChild(escapedText(el('p', 'say'), m.say))
    messages.insertBefore(item, messages.firstChild)
    while (messages.children.length > MAX_SHOWN) messages.lastChild.remove()
  }

  function addPending(m) {
    if (!m || typeof m !== 'object' || m.id === undefined || findById(pending, m.id)) return
    var item = el('li', 'pending-item')
    item.dataset.id = String(m.id)
    var head = el('div', 'head')
    head.appendChild(escapedText(el('span', 'who'), m.nickname))
    head.appendChild(el('time', 'when', timeOf(m)))
    item.appendChild(head)
    item.appendChild(escapedText(el('p', 'say'), m.say))
    var actions = el('div', 'actions')
    var approve = el('button', 'approve', 'Approve')
    var reject = el('button', 'reject', 'Reject')
    approve.type = reject.type = 'button'
    function check(status) {
      if (send({ method: 'live.wall.check', id: m.id, status: status })) approve.disabled = reject.disabled = true
    }
    approve.addEventListener('click', () => {
      check(1)
    })
    reject.addEventListener('click', () => {
      check(0)
    })
    actions.appendChild(approve)
    actions.appendChild(reject)
    item.appendChild(actions)
    pending.appendChild(item)
  }

  function removePending(id) {
    removeById(pending, id)
    updateCount()
  }

  function updateCount() {
    pendingCount.textContent = String(pending.children.length)
    pendingEmpty.hidden = pending.children.length > 0
  }

  function updateEmpty() {
    messagesEmpty.hidden = messages.children.length > 0
  }

  form.addEventListener('submit', (evt) => {
    evt.preventDefault()
    var say = formText.value.trim()
    if (say && send({ method: 'live.wall.say', say: say })) formText.value = ''
  })

  if (!auth) {
    setStatus('error', 'No token: open this page as /wall?auth=<wall token>.')
    return
  }
  connect()
})()
