/**
 * The soak's WebSocket client: `connections` slots, each holding one socket at a time. An open
 * socket sends `{"method":"index.index.join"}` once (a controller room and a close hook, so
 * closes run worker code too), then `{"method":"index.index.index"}` one at a time, each
 * answered by the `receiveMessage` ack and then the reply. A churn timer picks open sockets to
 * close (cleanly with 1000, or cut without a close frame, as a phone losing its network does)
 * once their request in flight is answered; the slot reconnects after a short pause. At most
 * `churnFraction` of the slots are down at once.
 *
 * Every socket is a Session (sessions.ts); every frame is counted. Nothing here waits without
 * a deadline: a request unanswered for REQUEST_TIMEOUT_MS is counted lost and its socket cut.
 */
import WebSocket from 'ws'
import { assertLoopbackUrl, openFilesLimit } from '../load-client.js'
import { newSession, type CloseKind, type Session } from './sessions.js'

const INDEX_FRAME = '{"method":"index.index.index"}'
const REQUEST_TIMEOUT_MS = 30_000
const CONNECT_TIMEOUT_MS = 10_000
/** A slot that failed to connect tries again after this long. */
const RECONNECT_AFTER_FAILURE_MS = 1000
/** Controller rooms the sockets spread over (`index.index.join`), so several rooms churn. */
const JOIN_ROOMS = 8
/** Of churned sockets, this share is cut without a close frame; the rest close with 1000. */
const ABRUPT_SHARE = 0.3
const MAX_SAMPLES = 10

export interface ChurnClientOptions {
  url(slot: number): string
  connections: number
  /** Requests per second over all connections. */
  rate: number
  churnRate: number
  churnFraction: number
  /** The broadcast event whose `param.seq` the sessions record. */
  broadcastEvent: string
}

export interface ClientCounts {
  /** Connections opened, the first ones included. */
  opened: number
  /** Churn: sockets closed on purpose and reopened (clean + abrupt). */
  churned: number
  cleanCloses: number
  abruptCloses: number
  connectFailures: number
  requests: number
  replies: number
  acks: number
  /** Replies that came with no ack before them. */
  missingAcks: number
  /** Requests never answered: timed out, or their socket closed under them. */
  unanswered: number
  /** Replies with status >= 400, by status. */
  errorReplies: number
  errorsByStatus: Record<string, number>
  /** Sockets the server closed, or that failed, without the client asking. */
  unexpectedCloses: number
  broadcastFrames: number
  /** Frames that are none of the above (counted and sampled, never expected). */
  otherFrames: number
  samples: string[]
}

interface Slot {
  index: number
  ws: WebSocket | null
  session: Session | null
  state: 'connecting' | 'open' | 'closing' | 'down'
  /** The request in flight: when it was sent, whether its ack came, its timeout. */
  inFlight: { sentAt: number; acked: boolean; timer: NodeJS.Timeout } | null
  /** The next request's timer, while the slot waits its turn. */
  next: NodeJS.Timeout | null
  /** Picked for churn: close once the request in flight is answered. */
  churnAs: 'clean' | 'abrupt' | null
  /** Set when the client itself closes the socket, so the close is not unexpected. */
  closingAs: CloseKind | null
}

export class ChurnClient {
  readonly #o: ChurnClientOptions
  readonly #slots: Slot[]
  readonly sessions: Session[] = []
  readonly counts: ClientCounts = {
    opened: 0,
    churned: 0,
    cleanCloses: 0,
    abruptCloses: 0,
    connectFailures: 0,
    requests: 0,
    replies: 0,
    acks: 0,
    missingAcks: 0,
    unanswered: 0,
    errorReplies: 0,
    errorsByStatus: {},
    unexpectedCloses: 0,
    broadcastFrames: 0,
    otherFrames: 0,
    samples: [],
  }
  #sending = false
  #reconnecting = false
  #churnTimer: NodeJS.Timeout | null = null
  #churnBudget = 0
  readonly #timers = new Set<NodeJS.Timeout>()

