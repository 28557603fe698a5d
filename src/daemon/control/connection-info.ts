import type { ConnectionInfo } from '../../contracts/control-api.js'
import { connectionId } from '../../protocol/connection-id.js'
import { describeConnection, type DirectoryEntry } from '../cluster/directory-entry.js'
import { epochMs } from '../clients/clock.js'
import type { Connection } from '../clients/connection.js'

/** A connection of this node as `connections.list` shows it, with its activity. */
export function connectionInfo(node: string, connection: Connection): ConnectionInfo {
  return {
    ...remoteConnectionInfo(node, describeConnection(connection)),
    lastActiveAt: new Date(epochMs(connection.lastActiveAt)).toISOString(),
    messagesIn: connection.messagesIn,
    messagesOut: connection.messagesOut,
  }
}

/** A connection from the cluster's directory: its activity stays with the node that holds it. */
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
