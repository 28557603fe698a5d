// mswoole-client: a reconnecting client for the MSwoole-ws protocol, for
// browsers and Node >= 20. One plain ES module, no dependencies, no build step.
// It reconnects with capped exponential backoff and full jitter, keeps the
// last room-history position ("seq") of every room, asks for what it missed
// after each reconnect (@recover), and hands each message to the app once, in
// order. See docs/client.md.

const OPEN = 1
const KEEPALIVE_PING = '2'
const DEFAULTS = {
  keepalive: 25000,
  minDelay: 1000,
  maxDelay: 30000,
  stableAfter: 10000,
  restartDelay: 5000,
  queue: 100,
  recoverTimeout: 10000,
  joinTimeout: 10000,
}
const EVENTS = ['open', 'message', 'recovered', 'close', 'error']

export class MswClient {
  #url
  #options
  #WebSocket
  #socket = null
  #state = 'connecting'
  #everOpened = false
  #openedAt = 0
  #attempt = 0
  #retryTimer = undefined
  #keepaliveTimer = undefined
  #heard = true
  /** room -> {epoch, offset}: the last message of the room the app was given. */
  #positions = new Map()
  /** room -> {frames, timer}: the room's messages held from a reconnect until its `recovered` answer. */
  #recovering = new Map()
  #queue = []
  #waiters = []
  #listeners = new Map(EVENTS.map((type) => [type, new Set()]))

  /**
   * @param url the server's address with the token, `ws://host:port/?auth=<token>`, or a
   *   function that returns it (called for every connection, so a fresh token can be used)
   * @param options see docs/client.md and mswoole-client.d.ts
   */
  constructor(url, options = {}) {
    const WebSocketClass = options.WebSocket ?? globalThis.WebSocket
    if (typeof WebSocketClass !== 'function') {
      throw new TypeError('mswoole-client: no global WebSocket here; pass one as options.WebSocket (in Node 20, the ws package)')
    }
    this.#url = url
    this.#WebSocket = WebSocketClass
    this.#options = { ...DEFAULTS }
    for (const [key, value] of Object.entries(options)) if (value !== undefined) this.#options[key] = value
    this.#connect()
  }

  /** 'connecting' (no socket open), 'joining' (open, the join hook running), 'open', or 'closed' (for good). */
  get state() {
    return this.#state
  }

