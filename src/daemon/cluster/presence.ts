import type { Logger } from 'pino'
import type { RoomPresence } from '../../app-api/types.js'
import type { Connection } from '../clients/connection.js'
import type { LocalIndex } from '../clients/local-index.js'
import { MswError } from '../../errors.js'
import type { RedisStore } from '../store/redis-store.js'
import type { Store } from '../store/store.js'
import { directoryEntry } from './directory-entry.js'
import { clusterKeys } from './keys.js'
import type { PresenceEvents } from './presence-events.js'
import { PresenceTally, tallyLocal, tallyRemote } from './room-presence.js'

export interface PresenceOptions {
  store: Store
  /** A connection's member in the store's room and uid sets: its fd on one node, its connection id in a cluster. */
  member(connection: Connection): string
  /** The node's directory hash, in a cluster; none on the memory store. */
  directory?: string
  /** This node's id, in a cluster (whose store is then Redis); none on the memory store. */
  node?: string
  /** This node's rooms and uids, for its part of a room's presence. */
  index: LocalIndex
  /** app.json `presence`'s events; none while it names no room. */
  events?: PresenceEvents | undefined
  /**
   * Whether each uid gets a set in the store. Only a cluster reads them (is the
   * uid bound on another node?); on one node the local index answers, and a
   * set per uid would cost some 300 bytes a connection.
   */
  uidSets: boolean
  /** A write failed because the store is away; the cluster rewrites this node's entries once it is back. */
  onUnavailable(err: MswError): void
  logger: Logger
}

/**
 * Mirrors this node's connections into the store: room sets (for `count` and
 * the cluster's views), uid sets and, in a cluster, the node's directory. The
 * local index stays the truth for delivery; this is what other nodes see.
 */
export class Presence {
  constructor(private readonly options: PresenceOptions) {}

  opened(connection: Connection): void {
    const { store } = this.options
    const member = this.options.member(connection)
    const writes: Array<Promise<unknown>> = []
    if (connection.code !== '') writes.push(store.sadd(connection.code, member))
    if (this.options.uidSets) for (const uid of connection.uids) writes.push(store.sadd(clusterKeys.uid(uid), member))
    writes.push(this.#describe(connection))
    void this.#settle(Promise.all(writes), false, connection, 'open')
    this.options.events?.opened(connection)
  }

  /**
   * A controller joined the connection to a room (app.join): the room's set
   * gains it. `entered` says it was not in the room yet; then, in a presence
   * room, this settles once the room has had its presenceJoin, if any.
   */
  joined(connection: Connection, room: string, entered = true): Promise<void> {
    const write = Promise.all([this.options.store.sadd(room, this.options.member(connection)), this.#describe(connection)])
    return this.#withEvent(
      this.#settle(write, true, connection, 'join'),
      entered ? this.options.events?.entered(connection, room) : undefined,
    )
  }

  left(connection: Connection, room: string, wasIn = true): Promise<void> {
    const write = Promise.all([this.options.store.srem(room, this.options.member(connection)), this.#describe(connection)])
    return this.#withEvent(this.#settle(write, true, connection, 'leave'), wasIn ? this.options.events?.left(connection, room) : undefined)
  }

  /** It entered or left a room without a set write of ours (a close key, fdAddCloseKey): only the directory learns of it. */
  roomsChanged(connection: Connection, room: string, entered: boolean): void {
    void this.#settle(this.#describe(connection), false, connection, 'close key')
    const { events } = this.options
    if (events !== undefined) void (entered ? events.entered(connection, room) : events.left(connection, room))
  }

  /** A uid was bound to it; `bound` says it was not bound yet. */
  uidBound(connection: Connection, uid: string, bound = true): Promise<void> {
    const event = bound ? this.options.events?.bound(connection, uid) : undefined
    if (!this.options.uidSets) return this.#withEvent(this.#settle(this.#describe(connection), true, connection, 'bind uid'), event)
    const write = Promise.all([this.options.store.sadd(clusterKeys.uid(uid), this.options.member(connection)), this.#describe(connection)])
    return this.#withEvent(this.#settle(write, true, connection, 'bind uid'), event)
  }

  uidUnbound(connection: Connection, uid: string, wasBound = true): Promise<void> {
    const event = wasBound ? this.options.events?.unbound(connection, uid) : undefined
    if (!this.options.uidSets) return this.#withEvent(this.#settle(this.#describe(connection), true, connection, 'unbind uid'), event)
    const write = Promise.all([this.options.store.srem(clusterKeys.uid(uid), this.options.member(connection)), this.#describe(connection)])
    return this.#withEvent(this.#settle(write, true, connection, 'unbind uid'), event)
  }

  /**
   * Who is in a room: this node's connections from the local index, and in a
   * cluster the other nodes' from the room's set and their directories. With
   * presence events on, it waits for this node's events under way before it
   * answers, so the joins and leaves of what it counts have been sent.
   */
  async read(room: string): Promise<RoomPresence> {
    const { events, index, node } = this.options
    const tally = new PresenceTally()
    tallyLocal(tally, index.room(room))
    // After the local count: every change it reflects has had its events sent when this answers.
    await events?.settled()
    // With a node id the store is Redis (see PresenceOptions.node).
    if (node !== undefined) await tallyRemote(tally, this.options.store as RedisStore, node, room)
    return tally.result(room)
  }

  closed(connection: Connection): void {
    const { store, directory } = this.options
    const member = this.options.member(connection)
    const writes: Array<Promise<unknown>> = []
    for (const key of connection.rooms) writes.push(store.srem(key, member))
    if (this.options.uidSets) for (const uid of connection.uids) writes.push(store.srem(clusterKeys.uid(uid), member))
    if (directory !== undefined) writes.push(store.hdel(directory, String(connection.fd)))
    void this.#settle(Promise.all(writes), false, connection, 'close')
    this.options.events?.closed(connection)
  }

  /** The store write, then (at the same time) the presence event: settles when both have. */
  async #withEvent(write: Promise<void>, event: Promise<void> | undefined): Promise<void> {
    if (event === undefined) return write
    await Promise.all([write, event])
  }

  #describe(connection: Connection): Promise<unknown> {
    const { directory } = this.options
    if (directory === undefined || connection.state !== 'open') return Promise.resolve()
    return this.options.store.hset(directory, String(connection.fd), directoryEntry(connection))
  }

  /**
   * A store that is away is not the caller's failure: local traffic goes on and
   * the cluster catches up when the store is back. Anything else (a room key
   * that a controller made a string, say) reaches the caller or the log.
   */
  async #settle(write: Promise<unknown>, rethrow: boolean, connection: Connection, what: string): Promise<void> {
    try {
      await write
    } catch (err) {
      if (err instanceof MswError && err.code === 'MSW_ERR_STORE_UNAVAILABLE') return this.options.onUnavailable(err)
      if (rethrow) throw err
      this.options.logger.error({ err, fd: connection.fd }, `store failed at ${what}`)
    }
  }
}
