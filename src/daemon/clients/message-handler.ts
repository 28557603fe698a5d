import type { Logger } from 'pino'
import type { RawData, WebSocket } from 'ws'
import type { CloseEvent } from '../../app-api/types.js'
import type { ClientFrame } from '../../contracts/thread-channel.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'
import { replies } from '../../protocol/replies.js'
import type { DaemonStats } from '../stats.js'
import { type Connection, connectionOf } from './connection.js'
import type { Delivery } from './delivery.js'
import { wireFrames } from './frames.js'
import { clockNow } from './clock.js'
import { takeRate } from './rate-window.js'
import type { ConnectionRegistry } from './registry.js'

/** Where a client's frames and close events go: the application's workers. */
export interface AppDispatch {
  dispatch(frame: ClientFrame): void
  closeEvent(controllers: string[], event: CloseEvent): void
}

export interface ClientMessageOptions {
  registry: ConnectionRegistry
  delivery: Delivery
  stats: DaemonStats
  logger: Logger
  /** setting.max_messages_per_second: past it a frame is refused, past twice it the client is cut. */
  messagesPerSecond: number
  /** Takes a client's text frame to the application's workers. */
  app: Pick<AppDispatch, 'dispatch'>
  /** Answers the frame here when it is a @recover (true); absent, or false, it goes to the workers. */
  recover?: (connection: Connection, text: string) => boolean
}

/**
 * Wires connections' frames: keepalive, rate limit, binary refusal, and the
 * text of every other frame to the workers. The worker that owns the fd
 * parses and checks it, and sends the ack (or a refusal) before its
 * controller's replies: the master moves the text, never an object.
 * The listeners are made once and shared by every socket (see ClientSocket).
 */
export function clientMessages(options: ClientMessageOptions): (connection: Connection) => void {
  const { delivery, stats, messagesPerSecond, recover } = options
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const connection = connectionOf(this)
    if (connection.state !== 'open') return
    const now = clockNow()
    connection.lastActiveAt = now
    connection.messagesIn++
    stats.messagesIn++
    stats.bytesIn += byteLength(data)
    const rate = takeRate(connection, now, messagesPerSecond)
    if (rate === 'flood') {
      options.logger.warn({ fd: connection.fd, ip: connection.ip }, 'client flooding, disconnected')
      options.registry.close(connection, CLOSE_CODES.POLICY_VIOLATION, 'rate limit exceeded')
      return
    }
    if (rate === 'limited') return void delivery.write(connection, wireFrames().rateLimited)
    if (isBinary) return void delivery.write(connection, replies().binary)
    // ws has checked the UTF-8 of a text frame (an invalid one closes the connection with 1007).
    const text = textOf(data)
    if (text === '2') return void delivery.write(connection, wireFrames().keepalive)
    if (recover !== undefined && recover(connection, text)) return
    connection.sender ??= JSON.stringify([connection.auth ?? null, connection.code])
    options.app.dispatch({ fd: connection.fd, text, sender: connection.sender })
  }
  return (connection) => {
    connection.ws.on('pong', onPong)
    connection.ws.on('message', onMessage)
  }
}

/** A pong counts as activity, so a quiet but live client is not cut as idle. */
function onPong(this: WebSocket): void {
  connectionOf(this).lastActiveAt = clockNow()
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8')
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0)
  return data instanceof ArrayBuffer ? data.byteLength : data.length
}