  /** Listens to 'open', 'message', 'recovered', 'close' or 'error'; returns a function that stops listening. */
  on(type, listener) {
    const listeners = this.#listeners.get(type)
    if (listeners === undefined) throw new TypeError(`mswoole-client: no event ${type}; there are ${EVENTS.join(', ')}`)
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /**
   * Sends a message (an object is sent as JSON, a string as it is). While the
   * client is not open it is queued, up to `options.queue` messages, and sent
   * after the next join and recovery. False when it was neither sent nor
   * queued: the queue is full, or the client is closed.
   */
  send(message) {
    if (this.#state === 'closed') return false
    const text = typeof message === 'string' ? message : JSON.stringify(message)
    if (this.#state === 'open' && this.#socket?.readyState === OPEN) {
      this.#socket.send(text)
      return true
    }
    if (this.#queue.length >= this.#options.queue) return false
    this.#queue.push(text)
    return true
  }

  /** The position of the last message the app got, per room: {room: {epoch, offset}}. */
  positions() {
    const out = {}
    for (const [room, position] of this.#positions) out[room] = { ...position }
    return out
  }

  /** Closes the connection and stops for good: no reconnect; queued messages are dropped. */
  close(code = 1000, reason = '') {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    clearTimeout(this.#retryTimer)
    this.#queue = []
    const socket = this.#socket
    this.#teardown(new Error('mswoole-client: closed'))
    if (socket !== null) shut(socket, false, code, reason)
    this.#emit('close', { code, reason, retryIn: null })
  }

  #connect() {
    this.#retryTimer = undefined
    let socket
    try {
      const url = typeof this.#url === 'function' ? this.#url() : this.#url
      socket = new this.#WebSocket(String(url))
    } catch (err) {
      this.#emit('error', asError(err))
      this.#retry(1006, 'could not connect')
      return
    }
    this.#socket = socket
    this.#state = 'connecting'
    socket.onopen = () => {
      if (this.#socket === socket) this.#opened(socket)
    }
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#received(event.data)
    }
    socket.onclose = (event) => {
      if (this.#socket === socket) this.#lost(event.code, event.reason)
    }
    // An error is followed by a close, which is where the reconnect starts.
    socket.onerror = () => {}
  }

  #opened(socket) {
    this.#state = 'joining'
    this.#openedAt = Date.now()
    this.#heard = true
    if (this.#options.keepalive > 0) this.#keepaliveTimer = setInterval(() => this.#keepalive(socket), this.#options.keepalive)
    const reconnect = this.#everOpened
    this.#everOpened = true
    // From now until its `recovered` answer, a room's messages are held, so none is shown out of order.
    for (const room of this.#positions.keys()) this.#recovering.set(room, { frames: [], timer: undefined })
    const join = this.#options.join
    const context = {
      reconnect,
      send: (message) => {
        if (this.#socket !== socket || socket.readyState !== OPEN) return false
        socket.send(typeof message === 'string' ? message : JSON.stringify(message))
        return true
      },
      next: (match, timeoutMs = this.#options.joinTimeout) => this.#next(match, timeoutMs),
    }
    Promise.resolve()
      .then(() => (typeof join === 'function' ? join(context) : undefined))
      .then(
        () => {
          if (this.#socket === socket) this.#joined(socket, reconnect)
        },
        (err) => {
          if (this.#socket !== socket) return
          this.#emit('error', asError(err))
          this.#abandon(socket, 4000, 'join failed')
        },
      )
  }

  /** The join hook is done: recover each room, send what was queued, and tell the app. */
  #joined(socket, reconnect) {
    // Closing already: its close event starts the next attempt, and the queue waits for it.
    if (socket.readyState !== OPEN) return
    for (const [room, recovery] of this.#recovering) {
      const { epoch, offset } = this.#positions.get(room)
      socket.send(JSON.stringify({ method: '@recover', room, epoch, offset }))
      recovery.timer = setTimeout(() => {
        this.#answered({ status: 0, info: 'no answer to @recover', param: { room, recovered: false } })
      }, this.#options.recoverTimeout)
    }
    this.#state = 'open'
    for (const text of this.#queue.splice(0)) socket.send(text)
    this.#emit('open', { reconnect })
  }

  #received(data) {
    this.#heard = true
    // The keepalive's answer "3", and anything else that is not an envelope, is not the app's.
    if (typeof data !== 'string' || data.charCodeAt(0) !== 0x7b /* { */) return
    let envelope
    try {
      envelope = JSON.parse(data)
    } catch {
      return
    }
    if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) return
    const param = envelope.param
    if (envelope.event === 'recovered' && param !== null && typeof param === 'object' && typeof param.room === 'string') {
      this.#answered(envelope)
      return
    }
    const seq = seqOf(envelope)
    const recovery = seq === undefined ? undefined : this.#recovering.get(seq.room)
    if (recovery !== undefined) recovery.frames.push(envelope)
    else this.#deliver(envelope)
  }

  /** To the app, unless it already had this message of its room. */
  #deliver(envelope) {
    const seq = seqOf(envelope)
    if (seq !== undefined) {
      const last = this.#positions.get(seq.room)
      if (last !== undefined && last.epoch === seq.epoch && seq.offset <= last.offset) return
      this.#positions.set(seq.room, { epoch: seq.epoch, offset: seq.offset })
    }
    for (const waiter of this.#waiters.slice()) {
      if (waiter.match(envelope)) this.#settle(waiter, envelope)
    }
    this.#emit('message', envelope)
  }

  /** A `recovered` answer: the held messages go out in order, then the app hears how it went. */
  #answered(envelope) {
    const param = envelope.param
    const room = param.room
    const recovery = this.#recovering.get(room)
    this.#recovering.delete(room)
    clearTimeout(recovery?.timer)
    const held = (recovery?.frames ?? []).sort((a, b) => a.seq.offset - b.seq.offset)
    const detail = { ...param, status: envelope.status, info: envelope.info }
    if (param.recovered === true) {
      let gap = false
      for (const frame of held) {
        const last = this.#positions.get(room)
        if (last !== undefined && last.epoch === frame.seq.epoch && frame.seq.offset > last.offset + 1) gap = true
        this.#deliver(frame)
      }
      const last = this.#positions.get(room)
      if (typeof param.offset === 'number' && (last === undefined || last.epoch !== param.epoch || last.offset < param.offset)) gap = true
      // A hole the replay did not fill: the app must fetch its state as after recovered: false.
      if (gap) Object.assign(detail, { recovered: false, gap: true })
    } else {
      for (const frame of held) this.#deliver(frame)
      if (envelope.status === 403) {
        // Not in the room (any more): nothing to recover there next time.
        this.#positions.delete(room)
      } else if (typeof param.epoch === 'string' && typeof param.offset === 'number') {
        // Start again from the room's current position.
        const last = this.#positions.get(room)
        if (last === undefined || last.epoch !== param.epoch || last.offset < param.offset) {
          this.#positions.set(room, { epoch: param.epoch, offset: param.offset })
        }
      }
    }
    this.#emit('recovered', detail)
  }

  #next(match, timeoutMs) {
    const test = typeof match === 'function' ? match : (envelope) => envelope.event === match
    return new Promise((resolve, reject) => {
      const waiter = { match: test, resolve, reject, timer: undefined }
      waiter.timer = setTimeout(() => {
        this.#settle(waiter, undefined, new Error(`mswoole-client: nothing matched within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  #settle(waiter, envelope, error) {
    const index = this.#waiters.indexOf(waiter)
    if (index === -1) return
    this.#waiters.splice(index, 1)
    clearTimeout(waiter.timer)
    if (error === undefined) waiter.resolve(envelope)
    else waiter.reject(error)
  }

  #keepalive(socket) {
    if (this.#socket !== socket) return
    // Nothing came back since the last ping, not even its "3": the connection is gone without a close.
    if (!this.#heard) {
      this.#abandon(socket, 4000, 'keepalive unanswered')
      return
    }
    this.#heard = false
    if (socket.readyState === OPEN) socket.send(KEEPALIVE_PING)
  }

  /** Gives up on a socket without waiting for its close, and reconnects. */
  #abandon(socket, code, reason) {
    shut(socket, true, code, reason)
    this.#lost(code, reason)
  }

  /** The connection is gone: reconnect after a random wait below a cap that doubles with each failure. */
  #lost(code, reason) {
    this.#teardown(new Error('mswoole-client: the connection closed'))
    if (this.#state === 'closed') return
    this.#retry(code, reason)
  }

  #retry(code, reason) {
    const { minDelay, maxDelay, stableAfter, restartDelay } = this.#options
    // A connection that lived a while was a success: the next failure starts from the smallest wait again.
    if (this.#openedAt > 0 && Date.now() - this.#openedAt >= stableAfter) this.#attempt = 0
    this.#openedAt = 0
    // A server going away (1001) or restarting (1012, a drain) closes many clients at once: they
    // spread over restartDelay, where a network drop keeps its short first wait.
    const restarting = (code === 1001 || code === 1012) && restartDelay > 0
    const cap = restarting ? restartDelay : Math.min(maxDelay, minDelay * 2 ** this.#attempt)
    if (!restarting) this.#attempt = Math.min(this.#attempt + 1, 30)
    const wait = Math.floor(Math.random() * cap)
    this.#state = 'connecting'
    this.#retryTimer = setTimeout(() => this.#connect(), wait)
    this.#emit('close', { code: code ?? 1006, reason: reason ?? '', retryIn: wait })
  }

  #teardown(error) {
    const socket = this.#socket
    this.#socket = null
    if (socket !== null) socket.onopen = socket.onmessage = socket.onclose = null
    clearInterval(this.#keepaliveTimer)
    this.#keepaliveTimer = undefined
    // What was held is asked for again after the next connect: the positions did not move past it.
    for (const recovery of this.#recovering.values()) clearTimeout(recovery.timer)
    this.#recovering.clear()
    for (const waiter of this.#waiters.slice()) this.#settle(waiter, undefined, error)
  }

  #emit(type, detail) {
    for (const listener of [...this.#listeners.get(type)]) {
      try {
        listener(detail)
      } catch (err) {
        // One listener's mistake stops neither the client nor the other listeners.
        setTimeout(() => {
          throw err
        })
      }
    }
  }
}

/** The envelope's valid `seq`, or undefined. */
function seqOf(envelope) {
  const seq = envelope.seq
  if (seq === null || typeof seq !== 'object') return undefined
  if (typeof seq.room !== 'string' || typeof seq.epoch !== 'string' || !Number.isSafeInteger(seq.offset)) return undefined
  return seq
}

/** Closes a socket whose events no longer matter; `hard` when it is presumed dead. onerror stays: Node's ws throws an error nobody listens to. */
function shut(socket, hard, code, reason) {
  socket.onopen = socket.onmessage = socket.onclose = null
  try {
    // Node's ws can drop a dead connection at once; a browser closes it in the background.
    if (hard && typeof socket.terminate === 'function') socket.terminate()
    else socket.close(code, reason)
  } catch {
    // Already closed, or a code the socket refuses: it is being dropped either way.
  }
}

function asError(err) {
  return err instanceof Error ? err : new Error(String(err))
}
