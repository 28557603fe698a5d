import type { ConnectionInfo } from '../../ipc/methods.js'
import type { Connection } from '../connections/connection.js'

/** A connection as `connections.list` shows it. */
export function connectionInfo(connection: Connection): ConnectionInfo {
  const { auth } = connection
  return {
    fd: connection.fd,
    id: auth?.id ?? null,
    type: auth?.type ?? null,
    code: connection.code,
    nickname: auth?.nickname ?? null,
    ip: connection.ip,
    rooms: [...connection.closeKeys],
    connectedAt: new Date(connection.connectedAt).toISOString(),
    lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    messagesIn: connection.messagesIn,
    messagesOut: connection.messagesOut,
  }
}
