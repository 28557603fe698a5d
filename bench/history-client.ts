/**
 * The reconnecting side of the history benchmark (bench/history.ts): N WebSocket clients of
 * one room in this process that keep their position in the room (the `seq` of the last room
 * message they got), drop off all at once, come back, and ask for what they missed with
 * `{"method":"@recover","room":R,"epoch":E,"offset":N}` (docs/history.md).
 *
 * Each client is a slot: the socket of the moment and its position, which outlives the socket.
 * A recovery round checks, per slot, that the replay holds exactly the messages broadcast while
 * it was away, in order, with consecutive offsets after the one it asked from, and then the
 * `recovered` answer; anything else is counted as a fault of its kind.
 *
 * Plain TCP sockets (the upgrade, then unmasked server frames), as bench/fan-out-client.ts,
 * so the client costs little beside the server; each text frame is parsed (JSON.parse) since
 * its position and content are what is checked. Bounded: loopback targets only, at most
 * MAX_CONNECTIONS sockets, upgrades in bounded-concurrency batches each with a timeout,
 * every wait with a deadline.
 */
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Histogram, type LatencySummary } from './lib/histogram.js'
import { CLOSE_FRAME, maskedFrame, readUpgradeAnswer, upgradeRequest } from './lib/raw-ws.js'
import { assertLoopbackUrl, MAX_CONNECTIONS, openFilesLimit } from './load-client.js'

export interface HistoryClientOptions {
  /** The URL of client i (each with its own `?auth=` token). ws:// on a loopback host. */
  url: (index: number) => string
  connections: number
  /** The room the clients are in (their token's code) and recover. */
  room: string
  /** Upgrades in flight at once. Default 100. */
  connectConcurrency?: number
  /** Milliseconds for one TCP connect plus upgrade. Default 10 000. */
  connectTimeout?: number
  /** Spread connections over this many source addresses 127.0.0.<firstSource>…. Default 4. */
  sourceAddresses?: number
  firstSource?: number
}

/** What a round's replays should hold: the messages broadcast while the clients were away. */
export interface Missed {
  /** The `param.round` of every one of them. */
  round: number
  /** How many: their `param.n` runs 1…count, in order. */
  count: number
}

/** A reconnect of every slot, and, when it recovered, what the replays held. */
export interface ReconnectFigures {
  clients: number
  opened: number
  failed: number
  /** The first few reasons an upgrade failed. */
  failures: string[]
  /** From the first connect to the last upgrade. */
  connectSeconds: number
  /** From the first connect to the last `recovered` answer (the last upgrade without @recover). */
  seconds: number
  /** Milliseconds from a client's @recover to its `recovered` answer. */
  latency: LatencySummary
  /** Slots whose @recover got no answer before the deadline. */
  unanswered: number
  /** Answers `recovered: false`, or a status other than 200. */
  refused: number
  /** Slots that got exactly the missed messages, in order, then `recovered: true` with that count. */
  complete: number
  /** Slots that did not (a slot that did not reconnect among them). */
  incomplete: number
  /** Missed messages that never arrived in order, over every slot. */
  missingMessages: number
  /** Replayed messages out of order, repeated, of another epoch or room, or not the ones broadcast. */
  wrongMessages: number
  /** Replayed messages that arrived in order. */
  replayed: number
  /** A few of the faults, in words. */
  faults: string[]
}

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024)
const MAX_FAULTS = 5

interface Slot {
  index: number
  socket: net.Socket | null
  pending: Buffer | null
  upgraded: boolean
  closing: boolean
  /** The position of the last room message it got, or where its last recovery left it. */
  epoch: string
  offset: number
  /** `param` of the last room message it got. */
  lastParam: unknown
  /** This round: when it sent @recover (performance.now(); -1 when it did not) and got the answer. */
  askedAt: number
  answeredAt: number
  askedOffset: number
  /** This round: replayed messages in order, and the faults. */
  inOrder: number
  wrong: number
  refused: boolean
  answerCount: number
}

interface Envelope {
  status?: number
  event?: string
  param?: { n?: unknown; round?: unknown; recovered?: unknown; count?: unknown; epoch?: unknown; offset?: unknown }
  seq?: { room?: unknown; epoch?: unknown; offset?: unknown }
}

