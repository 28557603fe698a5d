import type { Logger } from 'pino'
import WebSocket from 'ws'
import type { Connection } from './connection.js'
import type { ConnectionRegistry } from './registry.js'
import type { DaemonStats } from '../stats.js'
import type { LocalIndex } from './local-index.js'
import { rawSocket } from './raw-socket.js'
import { TickWriter } from './tick-writer.js'
import { payloadOf, wireFrame, type WireFrame } from './wire-frame.js'
import { withSeq, type Position } from '../../protocol/seq.js'
import { alreadySeen, positionsOf } from './positions.js'

export interface DeliveryOptions {
  registry: ConnectionRegistry
  index: LocalIndex
  /** setting.max_buffered_bytes: a client with more unread output than this is cut. */
  maxBufferedBytes: number
  stats: DaemonStats
  logger: Logger
}

/**
 * Writes messages to sockets. Each message is framed once, however many
 * sockets it goes to, and a socket's frames of one event-loop turn leave in
 * one write. A client whose unread output passes the limit is cut, so memory
 * stays bounded whatever a slow reader does.
 */
export class Delivery {
  readonly #writer = new TickWriter()

  constructor(private readonly options: DeliveryOptions) {}

  /** One message to one connection; false when it was not written. */
  write(connection: Connection, message: string | WireFrame): boolean {
    return this.#send(connection, typeof message === 'string' ? wireFrame(message) : message)
  }

  toFd(fd: number, message: string | WireFrame): boolean {
    const connection = this.options.registry.get(fd)
    return connection ? this.write(connection, message) : false
  }

  /** To this node's members of a room, but the fds in `except`; answers how many were written. */
  toRoom(room: string, message: string, except?: ReadonlySet<number>): number {
    return this.#toEach(this.options.index.room(room), message, except)
  }

  /**
   * A message of the room's history, with its seq, to this node's members: a
   * member recovering the room gets it after its replay, and one that was
   * already sent it (by a replay) does not get it again.
   */
  toRoomAt(room: string, message: string, position: Position, except?: ReadonlySet<number>): number {
    const members = this.options.index.room(room)
    if (isEmpty(members)) return 0
    const frame = wireFrame(withSeq(message, room, position))
    let written = 0
    for (const connection of members) {
      if (!except?.has(connection.fd) && this.writeAt(connection, room, position, frame)) written++
    }
    return written
  }

  /** One frame of a room's history to one connection, once; false when it was not written (or was held). */
  writeAt(connection: Connection, room: string, position: Position, frame: WireFrame): boolean {
    const positions = positionsOf(connection)
    const held = positions.held?.get(room)
    if (held !== undefined) {
      held.push({ position, frame })
      return false
    }
    if (alreadySeen(positions, room, position) || !this.#send(connection, frame)) return false
    if (positions.seen.get(room)?.epoch !== position.epoch) positions.from.set(room, position.offset)
    positions.seen.set(room, position)
    return true
  }

  /** To this node's connections bound to a uid. */
  toUid(uid: string, message: string): number {
    return this.#toEach(this.options.index.uid(uid), message)
  }

  /** To every connection of this node, but the fds in `except`. */
  toAll(message: string, except?: ReadonlySet<number>): number {
    return this.#toEach(this.options.registry.values(), message, except)
  }

  #toEach(connections: Iterable<Connection> & { size?: number; length?: number }, message: string, except?: ReadonlySet<number>): number {
    if (isEmpty(connections)) return 0
    const frame = wireFrame(message)
    let written = 0
    for (const connection of connections) {
      if (!except?.has(connection.fd) && this.#send(connection, frame)) written++
    }
    return written
  }

  #send(connection: Connection, frame: WireFrame): boolean {
    if (connection.state !== 'open') return false
    const { ws } = connection
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.options.logger.warn({ fd: connection.fd, buffered: ws.bufferedAmount }, 'client too slow, disconnected')
      this.options.stats.slowClientsDropped++
      this.options.registry.drop(connection, 'too slow: output buffer full')
      return false
    }
    const socket = rawSocket(ws)
    if (socket) this.#writer.write(socket, frame)
    else if (ws.readyState === WebSocket.OPEN) ws.send(payloadOf(frame), { binary: false })
    else return false
    connection.messagesOut++
    this.options.stats.messagesOut++
    this.options.stats.bytesOut += frame.length
    return true
  }
}

/** A room's or uid's members (a Set, or an array for one) or the registry's values: nothing to write to. */
function isEmpty(members: { size?: number; length?: number }): boolean {
  return members.size === 0 || members.length === 0
}
