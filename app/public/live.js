// The audience's page of a live event, for phones: joins the event of the
// token, shows the approved messages and the announcements, and sends what
// the user writes to the moderators. Plain browser JavaScript, served as is by
// the outside port; the connection is mswoole's client wrapper, which the
// port serves at /mswoole-client.js.
import { MswClient } from './mswoole-client.js'

// A phone keeps the last messages only.
var MAX_SHOWN = 200
// Messages written while offline, sent once the connection is back (the server allows 5 in 10 s).
var QUEUE = 5
// Within this many pixels of the end, the list follows new messages.
var STICKY_PX = 80

var feed = document.getElementById('feed')
var messages = document.getElementById('messages')
var empty = document.getElementById('empty')
var statusLine = document.getElementById('status')
var room = document.getElementById('room')
var form = document.getElementById('compose')
var text = document.getElementById('say')
var note = document.getElementById('note')

// The Live module's refusals of a message, as a phone user should read them.
var NOTES = {
  messageEmpty: 'Write something first.',
  messageTooLong: 'That is too long: 500 characters at most.',
  tooManyMessages: 'Slow down: wait a few seconds before the next message.',
  tooManyPending: 'The moderators have a lot to read: try again in a minute.',
  notJoined: 'Not in the event yet: try again in a moment.',
}
// Refusals of the join: this link will not work, so the page stops trying.
var REFUSED = {
  mustBeWechatUser: 'This link is not an audience link.',
  codeIsEmpty: 'This link names no event.',
}

var auth = new URLSearchParams(location.search).get('auth')
var client = null
// Pending ids of this phone's messages, to mark them once approved.
var mine = new Set()
var lastSaid = ''

function setStatus(state, message, event) {
  statusLine.dataset.state = state
  if (event) statusLine.dataset.event = event
  else delete statusLine.dataset.event
  statusLine.textContent = message
}

function setNote(state, message, event) {
  note.dataset.state = state
  if (event) note.dataset.event = event
  else delete note.dataset.event
  note.textContent = message
}

function connect() {
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  client = new MswClient(`${scheme}//${location.host}/?auth=${encodeURIComponent(auth)}`, {
    queue: QUEUE,
    // On every connection, before the wrapper recovers what was missed and sends what was queued.
    join: (context) => {
      setStatus('connecting', 'Joining…')
      context.send({ method: 'live.user.join' })
      return context.next((e) => e.event === 'userJoinSuccess' || e.status !== 200)
    },
  })
  client.on('message', handle)
  client.on('open', (info) => {
    if (client.state === 'closed') return
    setStatus('connected', 'Connected')
    // The announcements are stored; approved messages are not, so those the page missed
    // come back only through room history (the wrapper asks for them after a reconnect).
    if (!info.reconnect || !userRoomFollowed()) requestHistory()
  })
  client.on('recovered', (result) => {
    if (!result.recovered && result.room.indexOf('live:user:') === 0) requestHistory()
  })
  client.on('close', (info) => {
    if (info.retryIn !== null) setStatus('closed', 'Offline: reconnecting…')
  })
}

function userRoomFollowed() {
  return Object.keys(client.positions()).some((name) => name.indexOf('live:user:') === 0)
}

function requestHistory() {
  client.send({ method: 'live.user.history', count: 20 })
}

function handle(envelope) {
  var param = envelope.param
  if (envelope.status !== 200) {
    var refused = REFUSED[envelope.event]
    if (refused) {
      client.close()
      setStatus('error', refused, envelope.event)
      form.hidden = true
      return
    }
    setNote('error', NOTES[envelope.event] || `Error ${envelope.status}: ${String(envelope.info)}`, String(envelope.event))
    // The message was not taken: give it back to edit or send again.
    if (lastSaid && !text.value) text.value = lastSaid
    lastSaid = ''
    resize()
    return
  }
  switch (envelope.event) {
    case 'userSaySuccess':
      // The pending id: the approved message comes back under it.
      mine.add(String(param))
      lastSaid = ''
      setNote('sent', 'Sent. It shows here once a moderator approves it.', 'userSaySuccess')
      break
    case 'userSayBroadcast':
      show(param, false, Date.now())
      break
    case 'wallSayBroadcast':
      show(param, true, Date.now())
      break
    case 'wallSayRecall':
      remove(param)
      break
    case 'wallSayHistory':
      // A page of what the walls said, newest first: it replaces the announcements shown.
      for (var item of Array.from(messages.querySelectorAll('.announcement'))) item.remove()
      if (param && Array.isArray(param.list)) {
        // Oldest first, so rows of the same second keep their order.
        for (var i = param.list.length - 1; i >= 0; i--) {
          var row = param.list[i]
          show(row, true, row && typeof row.create_time === 'number' ? row.create_time * 1000 : Date.now())
        }
      }
      updateEmpty()
      break
  }
}

