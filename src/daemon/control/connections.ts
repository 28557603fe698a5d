import { MswError } from '../../errors.js'
import type { ConnectionsListResult, KickResult, ParsedParamsOf } from '../../ipc/methods.js'
import type { Connection } from '../connections/connection.js'
import type { ConnectionRegistry } from '../connections/registry.js'
import type { DaemonStats } from '../stats.js'
import { connectionInfo } from './connection-info.js'

type ListParams = ParsedParamsOf<'connections.list'>

/** `connections.list`: open connections of this node that match every filter given, by fd. */
export function listConnections(registry: ConnectionRegistry, params: ListParams): ConnectionsListResult {
  const matching: Connection[] = []
  for (const connection of registry.values()) {
    if (connection.state === 'open' && matches(connection, params)) matching.push(connection)
  }
  // The registry holds fds in the order they opened, which is ascending.
  const page = matching.slice(params.offset, params.offset + params.limit)
  return { total: matching.length, offset: params.offset, limit: params.limit, connections: page.map(connectionInfo) }
}

function matches(connection: Connection, filter: ListParams): boolean {
  if (filter.room !== undefined && !connection.closeKeys.has(filter.room)) return false
  if (filter.type !== undefined && connection.auth?.type !== filter.type) return false
  if (filter.uid !== undefined && !connection.uids.has(filter.uid)) return false
  if (filter.ip !== undefined && connection.ip !== filter.ip) return false
  return true
}

/** The open connection with this fd, or MSW_ERR_CONN_NOT_FOUND. */
export function openConnection(registry: ConnectionRegistry, fd: number): Connection {
  const connection = registry.get(fd)
  if (!connection || connection.state !== 'open') {
    throw new MswError('MSW_ERR_CONN_NOT_FOUND', `no connection with fd ${fd}`, { details: { fd } })
  }
  return connection
}

/** `connections.kick`: closes the connection with the code and reason the client will see. */
export function kickConnection(registry: ConnectionRegistry, stats: DaemonStats, params: ParsedParamsOf<'connections.kick'>): KickResult {
  const connection = openConnection(registry, params.fd)
  registry.close(connection, params.code, params.reason)
  stats.kicks++
  return { fd: params.fd, code: params.code, reason: params.reason }
}
