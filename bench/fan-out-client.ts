/**
 * The receiving side of the fan-out benchmark: thousands of idle WebSocket clients in
 * this one process that count the broadcasts they get and how late each arrived.
 *
 * It shares a small machine with the server it measures, so receiving costs as little
 * as it can: a WebSocket client of its own on plain TCP sockets (the upgrade, then
 * unmasked server frames only), every socket reading into one shared buffer (`onread`),
 * and per frame only the send time read back from the end of the payload (the envelope's
 * `"param":{…,"sentAt":<ms>}`), no JSON.parse. Pings are answered and a close frame ends
 * the socket; anything else is counted, not parsed. With `protocol: 'socketio'` it speaks
 * Engine.IO 4 / Socket.IO 5 over the same frames: the connect after the upgrade, `3` to the
 * server's ping `2`, and the send time read from the event `42["message",<envelope>]`.
 *
 * Bounded on purpose: loopback targets only, at most MAX_CONNECTIONS sockets, upgrades
 * in bounded-concurrency batches each with a timeout, every wait with a deadline.
 */
import net from 'node:net'
import { Histogram, type LatencySummary } from './lib/histogram.js'
import { CLOSE_FRAME, maskedFrame, readUpgradeAnswer, upgradeRequest } from './lib/raw-ws.js'
import {
  assertLoopbackUrl,
  MAX_CONNECTIONS,
  openFilesLimit,
  SOCKETIO_CONNECT,
  SOCKETIO_PING,
  SOCKETIO_PONG,
  socketIoPayloadStart,
  type WireProtocol,
} from './load-client.js'

/** Milliseconds since the epoch, sub-millisecond: the clock the driver stamps `sentAt` with. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

export interface FanOutClientOptions {
  /** The URL of connection i (each may carry its own `?auth=` token, and its own port: a cluster's nodes). ws:// on a loopback host. */
  url: (index: number) => string
  connections: number
  /** Upgrades in flight at once. Default 100. */
  connectConcurrency?: number
  /** Milliseconds for one TCP connect plus upgrade. Default 10 000. */
  connectTimeout?: number
  /** Spread connections over this many source addresses 127.0.0.<firstSource>…, so ephemeral ports never run out. Default 1 (the kernel's choice). */
  sourceAddresses?: number
  firstSource?: number
  /** 'socketio': a Socket.IO server's clients (the URL its `/socket.io/?EIO=4&transport=websocket`). Default 'ws'. */
  protocol?: WireProtocol
}

/** What one measured phase received: from beginPhase() to endPhase(). */
export interface PhaseFigures {
  /** Deliveries stamped at or after the phase began. */
  received: number
  /** Epoch ms of the last of them, 0 when none arrived. */
  lastAt: number
  /** Milliseconds from `sentAt` to the socket read that carried it. */
  latency: LatencySummary
  /** Deliveries stamped before the phase began (stragglers of an earlier one). */
  late: number
}

export interface ConnectFigures {
  asked: number
  opened: number
  failed: number
  seconds: number
  sourceAddresses: number
  /** The first few reasons an upgrade failed. */
  failures: string[]
}

/** The payload ends `"sentAt":<digits[.digits]>}}`. */
const SENT_AT = Buffer.from('"sentAt":')
/** With room history on, a room envelope ends `,"seq":{"room":R,"epoch":E,"offset":N}}` (docs/history.md). */
const SEQ_KEY = Buffer.from(',"seq":{')
const OFFSET_KEY = Buffer.from('"offset":')
/** One read buffer for every socket: each read is consumed before the next one lands. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024)

interface Conn {
  socket: net.Socket
  /** The server port it connects to. */
  port: number
  /** Deliveries counted in the phase (since beginPhase). */
  received: number
  /** Bytes of an upgrade response or a frame that a read cut in two. */
  pending: Buffer | null
  upgraded: boolean
  closing: boolean
  /** Socket.IO only: resolves the connect once the server's `40{…}` arrives. */
  onConnected: (() => void) | null
}

const SOCKETIO_CONNECT_FRAME = maskedFrame(0x1, Buffer.from(SOCKETIO_CONNECT))
const SOCKETIO_PONG_FRAME = maskedFrame(0x1, Buffer.from(SOCKETIO_PONG))

