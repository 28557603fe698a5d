import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { ConnectionRegistry } from '../clients/registry.js'
import type { Delivery } from '../clients/delivery.js'
import type { DaemonStats } from '../stats.js'
import type { BusMessage } from './bus-message.js'
import { connectionId, parseConnectionId } from '../../protocol/connection-id.js'
import type { RedisCluster } from './redis-cluster.js'
import { MemoryHistory } from '../history/memory-history.js'
import type { RoomHistory } from '../history/open-history.js'
import type { RedisHistory } from '../history/redis-history.js'

/** How long a sender waits to hear its own history message back before it reports 0 written here. */
const ECHO_TIMEOUT_MS = 2000

/** Who a send skips: fds of the node that takes the request, or connection ids anywhere. */
export type Except = ReadonlyArray<number | string>

export interface Sent {
  /** Sockets written on this node. */
  delivered: number
  /** Other nodes the message went to (they deliver to their own members); 0 on one node. */
  nodes: number
}

export interface ClusterDeliveryOptions {
  node: string
  registry: ConnectionRegistry
  delivery: Delivery
  stats: DaemonStats
  logger: Logger
  /** With history on: room sends get an offset and a seq (see toRoom). */
  history?: RoomHistory
}

/**
 * Sends wherever the connections live. A room send, a uid send or a broadcast
 * is delivered here at once and published once for the other nodes, which
 * deliver to their own members: each connection gets it exactly once, and
 * nothing waits for the other nodes to answer. A send to one connection goes
 * to the node that holds it.
 */
export class ClusterDelivery {
  #cluster: RedisCluster | undefined
  /** This node's history sends waiting to hear themselves back, by nonce: how many sockets here they reached. */
  readonly #echoes = new Map<number, (written: number) => void>()
  #nonce = 0

  constructor(private readonly options: ClusterDeliveryOptions) {}

  /** The cluster this node belongs to, once it has joined; none on the memory store. */
  attach(cluster: RedisCluster): void {
    this.#cluster = cluster
  }

