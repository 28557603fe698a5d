import type { ConnectionInfo } from '../../ipc/methods.js'
import { connectionId } from '../cluster/connection-id.js'
import type { DirectoryEntry } from '../cluster/directory-entry.js'
import type { Connection } from '../connections/connection.js'

/** A connection of this node as `connections.list` shows it. */
export function connectionInfo(node: string, connection: Connection): ConnectionInfo {
  const { auth } = connection
  return {
    fd: connection.fd,
    node,
    cid: connectionId(node, connection.fd),
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

/** A connection of another node, from the cluster's directory: its activity stays with its node. */
export function remoteConnectionInfo(node: string, entry: DirectoryEntry): ConnectionInfo {
  return {
    fd: entry.fd,
    node,
    cid: connectionId(node, entry.fd),
    id: entry.id,
    type: entry.type,
    code: entry.code,
    nickname: entry.nickname,
    ip: entry.ip,
    rooms: entry.rooms,
    connectedAt: new Date(entry.connectedAt).toISOString(),
    lastActiveAt: null,
    messagesIn: null,
    messagesOut: null,
  }
}