export class FanOutClient {
  readonly #conns: Conn[] = []
  #hist = new Histogram()
  #since = Number.POSITIVE_INFINITY
  #received = 0
  #lastAt = 0
  #late = 0
  #waitFor = 0
  #onReached: (() => void) | undefined
  #stopping = false
  /** Sockets the server closed (or that dropped) while we held them. */
  disconnected = 0
  /** Frames that were not a bench delivery: another text frame, binary, fragmented, or masked. */
  otherFrames = 0
  readonly connect: ConnectFigures
  readonly #protocol: WireProtocol

  private constructor(connect: ConnectFigures, protocol: WireProtocol) {
    this.connect = connect
    this.#protocol = protocol
  }

  /** Opens the sockets, in batches of `connectConcurrency`; resolves once every upgrade has succeeded or failed. */
  static async open(options: FanOutClientOptions): Promise<FanOutClient> {
    const n = Math.floor(options.connections)
    if (!Number.isFinite(n) || n < 1 || n > MAX_CONNECTIONS)
      throw new Error(`fan-out-client: connections must be between 1 and ${MAX_CONNECTIONS}, got ${options.connections}`)
    const limit = openFilesLimit()
    if (limit !== undefined && n > limit - 64) {
      throw new Error(
        `fan-out-client: ${n} sockets need about ${n + 64} open files and ulimit -n is ${limit}; raise it (ulimit -n ${n + 1000}) or use fewer connections`,
      )
    }
    const concurrency = Math.max(1, Math.min(options.connectConcurrency ?? 100, 1000))
    const timeout = options.connectTimeout ?? 10_000
    const sources = Math.max(1, Math.min(options.sourceAddresses ?? 1, 200))
    const first = options.firstSource ?? 1
    if (first < 1 || first + sources - 1 > 254) throw new Error('fan-out-client: source addresses must stay within 127.0.0.1–127.0.0.254')
    const client = new FanOutClient(
      { asked: n, opened: 0, failed: 0, seconds: 0, sourceAddresses: sources, failures: [] },
      options.protocol ?? 'ws',
    )
    const started = performance.now()
    let next = 0
    const worker = async () => {
      while (next < n && !client.#stopping) {
        const index = next++
        const localAddress = sources > 1 || options.sourceAddresses !== undefined ? `127.0.0.${first + (index % sources)}` : undefined
        try {
          client.#conns.push(await client.#upgrade(options.url(index), localAddress, timeout))
          client.connect.opened++
        } catch (err) {
          client.connect.failed++
          if (client.connect.failures.length < 5) client.connect.failures.push(err instanceof Error ? err.message : String(err))
          // A refused target fails every socket the same way: stop early rather than wait out each one.
          if (client.connect.opened === 0 && client.connect.failed >= Math.min(n, 20)) break
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
    client.connect.seconds = Math.round(performance.now() - started) / 1000
    return client
  }

  get open(): number {
    return this.#conns.filter((c) => !c.socket.destroyed && c.upgraded).length
  }

  /** Open sockets and the deliveries of the phase (the current or the last one), by the server port they connect to. */
  byPort(): Map<number, { open: number; received: number }> {
    const ports = new Map<number, { open: number; received: number }>()
    for (const c of this.#conns) {
      const p = ports.get(c.port) ?? { open: 0, received: 0 }
      if (!c.socket.destroyed && c.upgraded) p.open++
      p.received += c.received
      ports.set(c.port, p)
    }
    return ports
  }

  /** Counts from now on the deliveries stamped at or after `since` (epoch ms); resets the figures. */
  beginPhase(since: number): void {
    this.#since = since
    this.#received = 0
    this.#lastAt = 0
    this.#late = 0
    this.#waitFor = 0
    this.#hist = new Histogram()
    for (const c of this.#conns) c.received = 0
  }

  endPhase(): PhaseFigures {
    const figures = { received: this.#received, lastAt: this.#lastAt, latency: this.#hist.summary(), late: this.#late }
    this.#since = Number.POSITIVE_INFINITY
    return figures
  }

  /** Resolves true once `count` deliveries of this phase have arrived, false after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<boolean> {
    if (this.#received >= count) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#onReached = undefined
        resolve(false)
      }, timeoutMs)
      this.#waitFor = count
      this.#onReached = () => {
        clearTimeout(timer)
        this.#onReached = undefined
        resolve(true)
      }
    })
  }

  /** Drops every socket at once (no close handshake: the servers under test need no goodbye). */
  close(): void {
    this.#stopping = true
    for (const c of this.#conns) {
      c.closing = true
      c.socket.destroy()
    }
    this.#conns.length = 0
  }

  #upgrade(raw: string, localAddress: string | undefined, timeoutMs: number): Promise<Conn> {
    const url = assertLoopbackUrl(raw)
    const { request, accept } = upgradeRequest(url)
    const port = Number(url.port || 80)
    return new Promise<Conn>((resolve, reject) => {
      let settled = false
      const conn: Conn = {
        socket: undefined as unknown as net.Socket,
        port,
        received: 0,
        pending: null,
        upgraded: false,
        closing: false,
        onConnected: null,
      }
      const fail = (message: string) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        conn.closing = true
        conn.socket.destroy()
        reject(new Error(message))
      }
      const timer = setTimeout(() => fail(`upgrade timed out after ${timeoutMs} ms`), timeoutMs)
      conn.socket = net.connect({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port,
        ...(localAddress === undefined ? {} : { localAddress }),
        onread: {
          buffer: READ_BUFFER,
          // `true` keeps reading; the bytes are READ_BUFFER's first `nread`.
          callback: (nread: number): boolean => {
            if (conn.upgraded) {
              this.#onData(conn, READ_BUFFER, nread)
              return true
            }
            const answer = readUpgradeAnswer(conn.pending, READ_BUFFER.subarray(0, nread), accept)
            if (answer.kind === 'more') {
              conn.pending = answer.pending
              return true
            }
            if (answer.kind === 'refused') {
              fail(answer.message)
              return false
            }
            const connected = () => {
              settled = true
              clearTimeout(timer)
              resolve(conn)
            }
            conn.upgraded = true
            conn.pending = null
            // A Socket.IO socket is ready at its connect, which the frames below carry; the timeout still runs.
            if (this.#protocol === 'socketio') conn.onConnected = connected
            else connected()
            const { rest } = answer
            if (rest.length > 0) this.#onData(conn, rest, rest.length)
            return true
          },
        },
      })
      conn.socket.setNoDelay(true)
      conn.socket.on('error', (err) => fail(err.message))
      conn.socket.on('close', () => {
        if (!settled) fail('closed during the upgrade')
        else if (!conn.closing) this.disconnected++
      })
      conn.socket.once('connect', () => {
        conn.socket.write(request)
      })
    })
  }

  /** Splits `buf[0, length)` into frames; a frame cut by the read waits in `pending` (copied: the buffer is shared). */
  #onData(conn: Conn, chunk: Buffer, length: number): void {
    let buf = chunk
    let end = length
    if (conn.pending !== null) {
      buf = Buffer.concat([conn.pending, chunk.subarray(0, length)])
      end = buf.length
      conn.pending = null
    }
    const at = nowMs()
    let off = 0
    while (end - off >= 2) {
      const b0 = buf[off]!
      const b1 = buf[off + 1]!
      let size = b1 & 0x7f
      let head = 2
      if (size === 126) {
        if (end - off < 4) break
        size = buf.readUInt16BE(off + 2)
        head = 4
      } else if (size === 127) {
        if (end - off < 10) break
        size = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6)
        head = 10
      }
      if (end - off < head + size) break
      const start = off + head
      off = start + size
      if ((b1 & 0x80) !== 0) {
        this.otherFrames++ // a server must not mask
        continue
      }
      if (b0 === 0x81) this.#onText(conn, buf, start, off, at)
      else this.#onControl(conn, b0 & 0x0f, buf, start, off)
    }
    if (off < end) conn.pending = Buffer.from(buf.subarray(off, end))
  }

  #onText(conn: Conn, buf: Buffer, start: number, end: number, at: number): void {
    if (this.#protocol === 'socketio') {
      const payload = socketIoPayloadStart(buf, start, end)
      if (payload < 0) {
        this.#onSocketIoPacket(conn, buf, start, end)
        return
      }
      start = payload
      end -= 1
    }
    const sentAt = readSentAt(buf, start, end)
    if (sentAt < 0) {
      this.otherFrames++
      return
    }
    if (sentAt < this.#since) {
      this.#late++
      return
    }
    this.#received++
    conn.received++
    this.#hist.record((at - sentAt) * 1000)
    this.#lastAt = at
    if (this.#received === this.#waitFor) this.#onReached?.()
  }

  /** Socket.IO packets other than an event: the open, the connect, the ping; anything else is counted. */
  #onSocketIoPacket(conn: Conn, buf: Buffer, start: number, end: number): void {
    const size = end - start
    if (size === 1 && buf[start] === SOCKETIO_PING) {
      conn.socket.write(SOCKETIO_PONG_FRAME)
    } else if (size > 1 && buf[start] === 0x30 && buf[start + 1] === 0x7b) {
      conn.socket.write(SOCKETIO_CONNECT_FRAME) // Engine.IO's open `0{…}`
    } else if (size > 2 && buf.toString('latin1', start, start + 3) === `${SOCKETIO_CONNECT}{` && conn.onConnected !== null) {
      conn.onConnected()
      conn.onConnected = null
    } else {
      this.otherFrames++
    }
  }

  #onControl(conn: Conn, opcode: number, buf: Buffer, start: number, end: number): void {
    if (opcode === 0x9) {
      // Pong with the ping's payload.
      if (end - start <= 125) conn.socket.write(maskedFrame(0xa, buf.subarray(start, end)))
    } else if (opcode === 0x8) {
      if (!conn.closing) this.disconnected++
      conn.closing = true
      conn.socket.end(CLOSE_FRAME)
    } else if (opcode !== 0xa) {
      this.otherFrames++
    }
  }
}

