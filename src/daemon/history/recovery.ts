import type { Logger } from 'pino'
import { envelope } from '../../protocol/envelope.js'
import type { Connection } from '../clients/connection.js'
import type { Delivery } from '../clients/delivery.js'
import { wireFrame } from '../clients/wire-frame.js'
import { withSeq, type Position } from '../../protocol/seq.js'
import { alreadySeen, positionsOf, type HeldFrame } from '../clients/positions.js'
import type { Since } from './position.js'

/** A client's `{"method":"@recover","room":R,"epoch":E,"offset":N}`. */
export interface RecoverRequest extends Position {
  room: string
}

/** Where the entries come from: at once (one node) or from Redis. */
export type HistorySince = (room: string, asked: Position) => Since | Promise<Since>

const METHOD = '@recover'
const MAX_EPOCH_LENGTH = 64
const BAD_REQUEST = '@recover needs "room" (a string), "epoch" (a string) and "offset" (an integer >= 0)'

/**
 * The request in a client's text: undefined when the text is not a @recover
 * (it goes to the workers as any other), a message when it is a malformed one.
 */
export function recoverRequestOf(text: string): RecoverRequest | string | undefined {
  if (!text.includes(METHOD)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || (value as { method?: unknown }).method !== METHOD) return undefined
  const { room, epoch, offset } = value as Record<string, unknown>
  if (typeof room !== 'string' || room === '' || typeof epoch !== 'string' || epoch.length > MAX_EPOCH_LENGTH) return BAD_REQUEST
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return BAD_REQUEST
  return { room, epoch, offset }
}

export interface RecoveryOptions {
  delivery: Delivery
  since: HistorySince
  logger: Logger
}

/**
 * Answers @recover: the room's messages after the client's offset, in order
 * and each with its seq, then `recovered`, then the live ones. Live messages
 * of the room that arrive while the entries are read are held for this
 * connection and written after them; one the replay already wrote is skipped,
 * so there is no gap and no duplicate.
 */
export class Recovery {
  constructor(private readonly options: RecoveryOptions) {}

  /** True when the text was a @recover, answered here; false when it is for the workers. */
  handle(connection: Connection, text: string): boolean {
    const request = recoverRequestOf(text)
    if (request === undefined) return false
    if (typeof request === 'string') this.#write(connection, envelope(400, 'badRequest', request))
    else this.#recover(connection, request)
    return true
  }

  #recover(connection: Connection, request: RecoverRequest): void {
    const { room } = request
    if (!connection.rooms.includes(room)) {
      this.#refuse(connection, room, 403, `not in room ${room}`)
      return
    }
    const positions = positionsOf(connection)
    if (positions.held?.has(room)) {
      this.#refuse(connection, room, 409, 'a recovery of this room is already running')
      return
    }
    let answer: Since | Promise<Since>
    try {
      answer = this.options.since(room, request)
    } catch (err) {
      this.#unavailable(connection, room, err)
      return
    }
    if (!(answer instanceof Promise)) {
      this.#replay(connection, request, answer)
      return
    }
    const held: HeldFrame[] = []
    positions.held ??= new Map()
    positions.held.set(room, held)
    const release = () => {
      positions.held?.delete(room)
      if (positions.held?.size === 0) positions.held = undefined
    }
    answer.then(
      (since) => {
        release()
        this.#replay(connection, request, since)
        this.#flush(connection, room, held)
      },
      (err: unknown) => {
        release()
        this.#unavailable(connection, room, err)
        this.#flush(connection, room, held)
      },
    )
  }

  #replay(connection: Connection, request: RecoverRequest, since: Since): void {
    const { room } = request
    const current: Position = { epoch: since.epoch, offset: since.offset }
    if (!since.recovered) {
      const info =
        since.epoch !== request.epoch
          ? "the room's history has a new epoch"
          : `the history no longer holds what followed offset ${request.offset}`
      this.#write(connection, envelope(200, 'recovered', info, { room, recovered: false, ...current }))
      return
    }
    const positions = positionsOf(connection)
    const seen = positions.seen.get(room)
    // What live sends already wrote (the run from `from` to `seen`) is not written twice. Live sends can have
    // reached the connection before this request: what came before them is still written, or it would be a gap.
    const sameEpoch = seen?.epoch === since.epoch
    const runFrom = sameEpoch ? (positions.from.get(room) ?? seen.offset) : Number.POSITIVE_INFINITY
    const runTo = sameEpoch ? seen.offset : request.offset
    let last = request.offset
    let count = 0
    for (const entry of since.entries) {
      if (entry.offset <= request.offset || (entry.offset >= runFrom && entry.offset <= runTo)) continue
      const position = { epoch: since.epoch, offset: entry.offset }
      if (!this.options.delivery.write(connection, wireFrame(withSeq(entry.text, room, position)))) break
      last = entry.offset
      count++
    }
    positions.seen.set(room, { epoch: since.epoch, offset: Math.max(last, runTo) })
    // From here on the client has everything after its offset (what it had before, by its own word).
    positions.from.set(room, Math.min(runFrom, request.offset + 1))
    const info = `recovered ${count} message${count === 1 ? '' : 's'}`
    this.#write(connection, envelope(200, 'recovered', info, { room, recovered: true, count, ...current }))
  }

  /** The live frames held during the read, but those the replay wrote. */
  #flush(connection: Connection, room: string, held: HeldFrame[]): void {
    const positions = positionsOf(connection)
    for (const { position, frame } of held) {
      if (!alreadySeen(positions, room, position)) this.options.delivery.writeAt(connection, room, position, frame)
    }
  }

  #unavailable(connection: Connection, room: string, err: unknown): void {
    this.options.logger.warn({ err, fd: connection.fd, room }, 'recovery failed: history unavailable')
    this.#refuse(connection, room, 503, 'history unavailable; try again')
  }

  #refuse(connection: Connection, room: string, status: number, info: string): void {
    this.#write(connection, envelope(status, 'recovered', info, { room, recovered: false }))
  }

  #write(connection: Connection, text: string): void {
    this.options.delivery.write(connection, text)
  }
}
