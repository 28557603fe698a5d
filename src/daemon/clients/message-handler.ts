import type { Logger } from 'pino'
import type { RawData } from 'ws'
import type { CloseEvent, Message } from '../../app-api/types.js'
import type { Connection } from './connection.js'
import type { ConnectionRegistry } from './registry.js'
import type { Delivery } from './delivery.js'
import type { DaemonStats } from '../stats.js'
import { wireFrames } from './frames.js'
import { escapeStrings } from '../../protocol/escape-html.js'
import { readFrame } from './read-frame.js'
import { senderOf } from './sender.js'
import { CLOSE_CODES } from '../../protocol/close-codes.js'

/** Where a client's messages and close events go: the application's workers. */
export interface AppDispatch {
  dispatch(message: Message): void
  closeEvent(controllers: string[], event: CloseEvent): void
}

export interface ClientMessageOptions {
  ack: boolean
  escapeHtml: boolean
  registry: ConnectionRegistry
  delivery: Delivery
  stats: DaemonStats
  logger: Logger
  /** Takes a checked message to the application's workers. */
  app: Pick<AppDispatch, 'dispatch'>
}

/** Wires one connection's frames: keepalive, refusals, rate limit, ack, and dispatch to the workers. */
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
    const inbound = readFrame(data, isBinary)
    if (inbound.kind === 'keepalive') return void delivery.write(connection, wireFrames().keepalive)
    if (inbound.kind === 'reject') return void delivery.write(connection, inbound.frame)
    if (options.ack) delivery.write(connection, wireFrames().ack)
    const fields = options.escapeHtml ? (escapeStrings(inbound.fields) as Record<string, unknown>) : inbound.fields
    // `method` is dispatched as sent: a valid method name is [A-Za-z0-9_.] only, which escaping never changes.
    options.app.dispatch({
      ...fields,
      ...(typeof inbound.fields.method === 'string' ? { method: inbound.fields.method } : {}),
      fd: connection.fd,
      ...senderOf(connection, fields),
    })
  })
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0)
  return data instanceof ArrayBuffer ? data.byteLength : data.length
}