export class HistoryClient {
  readonly #slots: Slot[]
  readonly #options: Required<HistoryClientOptions>
  /** The round being recovered, while one is. */
  #missed: Missed | undefined
  #answered = 0
  #asked = 0
  #faults: string[] = []
  #onAnswered: (() => void) | undefined
  /** Sockets the server closed while we held them. */
  disconnected = 0
  /** Text frames that were neither a room message nor a `recovered` answer, and other frames. */
  otherFrames = 0
  /** Room messages that arrived live (outside a replay) to a slot that was being recovered, or late. */
  liveDuringRecovery = 0

  private constructor(options: HistoryClientOptions) {
    const n = Math.floor(options.connections)
    if (!Number.isFinite(n) || n < 1 || n > MAX_CONNECTIONS)
      throw new Error(`history-client: connections must be between 1 and ${MAX_CONNECTIONS}, got ${options.connections}`)
    const limit = openFilesLimit()
    if (limit !== undefined && n > limit - 64)
      throw new Error(`history-client: ${n} sockets need about ${n + 64} open files and ulimit -n is ${limit}`)
    const sources = Math.max(1, Math.min(options.sourceAddresses ?? 4, 200))
    const firstSource = options.firstSource ?? 1
    if (firstSource < 1 || firstSource + sources - 1 > 254)
      throw new Error('history-client: source addresses must stay within 127.0.0.1–127.0.0.254')
    this.#options = {
      url: options.url,
      connections: n,
      room: options.room,
      connectConcurrency: Math.max(1, Math.min(options.connectConcurrency ?? 100, 1000)),
      connectTimeout: options.connectTimeout ?? 10_000,
      sourceAddresses: sources,
      firstSource,
    }
    this.#slots = Array.from({ length: n }, (_, index) => ({
      index,
      socket: null,
      pending: null,
      upgraded: false,
      closing: false,
      epoch: '',
      offset: 0,
      lastParam: undefined,
      askedAt: -1,
      answeredAt: -1,
      askedOffset: 0,
      inOrder: 0,
      wrong: 0,
      refused: false,
      answerCount: -1,
    }))
  }

  /** Every slot connected (none recovers: they have no position yet). */
  static async open(options: HistoryClientOptions): Promise<{ client: HistoryClient; figures: ReconnectFigures }> {
    const client = new HistoryClient(options)
    const figures = await client.reconnect(undefined, 0)
    return { client, figures }
  }

  get open(): number {
    return this.#slots.filter((s) => s.socket !== null && !s.socket.destroyed && s.upgraded).length
  }

  /** Whether every open slot's last room message had this `param`, judged by `same`. */
  allGot(same: (param: unknown) => boolean): boolean {
    return this.#slots.every((s) => s.socket === null || s.socket.destroyed || same(s.lastParam))
  }

  /** The slots' positions: each distinct one, with how many slots hold it. */
  positions(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const s of this.#slots) {
      const key = `${s.epoch}:${s.offset}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    return counts
  }

  /** Drops every socket at once (no close handshake), as a network that goes away would; positions stay. */
  disconnect(): void {
    for (const s of this.#slots) {
      s.closing = true
      s.socket?.destroy()
      s.socket = null
      s.upgraded = false
      s.pending = null
    }
  }

  /**
   * Connects every slot again, `connectConcurrency` upgrades at a time; with `missed`, each slot
   * sends @recover with its position as soon as its upgrade is answered, and the round ends at
   * the last `recovered` answer (at most `answerTimeoutMs` after the last upgrade).
   */
  async reconnect(missed: Missed | undefined, answerTimeoutMs: number): Promise<ReconnectFigures> {
    if (this.open > 0) throw new Error('history-client: reconnect while sockets are open; disconnect first')
    const o = this.#options
    this.#missed = missed
    this.#answered = 0
    this.#asked = 0
    this.#faults = []
    for (const s of this.#slots) {
      s.closing = false
      s.askedAt = -1
      s.answeredAt = -1
      s.askedOffset = s.offset
      s.inOrder = 0
      s.wrong = 0
      s.refused = false
      s.answerCount = -1
    }
    const failures: string[] = []
    let opened = 0
    let failed = 0
    let next = 0
    const started = performance.now()
    const worker = async () => {
      while (next < o.connections) {
        const slot = this.#slots[next++]!
        try {
          await this.#upgrade(slot)
          opened++
        } catch (err) {
          failed++
          if (failures.length < MAX_FAULTS) failures.push(err instanceof Error ? err.message : String(err))
          // A refused target fails every socket the same way: stop early rather than wait out each one.
          if (opened === 0 && failed >= Math.min(o.connections, 20)) break
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(o.connectConcurrency, o.connections) }, worker))
    const connected = performance.now()
    if (missed !== undefined && this.#answered < this.#asked) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#onAnswered = undefined
          resolve()
        }, answerTimeoutMs)
        this.#onAnswered = () => {
          clearTimeout(timer)
          this.#onAnswered = undefined
          resolve()
        }
      })
    }
    this.#missed = undefined
    const lastAnswer = Math.max(connected, ...this.#slots.map((s) => s.answeredAt))
    return this.#figures(missed, { opened, failed, failures, started, connected, ended: missed === undefined ? connected : lastAnswer })
  }

  #figures(
    missed: Missed | undefined,
    r: { opened: number; failed: number; failures: string[]; started: number; connected: number; ended: number },
  ): ReconnectFigures {
    const hist = new Histogram()
    let unanswered = 0
    let refused = 0
    let complete = 0
    let incomplete = 0
    let missingMessages = 0
    let wrongMessages = 0
    let replayed = 0
    const faults = [...this.#faults]
    for (const s of this.#slots) {
      if (missed === undefined) break
      replayed += s.inOrder
      wrongMessages += s.wrong
      if (s.askedAt >= 0 && s.answeredAt < 0) unanswered++
      if (s.answeredAt >= 0) hist.record((s.answeredAt - s.askedAt) * 1000)
      if (s.refused) refused++
      const ok = s.answeredAt >= 0 && !s.refused && s.wrong === 0 && s.inOrder === missed.count && s.answerCount === missed.count
      if (ok) complete++
      else {
        // A client that did not reconnect recovered nothing.
        incomplete++
        missingMessages += Math.max(0, missed.count - s.inOrder)
        if (faults.length < MAX_FAULTS) {
          const answer =
            s.askedAt < 0
              ? 'not reconnected'
              : s.answeredAt < 0
                ? 'no answer'
                : `answered count ${s.answerCount}${s.refused ? ', refused' : ''}`
          faults.push(`client ${s.index}: ${s.inOrder} of ${missed.count} in order, ${s.wrong} wrong, ${answer}`)
        }
      }
    }
    const seconds = (ms: number) => Math.round(ms) / 1000
    return {
      clients: this.#options.connections,
      opened: r.opened,
      failed: r.failed,
      failures: r.failures,
      connectSeconds: seconds(r.connected - r.started),
      seconds: seconds(r.ended - r.started),
      latency: hist.summary(),
      unanswered,
      refused,
      complete,
      incomplete,
      missingMessages,
      wrongMessages,
      replayed,
      faults,
    }
  }

  #upgrade(slot: Slot): Promise<void> {
    const o = this.#options
    const url = assertLoopbackUrl(o.url(slot.index))
    const { request, accept } = upgradeRequest(url)
    const localAddress = `127.0.0.${o.firstSource + (slot.index % o.sourceAddresses)}`
    slot.pending = null
    slot.upgraded = false
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const fail = (message: string) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        slot.closing = true
        socket.destroy()
        if (slot.socket === socket) slot.socket = null
        reject(new Error(message))
      }
      const timer = setTimeout(() => fail(`upgrade timed out after ${o.connectTimeout} ms`), o.connectTimeout)
      const socket = net.connect({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 80),
        localAddress,
        onread: {
          buffer: READ_BUFFER,
          callback: (nread: number): boolean => {
            if (slot.upgraded) {
              this.#onData(slot, READ_BUFFER, nread)
              return true
            }
            const answer = readUpgradeAnswer(slot.pending, READ_BUFFER.subarray(0, nread), accept)
            if (answer.kind === 'more') {
              slot.pending = answer.pending
              return true
            }
            if (answer.kind === 'refused') {
              fail(answer.message)
              return false
            }
            settled = true
            clearTimeout(timer)
            slot.upgraded = true
            slot.pending = null
            if (this.#missed !== undefined) this.#recover(slot)
            resolve()
            const { rest } = answer
            if (rest.length > 0) this.#onData(slot, rest, rest.length)
            return true
          },
        },
      })
      slot.socket = socket
      slot.closing = false
      socket.setNoDelay(true)
      socket.on('error', (err) => fail(err.message))
      socket.on('close', () => {
        if (!settled) fail('closed during the upgrade')
        // A socket dropped by disconnect() is no longer the slot's.
        else if (slot.socket === socket && !slot.closing) this.disconnected++
      })
      socket.once('connect', () => {
        socket.write(request)
      })
    })
  }

  /** @recover from the slot's position, the moment its upgrade is answered. */
  #recover(slot: Slot): void {
    const request = JSON.stringify({ method: '@recover', room: this.#options.room, epoch: slot.epoch, offset: slot.offset })
    slot.askedOffset = slot.offset
    slot.askedAt = performance.now()
    this.#asked++
    slot.socket?.write(maskedFrame(0x1, Buffer.from(request)))
  }

  /** Splits `buf[0, length)` into frames; a frame cut by the read waits in `pending` (copied: the buffer is shared). */
  #onData(slot: Slot, chunk: Buffer, length: number): void {
    let buf = chunk
    let end = length
    if (slot.pending !== null) {
      buf = Buffer.concat([slot.pending, chunk.subarray(0, length)])
      end = buf.length
      slot.pending = null
    }
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
      if ((b1 & 0x80) !== 0) this.otherFrames++
      else if (b0 === 0x81) this.#onText(slot, buf.toString('utf8', start, off))
      else this.#onControl(slot, b0 & 0x0f, buf, start, off)
    }
    if (off < end) slot.pending = Buffer.from(buf.subarray(off, end))
  }

  #onText(slot: Slot, text: string): void {
    let message: Envelope
    try {
      message = JSON.parse(text) as Envelope
    } catch {
      this.otherFrames++
      return
    }
    if (typeof message !== 'object' || message === null) {
      this.otherFrames++
      return
    }
    if (message.seq !== undefined) this.#onRoomMessage(slot, message)
    else if (message.event === 'recovered') this.#onRecovered(slot, message)
    else this.otherFrames++
  }

  #onRoomMessage(slot: Slot, message: Envelope): void {
    const { room, epoch, offset } = message.seq ?? {}
    if (room !== this.#options.room || typeof epoch !== 'string' || typeof offset !== 'number') {
      this.otherFrames++
      return
    }
    const missed = this.#missed
    const replaying = missed !== undefined && slot.askedAt >= 0 && slot.answeredAt < 0
    if (replaying) {
      const param = message.param ?? {}
      const inPlace =
        epoch === slot.epoch &&
        offset === slot.offset + 1 &&
        param.round === missed.round &&
        param.n === slot.inOrder + 1 &&
        slot.inOrder < missed.count
      if (inPlace) slot.inOrder++
      else {
        slot.wrong++
        if (this.#faults.length < MAX_FAULTS)
          this.#faults.push(
            `client ${slot.index}: got offset ${offset} of epoch ${epoch} (param ${JSON.stringify(message.param)}) after offset ${slot.offset} of epoch ${slot.epoch}`,
          )
      }
    } else if (missed !== undefined) {
      this.liveDuringRecovery++
    }
    slot.epoch = epoch
    slot.offset = offset
    slot.lastParam = message.param
  }

  #onRecovered(slot: Slot, message: Envelope): void {
    if (slot.askedAt < 0 || slot.answeredAt >= 0) {
      this.otherFrames++
      return
    }
    slot.answeredAt = performance.now()
    const p = message.param ?? {}
    slot.refused = message.status !== 200 || p.recovered !== true
    slot.answerCount = typeof p.count === 'number' ? p.count : -1
    if (slot.refused && this.#faults.length < MAX_FAULTS)
      this.#faults.push(`client ${slot.index}: @recover from offset ${slot.askedOffset} answered ${JSON.stringify(message)}`)
    // The answer carries the room's position: where live messages resume.
    if (typeof p.epoch === 'string' && typeof p.offset === 'number') {
      slot.epoch = p.epoch
      slot.offset = p.offset
    }
    this.#answered++
    if (this.#answered === this.#asked) this.#onAnswered?.()
  }

  #onControl(slot: Slot, opcode: number, buf: Buffer, start: number, end: number): void {
    if (opcode === 0x9) {
      if (end - start <= 125) slot.socket?.write(maskedFrame(0xa, buf.subarray(start, end)))
    } else if (opcode === 0x8) {
      if (!slot.closing) this.disconnected++
      slot.closing = true
      slot.socket?.end(CLOSE_FRAME)
    } else if (opcode !== 0xa) {
      this.otherFrames++
    }
  }
}

/** Polls `ready` every 20 ms until it holds, at most `timeoutMs`; whether it held. */
export async function until(ready: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (await ready()) return true
    if (performance.now() > deadline) return false
    await sleep(20)
  }
}
