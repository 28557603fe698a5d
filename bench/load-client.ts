/**
 * A small closed-loop WebSocket load client: each connection sends one request,
 * waits for its reply, then sends the next. Every request/reply scenario drives its
 * targets through this one client, so figures are comparable across targets (the
 * fan-out scenario, whose clients only listen, has bench/fan-out-client.ts).
 *
 * It speaks plain WebSocket frames, or (`protocol: 'socketio'`) the few packets of
 * Engine.IO 4 / Socket.IO 5 a client needs over the same WebSocket: the connect, the
 * ping's answer, and each message as the event `42["message",<frame>]`. Written here
 * rather than taken from socket.io-client, so each subject costs the client the same.
 *
 * As a module:   const result = await runLoad({ url, connections: 200, duration: 10 })
 * From a shell:  node --import tsx bench/load-client.ts --url ws://127.0.0.1:20000/?auth=… -c 200 -d 10
 *
 * It is bounded on purpose: loopback targets only, at most MAX_CONNECTIONS
 * connections and MAX_DURATION seconds, and a hard deadline that ends the run
 * whatever the server does.
 */
import { readFileSync } from 'node:fs'
import { isIPv4 } from 'node:net'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { Histogram, type LatencySummary } from './lib/histogram.js'
import { isLoopbackHost } from '../src/config/loopback.js'
import { isMain } from './lib/is-main.js'

export type { LatencySummary } from './lib/histogram.js'

export const MAX_CONNECTIONS = 20_000
export const MAX_DURATION = 600 // seconds
export const MAX_WARMUP = 120 // seconds
/** Past this many connections per source address, spread over 127.0.0.x (ephemeral ports run out near 28k). */
const CONNECTIONS_PER_SOURCE = 10_000
const DEFAULT_FRAME = '{"method":"index.index.index"}'
/** `{"status":2` then two digits, a comma at 13 and `"event":` at 14: the canonical 2xx envelope. */
const ENVELOPE_HEAD = Buffer.from('{"status":2')
const EVENT_KEY = Buffer.from('"event":')

/** Plain WebSocket frames, or Engine.IO 4 / Socket.IO 5 packets over the WebSocket. */
export type WireProtocol = 'ws' | 'socketio'
export const WIRE_PROTOCOLS: readonly WireProtocol[] = ['ws', 'socketio']

/**
 * The Socket.IO packets the bench clients handle. The server opens with Engine.IO's `0{…}`,
 * answered with SOCKETIO_CONNECT (connect to the namespace `/`); the server's `40{"sid":…}`
 * completes the connect, `44{…}` refuses it. A ping `2` is answered `3`. Messages both ways
 * are the event `message` with the envelope as its one argument: `42["message",{…}]`.
 */
export const SOCKETIO_CONNECT = '40'
export const SOCKETIO_PING = 0x32
export const SOCKETIO_PONG = '3'
const SOCKETIO_EVENT_HEAD = Buffer.from('42["message",')

export function socketIoEvent(payload: string): string {
  return `42["message",${payload}]`
}

/** Where the payload of a `42["message",<payload>]` packet in buf[start, end) begins (it ends at end − 1); -1 for another packet. */
export function socketIoPayloadStart(buf: Buffer, start: number, end: number): number {
  const head = SOCKETIO_EVENT_HEAD.length
  if (end - start <= head || buf[end - 1] !== 0x5d || buf.compare(SOCKETIO_EVENT_HEAD, 0, head, start, start + head) !== 0) return -1
  return start + head
}