// The server sends nickname and say HTML-escaped once; they are decoded here and shown as text.
var ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#039;': "'", '&#39;': "'" }
function decoded(value) {
  if (value === undefined || value === null) return ''
  return String(value).replace(/&(?:amp|lt|gt|quot|#0?39);/g, (entity) => ENTITIES[entity])
}

function el(tag, className, content) {
  var node = document.createElement(tag)
  if (className) node.className = className
  if (content !== undefined) node.textContent = content
  return node
}

function find(id) {
  var key = String(id)
  for (var i = 0; i < messages.children.length; i++) {
    if (messages.children[i].dataset.id === key) return messages.children[i]
  }
  return null
}

function remove(id) {
  var item = find(id)
  if (item) item.remove()
  updateEmpty()
}

// Messages in time order, the newest at the bottom, next to where one writes.
function show(m, announcement, time) {
  if (!m || typeof m !== 'object' || m.id === undefined || m.id === null || find(m.id)) return
  var id = String(m.id)
  var item = el('li', `message${announcement ? ' announcement' : ''}${mine.has(id) ? ' mine' : ''}`)
  item.dataset.id = id
  item.dataset.time = String(time)
  var head = el('p', 'head')
  if (announcement) head.appendChild(el('span', 'badge', 'Announcement'))
  head.appendChild(el('span', 'who', decoded(m.nickname)))
  var when = el('time', 'when', new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }))
  when.dateTime = new Date(time).toISOString()
  head.appendChild(when)
  item.appendChild(head)
  item.appendChild(el('p', 'say', decoded(m.say)))
  if (m.code && !room.textContent) room.textContent = String(m.code)

  var follow = feed.scrollHeight - feed.scrollTop - feed.clientHeight < STICKY_PX
  var after = null
  for (var i = messages.children.length - 1; i >= 0; i--) {
    if (Number(messages.children[i].dataset.time) <= time) break
    after = messages.children[i]
  }
  messages.insertBefore(item, after)
  while (messages.children.length > MAX_SHOWN) messages.firstChild.remove()
  updateEmpty()
  if (follow) feed.scrollTop = feed.scrollHeight
}

function updateEmpty() {
  empty.hidden = messages.children.length > 0
}

// The box grows with what is typed, up to a few lines.
function resize() {
  text.style.height = 'auto'
  text.style.height = `${Math.min(text.scrollHeight, 160)}px`
}

form.addEventListener('submit', (evt) => {
  evt.preventDefault()
  var say = text.value.trim()
  if (!say) {
    setNote('error', NOTES.messageEmpty, 'messageEmpty')
    return
  }
  if (!client?.send({ method: 'live.user.say', say: say })) {
    setNote('error', 'Offline, and several messages are already waiting: try again in a moment.')
    return
  }
  lastSaid = say
  text.value = ''
  resize()
  setNote('pending', client.state === 'open' ? 'Sending…' : 'Offline: it will be sent when the connection is back.')
})

text.addEventListener('input', resize)
text.addEventListener('keydown', (evt) => {
  // Enter sends, Shift+Enter starts a new line.
  if (evt.key === 'Enter' && !evt.shiftKey && !evt.isComposing) {
    evt.preventDefault()
    form.requestSubmit()
  }
})

if (auth) {
  connect()
} else {
  setStatus('error', 'No token: open this page as /live?auth=<your token>.')
  form.hidden = true
}
