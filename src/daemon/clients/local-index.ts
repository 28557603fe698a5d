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
  /**
   * Each room's list of that room alone, which every connection in it and in no
   * other shares (most are in their token's room only): one list a room rather
   * than one a connection. Lists are never changed, so sharing one is safe.
   */
  readonly #alone = new Map<string, readonly string[]>()

  /** True when the connection was not in the room yet. */
  join(connection: Connection, room: string): boolean {
    if (connection.state !== 'open' || connection.rooms.includes(room)) return false
    add(this.#rooms, room, connection)
    connection.rooms = connection.rooms.length === 0 ? this.#roomAlone(room) : connection.rooms.concat(room)
    return true
  }

  /** True when the connection was in the room. */
  leave(connection: Connection, room: string): boolean {
    if (!connection.rooms.includes(room)) return false
    const rooms = connection.rooms.toSpliced(connection.rooms.indexOf(room), 1)
    this.#removeFromRoom(room, connection)
    connection.rooms = rooms.length === 1 ? this.#roomAlone(rooms[0]!) : rooms
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
    for (const room of connection.rooms) this.#removeFromRoom(room, connection)
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

  /** The shared list of `room` alone; the room must have a member here. */
  #roomAlone(room: string): readonly string[] {
    let list = this.#alone.get(room)
    if (list === undefined) {
      list = Object.freeze([room])
      this.#alone.set(room, list)
    }
    return list
  }

  #removeFromRoom(room: string, connection: Connection): void {
    remove(this.#rooms, room, connection)
    if (!this.#rooms.has(room)) this.#alone.delete(room)
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