/**
 * The number after `"sentAt":` at the end of an envelope `…"sentAt":<ms>}}`, read backwards
 * from the payload's end without a string; -1 when the payload does not end that way. A room
 * envelope of a daemon with room history on ends with its position,
 * `…"sentAt":<ms>},"seq":{"room":R,"epoch":E,"offset":N}}`: the send time is then read before it.
 */
export function readSentAt(buf: Buffer, start: number, end: number): number {
  const sentAt = sentAtAtEnd(buf, start, end)
  if (sentAt >= 0) return sentAt
  const seq = seqStart(buf, start, end)
  return seq < 0 ? -1 : sentAtAtEnd(buf, start, seq)
}

/** Where `,"seq":{…"offset":N}` begins in a payload that ends with it (and the envelope's brace); -1 when it does not. */
export function seqStart(buf: Buffer, start: number, end: number): number {
  let i = end - 1
  if (i - 1 <= start || buf[i] !== 0x7d || buf[i - 1] !== 0x7d) return -1
  i -= 2
  const last = i
  while (i > start && buf[i]! >= 0x30 && buf[i]! <= 0x39) i--
  if (
    i === last ||
    i - OFFSET_KEY.length + 1 < start ||
    buf.compare(OFFSET_KEY, 0, OFFSET_KEY.length, i - OFFSET_KEY.length + 1, i + 1) !== 0
  )
    return -1
  const at = buf.lastIndexOf(SEQ_KEY, i - OFFSET_KEY.length)
  return at <= start ? -1 : at
}

function sentAtAtEnd(buf: Buffer, start: number, end: number): number {
  let i = end - 1
  // Closing braces of param and of the envelope.
  while (i > start && buf[i] === 0x7d) i--
  if (i === end - 1) return -1
  let value = 0
  let scale = 1
  let digits = 0
  let fraction = false
  for (; i > start; i--) {
    const c = buf[i]!
    if (c >= 0x30 && c <= 0x39) {
      value += (c - 0x30) * scale
      scale *= 10
      digits++
    } else if (c === 0x2e && !fraction) {
      // The fraction so far: divide what was read by its scale, and read the integer part on.
      value /= scale
      scale = 1
      fraction = true
    } else {
      break
    }
  }
  if (digits === 0 || i - SENT_AT.length + 1 < start || buf.compare(SENT_AT, 0, SENT_AT.length, i - SENT_AT.length + 1, i + 1) !== 0)
    return -1
  return value
}
