import type { ParsedParamsOf, RoomsListResult } from '../../contracts/control-api.js'
import type { RedisCluster } from '../cluster/redis-cluster.js'
import type { LocalIndex } from '../clients/local-index.js'

export interface RoomsDeps {
  node: string
  index: LocalIndex
  cluster: RedisCluster | undefined
}

/**
 * Rooms are what connections leave when they close: their token's code and
 * every room a controller joined them to. Counted from the connections, so a
 * room exists exactly while someone is in it; in a cluster, the other nodes'
 * come from their directories in Redis.
 */
async function roomSizes({ node, index, cluster }: RoomsDeps): Promise<Map<string, number>> {
  const sizes = index.roomSizes()
  if (cluster === undefined) return sizes
  for (const other of await cluster.nodeIds()) {
    if (other === node) continue
    for (const entry of await cluster.entries(other)) {
      for (const room of entry.rooms) sizes.set(room, (sizes.get(room) ?? 0) + 1)
    }
  }
  return sizes
}

/** `rooms.list`: rooms by name, with their member counts across the cluster. */
export async function listRooms(deps: RoomsDeps, params: ParsedParamsOf<'rooms.list'>): Promise<RoomsListResult> {
  const { prefix } = params
  const rooms = [...(await roomSizes(deps))]
    .filter(([name]) => prefix === undefined || name.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, members]) => ({ name, members }))
  return {
    total: rooms.length,
    offset: params.offset,
    limit: params.limit,
    rooms: rooms.slice(params.offset, params.offset + params.limit),
  }
}
