import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { ConnectionRegistry } from '../clients/registry.js'
import type { Delivery } from '../clients/delivery.js'
import type { DaemonStats } from '../stats.js'
import type { BusMessage } from './bus-message.js'
import { connectionId, parseConnectionId } from '../../protocol/connection-id.js'
import type { RedisCluster } from './redis-cluster.js'

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

  constructor(private readonly options: ClusterDeliveryOptions) {}

  /** The cluster this node belongs to, once it has joined; none on the memory store. */
  attach(cluster: RedisCluster): void {
    this.#cluster = cluster
  }

  toRoom(room: string, message: string, except: Except = []): Promise<Sent> {
    const { local, ids } = this.#split(except)
    const delivered = this.options.delivery.toRoom(room, message, local)
    return this.#publish(delivered, { t: 'room', from: this.options.node, room, msg: message, ...(ids.length > 0 ? { except: ids } : {}) })
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
