import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import type { Delivery } from '../delivery/delivery.js'
import { uidKey } from '../delivery/delivery.js'
import { handleClientMessages } from '../protocol/client-messages.js'
import type { DaemonStats } from '../stats.js'
import type { Store } from '../store/store.js'
import type { WorkerGenerations } from '../workers/generations.js'
import type { ClosedConnection, ConnectionIdentity } from './connection.js'
import type { ConnectionRegistry } from './registry.js'

export interface ClientLifecycleOptions {
  registry: ConnectionRegistry
  store: Store
  delivery: Delivery
  stats: DaemonStats
  workers: WorkerGenerations
  logger: Logger
  ack: boolean
  escapeHtml: boolean
}

/**
 * What happens to a client between its upgrade and its close: at open it
 * joins the room of its token's code and is bound to its uid; at close, for
 * whatever reason, it leaves them first and then the registered controllers hear of it.
 */
export function createClientLifecycle(options: ClientLifecycleOptions) {
  const { registry, store, logger } = options

  function open(ws: WebSocket, identity: ConnectionIdentity): void {
    const connection = registry.add(ws, identity)
    options.stats.connectionsOpened++
    const fd = String(connection.fd)
    const failed = (err: unknown) => logger.error({ err, fd: connection.fd }, 'store failed at open')
    if (identity.code !== '') {
      connection.closeKeys.add(identity.code)
      store.sadd(identity.code, fd).catch(failed)
    }
    if (identity.auth) {
      const uid = String(identity.auth.id)
      connection.uids.add(uid)
      store.sadd(uidKey(uid), fd).catch(failed)
    }
    handleClientMessages(connection, {
      ack: options.ack,
      escapeHtml: options.escapeHtml,
      registry,
      delivery: options.delivery,
      stats: options.stats,
      logger,
      route: (message) => options.workers.dispatch(message),
    })
    logger.debug({ fd: connection.fd, ip: connection.ip, type: identity.auth?.type, code: identity.code }, 'connection open')
  }

  function closed({ connection, code, reason }: ClosedConnection): void {
    options.stats.connectionsClosed++
    const fd = String(connection.fd)
    const failed = (err: unknown) => logger.error({ err, fd: connection.fd }, 'store failed at close')
    for (const key of connection.closeKeys) store.srem(key, fd).catch(failed)
    for (const uid of connection.uids) store.srem(uidKey(uid), fd).catch(failed)
    if (connection.controllers !== undefined && connection.controllers.size > 0) {
      options.workers.closeEvent([...connection.controllers], { fd: connection.fd, auth: connection.auth ?? {}, code: connection.code, closeCode: code, reason })
    }
    logger.debug({ fd: connection.fd, code, reason }, 'connection closed')
  }

  return { open, closed }
}
