import type { ParsedParamsOf, RoomInfo, RoomsListResult } from '../../contracts/control-api.js'
import type { RedisCluster } from '../cluster/redis-cluster.js'
import { PresenceTally, tallyLocal } from '../cluster/room-presence.js'
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

/** Every room's connections by uid, read as roomSizes reads them. */
async function roomTallies({ node, index, cluster }: RoomsDeps): Promise<Map<string, PresenceTally>> {
  const tallies = new Map<string, PresenceTally>()
  const tallyOf = (room: string): PresenceTally => {
    let tally = tallies.get(room)
    if (tally === undefined) {
      tally = new PresenceTally()
      tallies.set(room, tally)
    }
    return tally
  }
  for (const [room, members] of index.rooms()) tallyLocal(tallyOf(room), members)
  if (cluster === undefined) return tallies
  for (const other of await cluster.nodeIds()) {
    if (other === node) continue
    for (const entry of await cluster.entries(other)) {
      for (const room of entry.rooms) tallyOf(room).add(entry.uids)
    }
  }
  return tallies
}

/** `rooms.list`: rooms by name, with their member counts (and with `presence`, their uids) across the cluster. */
export async function listRooms(deps: RoomsDeps, params: ParsedParamsOf<'rooms.list'>): Promise<RoomsListResult> {
  const { prefix } = params
  const named = <T>(rooms: Iterable<[string, T]>): Array<[string, T]> =>
    [...rooms].filter(([name]) => prefix === undefined || name.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const page = <T>(rooms: T[]): T[] => rooms.slice(params.offset, params.offset + params.limit)
  let total: number
  let rooms: RoomInfo[]
  if (params.presence === true) {
    const tallies = named(await roomTallies(deps))
    total = tallies.length
    // Only the page's rooms have their uids sorted out.
    rooms = page(tallies).map(([name, tally]) => ({ name, members: tally.connections, anonymous: tally.anonymous, uids: tally.uids() }))
  } else {
    const sizes = named(await roomSizes(deps))
    total = sizes.length
    rooms = page(sizes).map(([name, members]) => ({ name, members }))
  }
  return { total, offset: params.offset, limit: params.limit, rooms }
}
