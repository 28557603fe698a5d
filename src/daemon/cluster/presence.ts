import type { Logger } from 'pino'
import type { Connection } from '../clients/connection.js'
import { MswError } from '../../errors.js'
import type { Store } from '../store/store.js'
import { directoryEntry } from './directory-entry.js'
import { clusterKeys } from './keys.js'

export interface PresenceOptions {
  store: Store
  /** A connection's member in the store's room and uid sets: its fd on one node, its connection id in a cluster. */
  member(connection: Connection): string
  /** The node's directory hash, in a cluster; none on the memory store. */
  directory?: string
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
  }

  /** A controller joined the connection to a room (app.join): the room's set gains it. */
  joined(connection: Connection, room: string): Promise<void> {
    const write = Promise.all([this.options.store.sadd(room, this.options.member(connection)), this.#describe(connection)])
    return this.#settle(write, true, connection, 'join')
  }

  left(connection: Connection, room: string): Promise<void> {
    const write = Promise.all([this.options.store.srem(room, this.options.member(connection)), this.#describe(connection)])
    return this.#settle(write, true, connection, 'leave')
  }

  /** Its rooms changed without a set write of ours (a close key, fdAddCloseKey): only the directory learns of it. */
  roomsChanged(connection: Connection): void {
    void this.#settle(this.#describe(connection), false, connection, 'close key')
  }

  uidBound(connection: Connection, uid: string): Promise<void> {
    if (!this.options.uidSets) return this.#settle(this.#describe(connection), true, connection, 'bind uid')
    const write = Promise.all([this.options.store.sadd(clusterKeys.uid(uid), this.options.member(connection)), this.#describe(connection)])
    return this.#settle(write, true, connection, 'bind uid')
  }

  uidUnbound(connection: Connection, uid: string): Promise<void> {
    if (!this.options.uidSets) return this.#settle(this.#describe(connection), true, connection, 'unbind uid')
    const write = Promise.all([this.options.store.srem(clusterKeys.uid(uid), this.options.member(connection)), this.#describe(connection)])
    return this.#settle(write, true, connection, 'unbind uid')
  }

  closed(connection: Connection): void {
    const { store, directory } = this.options
    const member = this.options.member(connection)
    const writes: Array<Promise<unknown>> = []
    for (const key of connection.rooms) writes.push(store.srem(key, member))
    if (this.options.uidSets) for (const uid of connection.uids) writes.push(store.srem(clusterKeys.uid(uid), member))
    if (directory !== undefined) writes.push(store.hdel(directory, String(connection.fd)))
    void this.#settle(Promise.all(writes), false, connection, 'close')
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