  constructor(o: ChurnClientOptions) {
    assertLoopbackUrl(o.url(0))
    const limit = openFilesLimit()
    if (limit !== undefined && o.connections > limit - 64)
      throw new Error(`soak: ${o.connections} connections need more open files than this process may hold (${limit}); raise ulimit -n`)
    this.#o = o
    this.#slots = Array.from({ length: o.connections }, (_, index) => ({
      index,
      ws: null,
      session: null,
      state: 'down',
      inFlight: null,
      next: null,
      churnAs: null,
      closingAs: null,
    }))
  }

  #sample(text: string): void {
    if (this.counts.samples.length < MAX_SAMPLES) this.counts.samples.push(text)
  }

  #later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t)
      fn()
    }, ms)
    this.#timers.add(t)
    return t
  }

  /** Opens every slot, `batch` upgrades at a time; resolves when each has opened or failed once. */
  async openAll(batch = 50): Promise<void> {
    this.#sending = true
    this.#reconnecting = true
    for (let i = 0; i < this.#slots.length; i += batch) {
      await Promise.all(this.#slots.slice(i, i + batch).map((slot) => this.#connect(slot)))
    }
  }

  /** Opens a slot's socket; resolves at its open or its failure, never rejects. */
  #connect(slot: Slot): Promise<void> {
    slot.state = 'connecting'
    slot.churnAs = null
    slot.closingAs = null
    const ws = new WebSocket(this.#o.url(slot.index), { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS })
    slot.ws = ws
    return new Promise<void>((resolve) => {
      let opened = false
      ws.once('open', () => {
        opened = true
        this.counts.opened++
        const session = newSession(this.sessions.length, slot.index, performance.now())
        this.sessions.push(session)
        slot.session = session
        slot.state = 'open'
        // The first request joins a controller room, so this socket's close runs a worker hook.
        if (this.#sending) this.#send(slot, JSON.stringify({ method: 'index.index.join', room: `soak${slot.index % JOIN_ROOMS}` }))
        resolve()
      })
      ws.on('message', (data, isBinary) => this.#frame(slot, isBinary ? null : data.toString()))
      ws.on('error', (err) => {
        // A slot the client itself cut while it was connecting (at the end) is no failure.
        if (!opened && slot.closingAs === null) {
          this.counts.connectFailures++
          this.#sample(`connect slot ${slot.index}: ${err.message}`)
        }
      })
      ws.once('close', (code, reason) => {
        this.#closed(slot, ws, opened, code, reason.toString())
        if (!opened) resolve()
      })
    })
  }

  #closed(slot: Slot, ws: WebSocket, opened: boolean, code: number, reason: string): void {
    if (slot.ws !== ws) return
    const kind: CloseKind = slot.closingAs ?? 'unexpected'
    if (slot.inFlight !== null) {
      clearTimeout(slot.inFlight.timer)
      this.#timers.delete(slot.inFlight.timer)
      // A request whose socket went away under it never got its reply.
      this.counts.unanswered++
      this.#sample(`slot ${slot.index}: request unanswered at close (${code} ${reason})`)
      slot.inFlight = null
    }
    if (slot.next !== null) {
      clearTimeout(slot.next)
      this.#timers.delete(slot.next)
      slot.next = null
    }
    if (opened && kind === 'unexpected') {
      this.counts.unexpectedCloses++
      this.#sample(`slot ${slot.index}: closed by the server or the network (${code} ${reason})`)
    }
    if (slot.session !== null) {
      slot.session.closedAt = performance.now()
      slot.session.closeKind = kind
    }
    slot.session = null
    slot.ws = null
    slot.state = 'down'
    if (this.#reconnecting) {
      const pause = !opened ? RECONNECT_AFTER_FAILURE_MS : 50 + Math.random() * 450
      this.#later(pause, () => {
        if (this.#reconnecting && slot.state === 'down') void this.#connect(slot)
      })
    }
  }

  #send(slot: Slot, frame: string): void {
    const ws = slot.ws
    if (ws === null || slot.state !== 'open' || ws.readyState !== WebSocket.OPEN) return
    const sentAt = performance.now()
    const timer = this.#later(REQUEST_TIMEOUT_MS, () => {
      if (slot.inFlight?.sentAt !== sentAt || slot.ws !== ws) return
      // Counted once here; the cut below must not count it again.
      slot.inFlight = null
      this.counts.unanswered++
      this.#sample(`slot ${slot.index}: no reply within ${REQUEST_TIMEOUT_MS} ms`)
      slot.closingAs = 'timeout'
      ws.terminate()
    })
    slot.inFlight = { sentAt, acked: false, timer }
    this.counts.requests++
    ws.send(frame)
  }

  /** The slot's next request, after its share of the rate (jittered so the sockets do not march in step). */
  #scheduleNext(slot: Slot): void {
    if (slot.churnAs !== null) {
      this.#churnClose(slot)
      return
    }
    if (!this.#sending) return
    const meanMs = (this.#o.connections / Math.max(this.#o.rate, 0.001)) * 1000
    slot.next = this.#later(meanMs * (0.5 + Math.random()), () => {
      slot.next = null
      if (slot.churnAs !== null) {
        this.#churnClose(slot)
        return
      }
      if (this.#sending) this.#send(slot, INDEX_FRAME)
    })
  }

  #frame(slot: Slot, text: string | null): void {
    const session = slot.session
    let env: { status?: unknown; event?: unknown; param?: unknown }
    try {
      if (text === null) throw new Error('binary frame')
      env = JSON.parse(text) as typeof env
    } catch {
      this.counts.otherFrames++
      this.#sample(`slot ${slot.index}: not a JSON envelope: ${String(text).slice(0, 80)}`)
      return
    }
    const status = typeof env.status === 'number' ? env.status : 0
    if (env.event === this.#o.broadcastEvent) {
      const seq = (env.param as { seq?: unknown } | undefined)?.seq
      this.counts.broadcastFrames++
      if (session !== null && typeof seq === 'number') {
        if (session.received.has(seq)) session.duplicates++
        else session.received.add(seq)
      }
      return
    }
    const inFlight = slot.inFlight
    if (status === 200 && env.event === 'receiveMessage') {
      if (inFlight === null || inFlight.acked) {
        this.counts.otherFrames++
        this.#sample(`slot ${slot.index}: an ack with no request waiting for one`)
      } else {
        inFlight.acked = true
        this.counts.acks++
      }
      return
    }
    if (inFlight === null) {
      this.counts.otherFrames++
      this.#sample(`slot ${slot.index}: unexpected frame ${text?.slice(0, 120) ?? ''}`)
      return
    }
    // Anything else completes the request in flight: the reply, or an error envelope.
    clearTimeout(inFlight.timer)
    this.#timers.delete(inFlight.timer)
    slot.inFlight = null
    if (status >= 400) {
      this.counts.errorReplies++
      this.counts.errorsByStatus[String(status)] = (this.counts.errorsByStatus[String(status)] ?? 0) + 1
      this.#sample(`slot ${slot.index}: error reply ${text?.slice(0, 120) ?? ''}`)
    } else {
      this.counts.replies++
      if (!inFlight.acked) this.counts.missingAcks++
      if (session !== null) {
        const now = performance.now()
        session.firstReplyAt ??= now
        session.lastProofSentAt = inFlight.sentAt
      }
    }
    this.#scheduleNext(slot)
  }

  #churnClose(slot: Slot): void {
    const ws = slot.ws
    if (ws === null || slot.inFlight !== null) return
    slot.state = 'closing'
    if (slot.churnAs === 'abrupt') {
      slot.closingAs = 'abrupt'
      this.counts.abruptCloses++
      ws.terminate()
    } else {
      slot.closingAs = 'clean'
      this.counts.cleanCloses++
      ws.close(1000, 'soak churn')
    }
    this.counts.churned++
  }

  /** Starts picking sockets to close: about `churnRate` per second, never more than `churnFraction` of the slots down. */
  startChurn(): void {
    const tickMs = 100
    const maxDown = Math.floor(this.#o.connections * this.#o.churnFraction)
    this.#churnTimer = setInterval(() => {
      // The budget cannot pile up while the cap holds churn back, so no burst follows.
      this.#churnBudget = Math.min(this.#churnBudget + (this.#o.churnRate * tickMs) / 1000, Math.max(1, this.#o.churnRate))
      let down = this.#slots.filter((s) => s.state !== 'open' || s.churnAs !== null).length
      while (this.#churnBudget >= 1 && down < maxDown) {
        const open = this.#slots.filter((s) => s.state === 'open' && s.churnAs === null)
        const slot = open[Math.floor(Math.random() * open.length)]
        if (slot === undefined) break
        slot.churnAs = Math.random() < ABRUPT_SHARE ? 'abrupt' : 'clean'
        this.#churnBudget--
        down++
        // Idle between requests: close now; otherwise when the reply comes.
        if (slot.inFlight === null) {
          if (slot.next !== null) {
            clearTimeout(slot.next)
            this.#timers.delete(slot.next)
            slot.next = null
          }
          this.#churnClose(slot)
        }
      }
    }, tickMs)
  }

  /** Stops churn and new requests; resolves once no request is in flight, or after `waitMs`. */
  async quiesce(waitMs: number): Promise<number> {
    if (this.#churnTimer !== null) clearInterval(this.#churnTimer)
    this.#churnTimer = null
    this.#sending = false
    this.#reconnecting = false
    for (const slot of this.#slots) {
      if (slot.next !== null) {
        clearTimeout(slot.next)
        this.#timers.delete(slot.next)
        slot.next = null
      }
    }
    const deadline = performance.now() + waitMs
    while (this.#slots.some((s) => s.inFlight !== null || s.state === 'connecting') && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    return this.#slots.filter((s) => s.inFlight !== null).length
  }

  /** Sockets open now. */
  openCount(): number {
    return this.#slots.filter((s) => s.state === 'open').length
  }

  /** Closes every socket with 1000 and waits for the closes (cutting what is left after `waitMs`). */
  async closeAll(waitMs: number): Promise<void> {
    this.#reconnecting = false
    this.#sending = false
    const closes: Array<Promise<void>> = []
    for (const slot of this.#slots) {
      const ws = slot.ws
      if (ws === null) continue
      closes.push(new Promise((resolve) => ws.once('close', () => resolve())))
      slot.closingAs ??= 'final'
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
      else ws.close(1000, 'soak done')
    }
    const timeout = new Promise<void>((resolve) => this.#later(waitMs, resolve))
    await Promise.race([Promise.all(closes), timeout])
    for (const slot of this.#slots) slot.ws?.terminate()
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }
}
