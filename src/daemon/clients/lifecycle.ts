import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import type { Delivery } from './delivery.js'
import { type AppDispatch, type ClientMessageOptions, clientMessages } from './message-handler.js'
import type { DaemonStats } from '../stats.js'
import type { ClosedConnection, Connection, ConnectionIdentity } from './connection.js'
import type { LocalIndex } from './local-index.js'
import type { ConnectionRegistry } from './registry.js'

/** Who else keeps track of this node's connections (the store's view of rooms and uids). */
export interface ConnectionWatcher {
  opened(connection: Connection): void
  closed(connection: Connection): void
}

export interface ClientLifecycleOptions {
  registry: ConnectionRegistry
  index: LocalIndex
  presence: ConnectionWatcher
  delivery: Delivery
  stats: DaemonStats
  app: AppDispatch
  /** setting.max_messages_per_second. */
  messagesPerSecond: number
  /** Answers a client's @recover (app.json `history`); absent, every frame goes to the workers. */
  recover?: ClientMessageOptions['recover']
  logger: Logger
}

/**
 * What happens to a client between its upgrade and its close: at open it
 * joins the room of its token's code and is bound to its uid; at close, for
 * whatever reason, it leaves them first and then the registered controllers hear of it.
 */
export function createClientLifecycle(options: ClientLifecycleOptions) {
  const { registry, index, presence, logger } = options
  const wireMessages = clientMessages({
    registry,
    delivery: options.delivery,
    stats: options.stats,
    logger,
    messagesPerSecond: options.messagesPerSecond,
    app: options.app,
    ...(options.recover === undefined ? {} : { recover: options.recover }),
  })

  function open(ws: WebSocket, identity: ConnectionIdentity): void {
    const connection = registry.add(ws, identity)
    options.stats.connectionsOpened++
    if (identity.code !== '') index.join(connection, identity.code)
    if (identity.auth) index.bindUid(connection, String(identity.auth.id))
    presence.opened(connection)
    wireMessages(connection)
    logger.debug({ fd: connection.fd, ip: connection.ip, type: identity.auth?.type, code: identity.code }, 'connection open')
  }

  function closed({ connection, code, reason }: ClosedConnection): void {
    options.stats.connectionsClosed++
    index.forget(connection)
    presence.closed(connection)
    if (connection.controllers !== undefined && connection.controllers.size > 0) {
      options.app.closeEvent([...connection.controllers], {
        fd: connection.fd,
        auth: connection.auth ?? {},
        code: connection.code,
        closeCode: code,
        reason,
      })
    }
    logger.debug({ fd: connection.fd, code, reason }, 'connection closed')
  }

  return { open, closed }
}
