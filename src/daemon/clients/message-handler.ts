import type { Logger } from 'pino'
import type { RawData } from 'ws'
import type { CloseEvent } from '../../app-api/types.js'
import type { ClientFrame } from '../../contracts/thread-channel.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'
import { replies } from '../../protocol/replies.js'
import type { DaemonStats } from '../stats.js'
import type { Connection } from './connection.js'
import type { Delivery } from './delivery.js'
import { wireFrames } from './frames.js'
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
  /** Takes a client's text frame to the application's workers. */
  app: Pick<AppDispatch, 'dispatch'>
}

/**
 * Wires one connection's frames: keepalive, rate limit, binary refusal, and
 * the text of every other frame to the workers. The worker that owns the fd
 * parses and checks it, and sends the ack (or a refusal) before its
 * controller's replies: the master moves the text, never an object.
 */
export function handleClientMessages(connection: Connection, options: ClientMessageOptions): void {
  const { delivery } = options
  connection.ws.on('pong', () => {
    connection.lastActiveAt = Date.now()
  })
  connection.ws.on('message', (data: RawData, isBinary: boolean) => {
    if (connection.state !== 'open') return
    const now = Date.now()
    connection.lastActiveAt = now
    connection.messagesIn++
    options.stats.messagesIn++
    options.stats.bytesIn += byteLength(data)
    const rate = connection.rate.take(now)
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
    connection.sender ??= JSON.stringify([connection.auth ?? null, connection.code])
    options.app.dispatch({ fd: connection.fd, text, sender: connection.sender })
  })
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8')
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0)
  return data instanceof ArrayBuffer ? data.byteLength : data.length
}
