import type { ParsedParamsOf, RoomsListResult } from '../../ipc/methods.js'
import type { ConnectionRegistry } from '../connections/registry.js'

/**
 * Rooms are the sets a connection leaves when it closes: its token's code and
 * every room a controller joined it to. Counted from the connections
 * themselves, so a room exists exactly while someone is in it.
 */
function roomSizes(registry: ConnectionRegistry): Map<string, number> {
  const sizes = new Map<string, number>()
  for (const connection of registry.values()) {
    if (connection.state !== 'open') continue
    for (const room of connection.closeKeys) sizes.set(room, (sizes.get(room) ?? 0) + 1)
  }
  return sizes
}

export function countRooms(registry: ConnectionRegistry): number {
  return roomSizes(registry).size
}

/** `rooms.list`: rooms by name, with their member counts. */
export function listRooms(registry: ConnectionRegistry, params: ParsedParamsOf<'rooms.list'>): RoomsListResult {
  const { prefix } = params
  const rooms = [...roomSizes(registry)]
    .filter(([name]) => prefix === undefined || name.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, members]) => ({ name, members }))
  return { total: rooms.length, offset: params.offset, limit: params.limit, rooms: rooms.slice(params.offset, params.offset + params.limit) }
}
