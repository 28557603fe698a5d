import type { Connection } from './connection.js'

/** A room's or uid's members here: most uids, and many rooms, have one connection, held without a Set (some 200 bytes each). */
type Members = Connection | Set<Connection>

/**
 * This node's rooms and uids, each to the open connections in it (a
 * connection's own `rooms` say which it leaves when it closes). Room sends
 * and uid sends read this index, never the store, so they cost no round trip
 * and stay correct whichever store holds the cluster's view.
 */
export class LocalIndex {
  readonly #rooms = new Map<string, Members>()
  readonly #uids = new Map<string, Members>()

  /** True when the connection was not in the room yet. */
  join(connection: Connection, room: string): boolean {
    if (connection.state !== 'open' || connection.rooms.includes(room)) return false
    connection.rooms = connection.rooms.concat(room)
    add(this.#rooms, room, connection)
    return true
  }

  /** True when the connection was in the room. */
  leave(connection: Connection, room: string): boolean {
    if (!connection.rooms.includes(room)) return false
    connection.rooms = connection.rooms.toSpliced(connection.rooms.indexOf(room), 1)
    remove(this.#rooms, room, connection)
    return true
  }

  bindUid(connection: Connection, uid: string): boolean {
    if (connection.state !== 'open' || connection.uids.includes(uid)) return false
    connection.uids = connection.uids.concat(uid)
    add(this.#uids, uid, connection)
    return true
  }

  unbindUid(connection: Connection, uid: string): boolean {
    if (!connection.uids.includes(uid)) return false
    connection.uids = connection.uids.toSpliced(connection.uids.indexOf(uid), 1)
    remove(this.#uids, uid, connection)
    return true
  }

  /** Takes a closed connection out of every room and uid; its own lists stay, for the close hooks to read. */
  forget(connection: Connection): void {
    for (const room of connection.rooms) remove(this.#rooms, room, connection)
    for (const uid of connection.uids) remove(this.#uids, uid, connection)
  }

  /** The room's members here; a Set the index goes on changing, or a list of one. */
  room(room: string): ReadonlySet<Connection> | readonly Connection[] {
    return members(this.#rooms.get(room))
  }

  uid(uid: string): ReadonlySet<Connection> | readonly Connection[] {
    return members(this.#uids.get(uid))
  }

  get roomCount(): number {
    return this.#rooms.size
  }

  /** Every room with its members here. */
  *rooms(): IterableIterator<[room: string, members: ReadonlySet<Connection> | readonly Connection[]]> {
    for (const [room, held] of this.#rooms) yield [room, members(held)]
  }

  /** Every room with its number of members here. */
  roomSizes(): Map<string, number> {
    const sizes = new Map<string, number>()
    for (const [room, held] of this.#rooms) sizes.set(room, held instanceof Set ? held.size : 1)
    return sizes
  }
}

const NOBODY: readonly Connection[] = Object.freeze([])

function members(held: Members | undefined): ReadonlySet<Connection> | readonly Connection[] {
  if (held === undefined) return NOBODY
  return held instanceof Set ? held : [held]
}

function add(index: Map<string, Members>, key: string, connection: Connection): void {
  const held = index.get(key)
  if (held === undefined) index.set(key, connection)
  else if (held instanceof Set) held.add(connection)
  else if (held !== connection) index.set(key, new Set([held, connection]))
}

function remove(index: Map<string, Members>, key: string, connection: Connection): void {
  const held = index.get(key)
  if (held === connection) index.delete(key)
  else if (held instanceof Set && held.delete(connection) && held.size === 0) index.delete(key)
}
