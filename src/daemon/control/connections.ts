import type { ConnectionDetail, ConnectionInfo, ConnectionsListResult, KickResult, ParsedParamsOf } from '../../contracts/control-api.js'
import { MswError } from '../../errors.js'
import { connectionId } from '../../protocol/connection-id.js'
import type { RedisCluster } from '../cluster/redis-cluster.js'
import type { ClusterDelivery } from '../cluster/cluster-delivery.js'
import type { ConnectionRegistry } from '../clients/registry.js'
import type { DaemonStats } from '../stats.js'
import { connectionInfo, remoteConnectionInfo } from './connection-info.js'

type ListParams = ParsedParamsOf<'connections.list'>

export interface ConnectionsDeps {
  node: string
  registry: ConnectionRegistry
  /** The cluster, on the Redis store: the list then covers every node. */
  cluster: RedisCluster | undefined
}

/**
 * `connections.list`: open connections that match every filter given, by node
 * and fd. In a cluster the other nodes' come from the directory in Redis, so
 * the list waits for no node to answer.
 */
export async function listConnections(deps: ConnectionsDeps, params: ListParams): Promise<ConnectionsListResult> {
  const matching: ConnectionInfo[] = []
  for (const { info, uids } of await everyConnection(deps, params.node)) {
    if (matches(info, uids, params)) matching.push(info)
  }
  const page = matching.slice(params.offset, params.offset + params.limit)
  return { total: matching.length, offset: params.offset, limit: params.limit, connections: page }
}

interface Listed {
  info: ConnectionInfo
  /** Every uid the connection is bound to: its token's and those a controller bound. */
  uids: Iterable<string>
}

async function everyConnection({ node, registry, cluster }: ConnectionsDeps, only: string | undefined): Promise<Listed[]> {
  // This node's own connections need no Redis, so `--node <this node>` works while Redis is away.
  const nodes = cluster === undefined || only === node ? [node] : await cluster.nodeIds()
  if (!nodes.includes(node)) nodes.push(node)
  nodes.sort()
  const all: Listed[] = []
  for (const each of nodes) {
    if (only !== undefined && each !== only) continue
    if (each === node) {
      // The registry holds fds in the order they opened, which is ascending.
      for (const connection of registry.values())
        if (connection.state === 'open') all.push({ info: connectionInfo(node, connection), uids: connection.uids })
    } else if (cluster !== undefined) {
      for (const entry of await cluster.entries(each)) all.push({ info: remoteConnectionInfo(each, entry), uids: entry.uids })
    }
  }
  return all
}

function matches(info: ConnectionInfo, uids: Iterable<string>, filter: ListParams): boolean {
  if (filter.room !== undefined && !info.rooms.includes(filter.room)) return false
  if (filter.type !== undefined && info.type !== filter.type) return false
  if (filter.uid !== undefined && ![...uids].includes(filter.uid)) return false
  if (filter.ip !== undefined && info.ip !== filter.ip) return false
  return true
}

/**
 * `connections.get`: one open connection; this node's with its session's key
 * names, another node's from the cluster's directory (its session stays there).
 */
export async function getConnection(deps: ConnectionsDeps, params: ParsedParamsOf<'connections.get'>): Promise<ConnectionDetail> {
  const { fd } = params.fd
  const node = params.fd.node ?? deps.node
  if (node === deps.node) {
    const connection = deps.registry.get(fd)
    if (connection?.state === 'open') {
      return {
        connection: connectionInfo(node, connection),
        uids: [...connection.uids],
        sessionKeys: Object.keys(connection.session ?? {}).sort(),
      }
    }
  } else if (deps.cluster !== undefined) {
    const entry = (await deps.cluster.entries(node)).find((each) => each.fd === fd)
    if (entry) return { connection: remoteConnectionInfo(node, entry), uids: [...entry.uids], sessionKeys: null }
  }
  throw new MswError('MSW_ERR_CONN_NOT_FOUND', `connections.get: no open connection ${connectionId(node, fd)}`)
}

/** `connections.kick`: closes the connection, on whichever node holds it, with the code and reason the client will see. */
export async function kickConnection(
  deps: { node: string; clusterDelivery: ClusterDelivery; stats: DaemonStats },
  params: ParsedParamsOf<'connections.kick'>,
): Promise<KickResult> {
  const { fd } = params.fd
  const node = params.fd.node ?? deps.node
  await deps.clusterDelivery.kick(node, fd, params.code, params.reason)
  if (node === deps.node) deps.stats.kicks++
  return { fd, node, cid: connectionId(node, fd), code: params.code, reason: params.reason }
}