  /**
   * With history on, the room's next offset first: on one node it is given,
   * kept and delivered in one turn; in a cluster, the script that gives it also
   * publishes the message, and every node (this one too) delivers it when it
   * hears it, so all hear a room's messages in offset order.
   */
  toRoom(room: string, message: string, except: Except = []): Promise<Sent> {
    const { history } = this.options
    if (history instanceof MemoryHistory) {
      const position = history.append(room, message)
      return Promise.resolve({ delivered: this.options.delivery.toRoomAt(room, message, position, this.#split(except).local), nodes: 0 })
    }
    if (history !== undefined) return this.#toRoomShared(history, room, message, except)
    const { local, ids } = this.#split(except)
    const delivered = this.options.delivery.toRoom(room, message, local)
    return this.#publish(delivered, { t: 'room', from: this.options.node, room, msg: message, ...(ids.length > 0 ? { except: ids } : {}) })
  }

  async #toRoomShared(history: RedisHistory, room: string, message: string, except: Except): Promise<Sent> {
    const { node } = this.options
    const cluster = this.#cluster as RedisCluster
    const ids = except.map((item) => (typeof item === 'number' ? connectionId(node, item) : item))
    const n = ++this.#nonce
    const bus: Omit<Extract<BusMessage, { t: 'hist' }>, 'e' | 'o'> = { t: 'hist', from: node, room, msg: message, n }
    if (ids.length > 0) bus.except = ids
    // The script appends `"e":…,"o":…}` once it knows them.
    const head = `${JSON.stringify(bus).slice(0, -1)},`
    let timer: NodeJS.Timeout | undefined
    const echoed = new Promise<number>((resolve) => {
      this.#echoes.set(n, resolve)
      timer = setTimeout(() => resolve(0), ECHO_TIMEOUT_MS)
    })
    try {
      const { heard } = await history.append(room, message, cluster.bus.channel, head)
      const delivered = await echoed
      return { delivered, nodes: Math.max(0, heard - (cluster.bus.ready ? 1 : 0)) }
    } catch (err) {
      // Only a Redis that does not answer makes the node degraded, not a script's refusal.
      if (err instanceof MswError && err.code === 'MSW_ERR_STORE_UNAVAILABLE') cluster.unavailable(err)
      throw err
    } finally {
      clearTimeout(timer)
      this.#echoes.delete(n)
    }
  }

  toAll(message: string, except: Except = []): Promise<Sent> {
    const { local, ids } = this.#split(except)
    const delivered = this.options.delivery.toAll(message, local)
    return this.#publish(delivered, { t: 'all', from: this.options.node, msg: message, ...(ids.length > 0 ? { except: ids } : {}) })
  }

  toUid(uid: string, message: string): Promise<Sent> {
    const delivered = this.options.delivery.toUid(uid, message)
    return this.#publish(delivered, { t: 'uid', from: this.options.node, uid, msg: message })
  }

  /** To one connection, here or on its node; MSW_ERR_CONN_NOT_FOUND when there is none. */
  async toConnection(node: string | undefined, fd: number, message: string): Promise<Sent> {
    if (this.#isHere(node)) {
      const connection = this.#openHere(fd)
      return { delivered: this.options.delivery.write(connection, message) ? 1 : 0, nodes: 0 }
    }
    const owner = node as string
    await this.#remoteConnection(owner, fd)
    await this.#toNode(owner, { t: 'fd', from: this.options.node, fd, msg: message })
    return { delivered: 0, nodes: 1 }
  }

  /** Closes a connection here or on its node with the code and reason its client will see. */
  async kick(node: string | undefined, fd: number, code: number, reason: string): Promise<void> {
    if (this.#isHere(node)) {
      this.options.registry.close(this.#openHere(fd), code, reason)
      return
    }
    const owner = node as string
    await this.#remoteConnection(owner, fd)
    await this.#toNode(owner, { t: 'kick', from: this.options.node, fd, code, reason })
  }

  async #toNode(node: string, message: BusMessage): Promise<void> {
    const cluster = this.#cluster as RedisCluster
    let heard: boolean
    try {
      heard = await cluster.bus.toNode(node, message)
    } catch (err) {
      cluster.unavailable(err)
      throw new MswError('MSW_ERR_STORE_UNAVAILABLE', `cannot reach node ${node} while Redis is away`, { cause: err, details: { node } })
    }
    // Listed but not listening: it died and its heartbeat has not expired yet.
    if (!heard)
      throw new MswError('MSW_ERR_CONN_NOT_FOUND', `node ${node} is not answering`, {
        details: { node, fd: message.t === 'fd' || message.t === 'kick' ? message.fd : undefined },
      })
  }

  /** What another node asked of this one. */
  receive(message: BusMessage): void {
    const { delivery, registry } = this.options
    switch (message.t) {
      case 'room':
        delivery.toRoom(message.room, message.msg, this.#localExcept(message.except))
        return
      case 'all':
        delivery.toAll(message.msg, this.#localExcept(message.except))
        return
      case 'hist': {
        const position = { epoch: message.e, offset: message.o }
        const written = delivery.toRoomAt(message.room, message.msg, position, this.#localExcept(message.except))
        if (message.from === this.options.node && message.n !== undefined) this.#echoes.get(message.n)?.(written)
        return
      }
      case 'uid':
        delivery.toUid(message.uid, message.msg)
        return
      case 'fd':
        delivery.toFd(message.fd, message.msg)
        return
      case 'kick': {
        const connection = registry.get(message.fd)
        if (connection?.state === 'open') {
          registry.close(connection, message.code, message.reason)
          this.options.stats.kicks++
          this.options.logger.info({ fd: message.fd, by: message.from, code: message.code, reason: message.reason }, 'connection kicked')
        }
        return
      }
    }
  }

  #isHere(node: string | undefined): boolean {
    return node === undefined || node === this.options.node
  }

  #openHere(fd: number) {
    const connection = this.options.registry.get(fd)
    if (!connection || connection.state !== 'open') {
      throw new MswError('MSW_ERR_CONN_NOT_FOUND', `no connection with fd ${fd}`, { details: { fd } })
    }
    return connection
  }

  async #remoteConnection(node: string, fd: number): Promise<void> {
    const cluster = this.#cluster
    // On one node (the memory store) no other node's connection exists.
    if (cluster === undefined || !(await cluster.hasConnection(node, fd))) {
      const id = connectionId(node, fd)
      throw new MswError('MSW_ERR_CONN_NOT_FOUND', `no connection ${id}`, { details: { node, fd, id } })
    }
  }

  async #publish(delivered: number, message: BusMessage): Promise<Sent> {
    const cluster = this.#cluster
    if (cluster === undefined) return { delivered, nodes: 0 }
    try {
      return { delivered, nodes: await cluster.bus.toEveryNode(message) }
    } catch (err) {
      // Redis is away: this node's members have it; the others miss it, as pub/sub does.
      cluster.unavailable(err)
      return { delivered, nodes: 0 }
    }
  }

  /** Splits into this node's fds (numbers, and ids of this node) and the ids the other nodes need. */
  #split(except: Except): { local: Set<number> | undefined; ids: string[] } {
    if (except.length === 0) return { local: undefined, ids: [] }
    const local = new Set<number>()
    const ids: string[] = []
    for (const item of except) {
      if (typeof item === 'number') {
        local.add(item)
        continue
      }
      const ref = parseConnectionId(item)
      if (ref === undefined) continue
      if (ref.node === this.options.node) local.add(ref.fd)
      else ids.push(item)
    }
    return { local, ids }
  }

  #localExcept(ids: readonly string[] | undefined): Set<number> | undefined {
    if (ids === undefined) return undefined
    const local = new Set<number>()
    for (const id of ids) {
      const ref = parseConnectionId(id)
      if (ref?.node === this.options.node) local.add(ref.fd)
    }
    return local
  }
}
