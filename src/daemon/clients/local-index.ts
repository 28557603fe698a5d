import type { Connection } from './connection.js'

/**
 * This node's rooms and uids, each to the open connections in it (a
 * connection's own `rooms` say which it leaves when it closes). Room sends
 * and uid sends read this index, never the store, so they cost no round trip
 * and stay correct whichever store holds the cluster's view.
 */
export class LocalIndex {
  readonly #rooms = new Map<string, Set<Connection>>()
  readonly #uids = new Map<string, Set<Connection>>()

  /** True when the connection was not in the room yet. */
  join(connection: Connection, room: string): boolean {
    if (connection.state !== 'open' || connection.rooms.has(room)) return false
    connection.rooms.add(room)
    add(this.#rooms, room, connection)
    return true
  }

  /** True when the connection was in the room. */
  leave(connection: Connection, room: string): boolean {
    if (!connection.rooms.delete(room)) return false
    remove(this.#rooms, room, connection)
    return true
  }

  bindUid(connection: Connection, uid: string): boolean {
    if (connection.state !== 'open' || connection.uids.has(uid)) return false
    connection.uids.add(uid)
    add(this.#uids, uid, connection)
    return true
  }

  unbindUid(connection: Connection, uid: string): boolean {
    if (!connection.uids.delete(uid)) return false
    remove(this.#uids, uid, connection)
    return true
  }

  /** Takes a closed connection out of every room and uid; its own sets stay, for the close hooks to read. */
  forget(connection: Connection): void {
    for (const room of connection.rooms) remove(this.#rooms, room, connection)
    for (const uid of connection.uids) remove(this.#uids, uid, connection)
  }

  room(room: string): ReadonlySet<Connection> {
    return this.#rooms.get(room) ?? EMPTY
  }

  uid(uid: string): ReadonlySet<Connection> {
    return this.#uids.get(uid) ?? EMPTY
  }

  get roomCount(): number {
    return this.#rooms.size
  }

  /** Every room with its number of members here. */
  roomSizes(): Map<string, number> {
    const sizes = new Map<string, number>()
    for (const [room, members] of this.#rooms) sizes.set(room, members.size)
    return sizes
  }
}

const EMPTY: ReadonlySet<Connection> = new Set()

function add(index: Map<string, Set<Connection>>, key: string, connection: Connection): void {
  let members = index.get(key)
  if (members === undefined) {
    members = new Set()
    index.set(key, members)
  }
  members.add(connection)
}

function remove(index: Map<string, Set<Connection>>, key: string, connection: Connection): void {
  const members = index.get(key)
  if (members === undefined) return
  members.delete(connection)
  if (members.size === 0) index.delete(key)
}