export interface LoadOptions {
  /** One URL for every connection, or a factory so each connection can carry its own `?auth=` token. */
  url: string | ((index: number) => string)
  connections: number
  /** Measured seconds. */
  duration: number
  /** Seconds of load before measuring starts (JIT, pools, caches). Default 2. */
  warmup?: number
  /** The request frame, sent as-is when a string. Default {"method":"index.index.index"}. */
  frame?: string | Record<string, unknown>
  /** The `event` of the reply that completes a request; other 2xx frames (the ack) are skipped. Default "success". */
  replyEvent?: string
  /** 'socketio': the frame goes as the Socket.IO event `message` (the URL must be a Socket.IO server's `/socket.io/?EIO=4&transport=websocket`). Default 'ws'. */
  protocol?: WireProtocol
  /** Upgrades in flight at once while connecting; keeps the server's accept backlog from overflowing. Default 100. */
  connectConcurrency?: number
  /** Milliseconds for one upgrade. Default 10 000. */
  connectTimeout?: number
  /** A request unanswered this long (ms) is counted as a timeout. Default 10 000. */
  requestTimeout?: number
  /** Source addresses 127.0.0.1…127.0.0.N to spread connections over (IPv4 loopback targets only). Default: one per 10 000 connections. */
  sourceAddresses?: number
  /** Ends the run early (counts as a normal stop). */
  signal?: AbortSignal
  /** Called about every `progressInterval` ms with live counters. */
  onProgress?: (snapshot: LoadSnapshot) => void
  progressInterval?: number
  /** Called as each phase begins ('measuring' opens the window, 'draining' or 'closing' ends it), for meters that must match the window. */
  onPhase?: (phase: LoadPhase, snapshot: LoadSnapshot) => void
  /**
   * Milliseconds to wait after the measured window, sending nothing new, for the replies
   * still in flight, before closing. Then `drained.unanswered` counts the requests the
   * server never answered (a lost message), not just the ones the close cut off. Default 0: close at once.
   */
  drain?: number
}

/** 'draining' (only with the `drain` option) comes between 'measuring' and 'closing'. */
export type LoadPhase = 'idle' | 'connecting' | 'warmup' | 'measuring' | 'draining' | 'closing' | 'done'

export interface LoadErrors {
  total: number
  /** Upgrades refused (HTTP status), timed out or failed at the socket. */
  connect: number
  /** Replies with status >= 400 (they complete the request but are not latency samples). */
  status: number
  /** Requests left unanswered past `requestTimeout`. */
  timeout: number
  /** 'error' events on open sockets, and frames that are not JSON envelopes. */
  socket: number
  /** Count per status code of the error replies, e.g. {"429": 3}. */
  byStatus: Record<string, number>
  /** The first few error messages, to tell what went wrong. */
  samples: string[]
}

/** Live counters a caller can read while the load runs (a reload scenario watches these). */
export interface LoadSnapshot {
  phase: LoadPhase
  /** Seconds since the load (not the connecting) began. */
  elapsed: number
  open: number
  /** Since the load began, warmup included. */
  totalRequests: number
  totalReplies: number
  /** Inside the measured window only. */
  requests: number
  replies: number
  errors: number
  unexpectedCloses: number
}

export interface LoadResult {
  connections: { asked: number; opened: number; failed: number; sourceAddresses: number; connectSeconds: number }
  warmup: number
  /** Measured seconds, as they actually elapsed. */
  duration: number
  frame: string
  replyEvent: string
  requests: number
  replies: number
  requestsPerSecond: number
  /** Milliseconds, from the send to the reply event. */
  latency: LatencySummary
  errors: LoadErrors
  /** Sockets the server closed (or that dropped) before the client stopped. */
  unexpectedCloses: number
  /** True when the hard deadline, not the schedule, ended the run. */
  deadlineHit: boolean
  /** The whole load, warmup and drain included: requests sent, success replies and error replies (status >= 400) received. */
  totals: { requests: number; replies: number; errorReplies: number }
  /**
   * With the `drain` option: how long the drain took, and the requests still unanswered at its
   * end (sent and never answered, success or error): 0 when nothing was lost. Null without it.
   */
  drained: { seconds: number; unanswered: number } | null
}

// ---- bounds ---------------------------------------------------------------

export function assertLoopbackUrl(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`load-client: not a URL: ${raw}`)
  }
  if (url.protocol !== 'ws:') throw new Error(`load-client: only ws:// URLs are supported, got ${url.protocol}`)
  if (!isLoopbackHost(url.hostname))
    throw new Error(`load-client: refusing non-loopback target ${url.hostname}; benchmarks run on 127.0.0.0/8, ::1 or localhost only`)
  return url
}

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Error(`load-client: ${name} must be between ${min} and ${max}, got ${value}`)
}

/** The soft open-files limit of this process, when Linux tells us; each connection costs one. */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft)
  } catch {
    return undefined
  }
}

// ---- the client -----------------------------------------------------------

interface Conn {
  ws: WebSocket
  /** performance.now() of the request in flight, or -1. */
  sentAt: number
  timedOut: boolean
}

export class LoadClient {
  readonly #urlFor: (index: number) => string
  readonly #opts: Required<Omit<LoadOptions, 'url' | 'signal' | 'onProgress' | 'onPhase' | 'frame'>> & { frame: string }
  readonly #signal: AbortSignal | undefined
  readonly #onProgress: ((snapshot: LoadSnapshot) => void) | undefined
  readonly #onPhase: ((phase: LoadPhase, snapshot: LoadSnapshot) => void) | undefined
  readonly #hist = new Histogram()
  readonly #replyNeedle: Buffer
  /** What goes on the wire per request: the frame, or its Socket.IO event. */
  readonly #wireFrame: string
  readonly #conns: Conn[] = []
  /** Upgrades still in progress, so a stop can cut them too. */
  readonly #pending = new Set<WebSocket>()
  #phase: LoadPhase = 'idle'
  #loadStart = 0
  #windowStart = 0
  #windowEnd = 0
  #totalRequests = 0
  #totalReplies = 0
  #requests = 0
  #replies = 0
  #unexpectedCloses = 0
  #connectFailed = 0
  #connectSeconds = 0
  #deadlineHit = false
  #errorReplies = 0
  #drained: LoadResult['drained'] = null
  readonly #errors: LoadErrors = { total: 0, connect: 0, status: 0, timeout: 0, socket: 0, byStatus: {}, samples: [] }

  constructor(options: LoadOptions) {
    const warmup = options.warmup ?? 2
    checkNumber('connections', options.connections, 1, MAX_CONNECTIONS)
    checkNumber('duration', options.duration, 0.1, MAX_DURATION)
    checkNumber('warmup', warmup, 0, MAX_WARMUP)
    checkNumber('drain', options.drain ?? 0, 0, 60_000)
    const connections = Math.floor(options.connections)
    const limit = openFilesLimit()
    if (limit !== undefined && connections > limit - 64) {
      throw new Error(`load-client: ${connections} connections need more open files than this process may hold (${limit}); raise ulimit -n`)
    }
    const { url } = options
    // Check the fixed URL now, and every factory URL as it is used.
    if (typeof url === 'string') assertLoopbackUrl(url)
    this.#urlFor = typeof url === 'string' ? () => url : (i) => url(i)
    const firstHost = assertLoopbackUrl(this.#urlFor(0)).hostname
    const sources = options.sourceAddresses ?? Math.ceil(connections / CONNECTIONS_PER_SOURCE)
    checkNumber('sourceAddresses', sources, 1, 254)
    this.#opts = {
      connections,
      duration: options.duration,
      warmup,
      frame: typeof options.frame === 'string' ? options.frame : JSON.stringify(options.frame ?? JSON.parse(DEFAULT_FRAME)),
      replyEvent: options.replyEvent ?? 'success',
      connectConcurrency: Math.max(1, Math.min(options.connectConcurrency ?? 100, 1000)),
      connectTimeout: options.connectTimeout ?? 10_000,
      requestTimeout: options.requestTimeout ?? 10_000,
      // Source spreading only makes sense toward an IPv4 loopback address.
      sourceAddresses: isIPv4(firstHost) ? Math.floor(sources) : 1,
      progressInterval: Math.max(100, options.progressInterval ?? 1000),
      drain: options.drain ?? 0,
      protocol: options.protocol ?? 'ws',
    }
    if (!WIRE_PROTOCOLS.includes(this.#opts.protocol))
      throw new Error(`load-client: protocol must be one of ${WIRE_PROTOCOLS.join(', ')}, got ${String(this.#opts.protocol)}`)
    this.#wireFrame = this.#opts.protocol === 'socketio' ? socketIoEvent(this.#opts.frame) : this.#opts.frame
    this.#replyNeedle = Buffer.from(`"event":${JSON.stringify(this.#opts.replyEvent)}`)
    this.#signal = options.signal
    this.#onProgress = options.onProgress
    this.#onPhase = options.onPhase
  }

  snapshot(): LoadSnapshot {
    return {
      phase: this.#phase,
      elapsed: this.#loadStart === 0 ? 0 : (performance.now() - this.#loadStart) / 1000,
      open: this.#conns.filter((c) => c.ws.readyState === WebSocket.OPEN).length,
      totalRequests: this.#totalRequests,
      totalReplies: this.#totalReplies,
      requests: this.#requests,
      replies: this.#replies,
      errors: this.#errors.total,
      unexpectedCloses: this.#unexpectedCloses,
    }
  }

  async run(): Promise<LoadResult> {
    if (this.#phase !== 'idle') throw new Error('load-client: a LoadClient runs once')
    const o = this.#opts
    // The hard deadline: connecting may take its share, then the schedule, then a grace.
    const connectBudget = Math.max(o.connectTimeout, Math.ceil(o.connections / o.connectConcurrency) * 1000) + 5_000
    const deadlineMs = connectBudget + (o.warmup + o.duration) * 1000 + o.drain + 15_000
    let finish!: () => void
    const finished = new Promise<void>((resolve) => (finish = resolve))
    const deadline = setTimeout(() => {
      this.#deadlineHit = true
      this.#terminateAll()
      finish()
    }, deadlineMs)
    const onAbort = () => finish()
    this.#signal?.addEventListener('abort', onAbort, { once: true })
    const timers: NodeJS.Timeout[] = []
    try {
      this.#setPhase('connecting')
      const connectStart = performance.now()
      await Promise.race([this.#connectAll(), finished])
      this.#connectSeconds = (performance.now() - connectStart) / 1000
      if (!this.#deadlineHit && !this.#signal?.aborted && this.#conns.length > 0) {
        this.#loadStart = performance.now()
        if (o.warmup === 0) this.#windowStart = this.#loadStart
        this.#setPhase(o.warmup > 0 ? 'warmup' : 'measuring')
        for (const conn of this.#conns) this.#send(conn)
        if (o.warmup > 0) timers.push(setTimeout(() => this.#startWindow(), o.warmup * 1000))
        timers.push(setTimeout(finish, (o.warmup + o.duration) * 1000))
        timers.push(setInterval(() => this.#checkTimeouts(), 500))
        if (this.#onProgress !== undefined) {
          const report = this.#onProgress
          timers.push(
            setInterval(() => {
              try {
                report(this.snapshot())
              } catch {
                // A reader's bug must not end the run without closing its sockets.
              }
            }, o.progressInterval),
          )
        }
        await finished
      }
    } finally {
      for (const t of timers) clearTimeout(t)
      this.#windowEnd = performance.now()
      if (this.#windowStart === 0) this.#windowStart = this.#windowEnd
      this.#signal?.removeEventListener('abort', onAbort)
      if (o.drain > 0 && !this.#deadlineHit && this.#conns.length > 0) await this.#drain(o.drain)
      this.#setPhase('closing')
      await this.#closeAll()
      clearTimeout(deadline)
      this.#setPhase('done')
    }
    return this.#result()
  }

  #setPhase(phase: LoadPhase): void {
    this.#phase = phase
    try {
      this.#onPhase?.(phase, this.snapshot())
    } catch (err) {
      // A caller's meter must not keep the run from closing its sockets.
      if (this.#errors.samples.length < 10) this.#errors.samples.push(`onPhase: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  /** Sends nothing new and waits (at most `ms`) until every request sent has been answered. */
  async #drain(ms: number): Promise<void> {
    this.#setPhase('draining')
    const started = performance.now()
    const outstanding = () => this.#conns.filter((c) => c.sentAt >= 0).length
    // Bounded poll: a socket that closes with a request in flight stays outstanding, as it should.
    while (outstanding() > 0 && performance.now() - started < ms && !this.#deadlineHit) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    this.#drained = { seconds: round((performance.now() - started) / 1000, 3), unanswered: outstanding() }
  }

  #startWindow(): void {
    // Warmup figures are dropped: the window starts from zero.
    this.#hist.reset()
    this.#requests = 0
    this.#replies = 0
    this.#windowStart = performance.now()
    this.#setPhase('measuring')
  }

  #result(): LoadResult {
    const o = this.#opts
    const duration = Math.max((this.#windowEnd - this.#windowStart) / 1000, 1e-9)
    const measured = this.#windowEnd > this.#windowStart
    return {
      connections: {
        asked: o.connections,
        opened: this.#conns.length,
        failed: this.#connectFailed,
        sourceAddresses: o.sourceAddresses,
        connectSeconds: round(this.#connectSeconds, 3),
      },
      warmup: o.warmup,
      duration: round(measured ? duration : 0, 3),
      frame: o.frame,
      replyEvent: o.replyEvent,
      requests: this.#requests,
      replies: this.#replies,
      requestsPerSecond: measured ? Math.round(this.#replies / duration) : 0,
      latency: this.#hist.summary(),
      errors: structuredClone(this.#errors),
      unexpectedCloses: this.#unexpectedCloses,
      deadlineHit: this.#deadlineHit,
      totals: { requests: this.#totalRequests, replies: this.#totalReplies, errorReplies: this.#errorReplies },
      drained: this.#drained,
    }
  }

  #error(kind: 'connect' | 'status' | 'timeout' | 'socket', message: string): void {
    this.#errors[kind] += 1
    this.#errors.total += 1
    if (this.#errors.samples.length < 10) this.#errors.samples.push(`${kind}: ${message}`)
  }

  #inFlight(): boolean {
    return this.#phase === 'warmup' || this.#phase === 'measuring'
  }

  /** Phases in which the server owes us replies: a socket error or a close then is the server's. */
  #expecting(): boolean {
    return this.#inFlight() || this.#phase === 'draining'
  }

  #send(conn: Conn): void {
    if (!this.#inFlight() || conn.ws.readyState !== WebSocket.OPEN) return
    conn.sentAt = performance.now()
    conn.timedOut = false
    this.#totalRequests += 1
    if (this.#phase === 'measuring') this.#requests += 1
    conn.ws.send(this.#wireFrame)
  }

  #onFrame(conn: Conn, data: WebSocket.RawData): void {
    let buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)
    if (this.#opts.protocol === 'socketio') {
      if (buf.length === 1 && buf[0] === SOCKETIO_PING) {
        conn.ws.send(SOCKETIO_PONG)
        return
      }
      const payload = socketIoPayloadStart(buf, 0, buf.length)
      if (payload < 0) return // another Socket.IO packet: nothing a request waits for
      buf = buf.subarray(payload, buf.length - 1)
    }
    if (conn.sentAt < 0) return // a push nobody asked for
    let status: number
    let isReply: boolean
    const fast = this.#classify(buf)
    if (fast !== undefined) {
      status = 200
      isReply = fast
    } else {
      let envelope: { status?: unknown; event?: unknown }
      try {
        envelope = JSON.parse(buf.toString()) as { status?: unknown; event?: unknown }
      } catch {
        this.#error('socket', `frame is not JSON: ${buf.toString().slice(0, 80)}`)
        return
      }
      status = typeof envelope.status === 'number' ? envelope.status : 0
      isReply = envelope.event === this.#opts.replyEvent
      if (status >= 400) {
        // An error reply ends the request (the server will send nothing more for it).
        this.#error('status', `${status} ${String(envelope.event)}`)
        this.#errorReplies += 1
        this.#errors.byStatus[String(status)] = (this.#errors.byStatus[String(status)] ?? 0) + 1
      }
    }
    if (status < 400 && !isReply) return // the ack, or another frame on the way to the reply
    if (isReply && status < 400) {
      this.#totalReplies += 1
      if (this.#phase === 'measuring') {
        this.#replies += 1
        // Sent during warmup, answered inside the window: throughput, but not a latency sample.
        if (conn.sentAt >= this.#windowStart) this.#hist.record((performance.now() - conn.sentAt) * 1000)
      }
    }
    conn.sentAt = -1
    this.#send(conn)
  }

  /**
   * The client shares the machine with the server it loads, so it avoids JSON.parse
   * for the canonical 2xx envelope ({"status":2xx,"event":"…",…}, as mswoole and the
   * floor write it): true = the reply, false = another 2xx frame, undefined = parse it.
   */
  #classify(buf: Buffer): boolean | undefined {
    const reply = this.#replyNeedle
    if (buf.length < 24 || buf.compare(ENVELOPE_HEAD, 0, ENVELOPE_HEAD.length, 0, ENVELOPE_HEAD.length) !== 0) return undefined
    if (buf[13] !== 0x2c || buf.compare(EVENT_KEY, 0, EVENT_KEY.length, 14, 14 + EVENT_KEY.length) !== 0) return undefined
    const end = 14 + reply.length
    if (buf.length > end && buf.compare(reply, 0, reply.length, 14, end) === 0 && (buf[end] === 0x2c || buf[end] === 0x7d)) return true
    return false
  }

  #checkTimeouts(): void {
    const limit = performance.now() - this.#opts.requestTimeout
    for (const conn of this.#conns) {
      if (conn.sentAt >= 0 && conn.sentAt < limit && !conn.timedOut) {
        conn.timedOut = true // once per stuck request; it may still be answered
        this.#error('timeout', `no reply within ${this.#opts.requestTimeout} ms`)
      }
    }
  }

  async #connectAll(): Promise<void> {
    const o = this.#opts
    let next = 0
    const worker = async () => {
      while (next < o.connections && !this.#deadlineHit && !this.#signal?.aborted) {
        const index = next++
        await this.#connect(index)
      }
    }
    await Promise.all(Array.from({ length: Math.min(o.connectConcurrency, o.connections) }, worker))
  }

  #connect(index: number): Promise<void> {
    const o = this.#opts
    let url: string
    try {
      url = assertLoopbackUrl(this.#urlFor(index)).href
    } catch (err) {
      // A factory that hands out a non-loopback URL stops the run, not just one connection.
      this.#deadlineHit = true
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    // No compression (neither server offers it) and no UTF-8 check: the client's CPU is the server's loss.
    const options: WebSocket.ClientOptions = { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: o.connectTimeout }
    if (o.sourceAddresses > 1) options.localAddress = `127.0.0.${(index % o.sourceAddresses) + 1}`
    return new Promise<void>((resolve) => {
      const ws = new WebSocket(url, options)
      this.#pending.add(ws)
      let settled = false
      const fail = (message: string) => {
        if (settled) return
        settled = true
        this.#pending.delete(ws)
        this.#connectFailed += 1
        this.#error('connect', message)
        ws.terminate()
        resolve()
      }
      ws.once('unexpected-response', (_req, res) => {
        res.resume()
        fail(`upgrade refused: HTTP ${res.statusCode ?? '?'}`)
      })
      ws.once('close', () => fail('closed before the connection was ready'))
      const ready = () => {
        if (settled) return
        settled = true
        this.#pending.delete(ws)
        if (this.#phase !== 'connecting') {
          // The run ended while this upgrade was in flight.
          ws.terminate()
          resolve()
          return
        }
        const conn: Conn = { ws, sentAt: -1, timedOut: false }
        this.#conns.push(conn)
        ws.on('message', (data) => this.#onFrame(conn, data))
        ws.on('close', (code) => {
          if (this.#phase !== 'closing' && this.#phase !== 'done') {
            this.#unexpectedCloses += 1
            if (this.#errors.samples.length < 10) this.#errors.samples.push(`close: code ${code}`)
          }
        })
        resolve()
      }
      ws.once('open', () => (o.protocol === 'socketio' ? this.#socketIoConnect(ws, ready, fail) : ready()))
      ws.on('error', (err) => {
        if (!settled) fail(err.message)
        // Errors of a socket we gave up on (terminate while connecting) are not the server's.
        else if (ws.readyState !== WebSocket.CONNECTING && this.#conns.some((c) => c.ws === ws) && this.#expecting())
          this.#error('socket', err.message)
      })
    })
  }

  /** After the upgrade: answers Engine.IO's open packet with a connect, and calls `ready` on Socket.IO's answer. */
  #socketIoConnect(ws: WebSocket, ready: () => void, fail: (message: string) => void): void {
    const timeout = this.#opts.connectTimeout
    const done = () => {
      clearTimeout(timer)
      ws.off('message', onPacket)
    }
    const timer = setTimeout(() => {
      done()
      fail(`no Socket.IO connect within ${timeout} ms of the upgrade`)
    }, timeout)
    const onPacket = (data: WebSocket.RawData) => {
      const text = String(data)
      if (text.startsWith('0{')) {
        ws.send(SOCKETIO_CONNECT)
      } else if (text.startsWith('44')) {
        done()
        fail(`Socket.IO refused the connect: ${text.slice(2, 120)}`)
      } else if (text.startsWith(SOCKETIO_CONNECT)) {
        done()
        ready()
      }
    }
    ws.on('message', onPacket)
    ws.once('close', done)
  }

  #terminateAll(): void {
    for (const ws of this.#pending) ws.terminate()
    for (const conn of this.#conns) conn.ws.terminate()
  }

  /** Closes politely, cuts what has not finished the handshake in 3 s, and gives up waiting at 5 s. */
  async #closeAll(): Promise<void> {
    for (const ws of this.#pending) ws.terminate()
    const open = this.#conns.filter((c) => c.ws.readyState !== WebSocket.CLOSED)
    if (open.length === 0) return
    await new Promise<void>((resolve) => {
      let left = open.length
      const cut = setTimeout(() => this.#terminateAll(), 3000)
      const giveUp = setTimeout(settle, 5000)
      function settle(): void {
        clearTimeout(cut)
        clearTimeout(giveUp)
        resolve()
      }
      for (const conn of open) {
        conn.ws.once('close', () => {
          if (--left === 0) settle()
        })
        conn.ws.close(1000, 'load done')
      }
    })
  }
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new LoadClient(options).run()
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export function formatResult(r: LoadResult): string {
  const e = r.errors
  return [
    `connections  ${r.connections.opened}/${r.connections.asked} opened in ${r.connections.connectSeconds}s (${r.connections.failed} failed)`,
    `measured     ${r.duration}s after ${r.warmup}s warmup`,
    `requests     ${r.requests}   replies ${r.replies}   ${r.requestsPerSecond} req/s`,
    `latency ms   p50 ${r.latency.p50}   p90 ${r.latency.p90}   p99 ${r.latency.p99}   max ${r.latency.max}`,
    `errors       ${e.total} (connect ${e.connect}, status ${e.status}, timeout ${e.timeout}, socket ${e.socket})   unexpected closes ${r.unexpectedCloses}`,
    ...(r.drained === null
      ? []
      : [
          `drained      ${r.drained.seconds}s, ${r.drained.unanswered} requests never answered (${r.totals.requests} sent, ${r.totals.replies} replies, ${r.totals.errorReplies} error replies)`,
        ]),
    ...e.samples.slice(0, 5).map((s) => `  ${s}`),
  ].join('\n')
}

// ---- command line ---------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'urls-file': { type: 'string' },
      connections: { type: 'string', short: 'c', default: '100' },
      duration: { type: 'string', short: 'd', default: '10' },
      warmup: { type: 'string', short: 'w', default: '2' },
      frame: { type: 'string', default: DEFAULT_FRAME },
      reply: { type: 'string', default: 'success' },
      protocol: { type: 'string', default: 'ws' },
      sources: { type: 'string' },
      drain: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help || (values.url === undefined && values['urls-file'] === undefined)) {
    process.stdout.write(
      [
        'usage: node --import tsx bench/load-client.ts (--url ws://127.0.0.1:PORT/?auth=TOKEN | --urls-file FILE) [options]',
        '  -c, --connections N   closed-loop connections (default 100, max 20000)',
        '  -d, --duration S      measured seconds (default 10, max 600)',
        '  -w, --warmup S        seconds of load before measuring (default 2)',
        '      --frame JSON      request frame (default {"method":"index.index.index"})',
        '      --reply EVENT     reply event that completes a request (default success)',
        '      --protocol P      ws (default) or socketio: each frame as the Socket.IO event "message" (URL ws://…/socket.io/?EIO=4&transport=websocket)',
        '      --urls-file FILE  one URL per line; connection i uses line i mod lines (one token each)',
        '      --sources N       spread connections over 127.0.0.1..N',
        '      --drain MS        after the window, wait up to MS for replies in flight, then count the unanswered',
        '      --json            print the result as JSON',
        '',
      ].join('\n'),
    )
    return values.help ? 0 : 2
  }
  let url: LoadOptions['url']
  if (values['urls-file'] !== undefined) {
    const urls = readFileSync(values['urls-file'], 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
    if (urls.length === 0) throw new Error(`load-client: ${values['urls-file']} holds no URL`)
    url = (i) => urls[i % urls.length]!
  } else {
    url = values.url!
  }
  const controller = new AbortController()
  // Ctrl-C ends the run early but still prints what was measured.
  process.once('SIGINT', () => controller.abort())
  const result = await runLoad({
    url,
    connections: Number(values.connections),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    frame: values.frame,
    replyEvent: values.reply,
    protocol: values.protocol as WireProtocol,
    ...(values.sources === undefined ? {} : { sourceAddresses: Number(values.sources) }),
    ...(values.drain === undefined ? {} : { drain: Number(values.drain) }),
    signal: controller.signal,
  })
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatResult(result)}\n`)
  return result.connections.opened === 0 ? 1 : 0
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
      process.exitCode = 1
    },
  )
}
