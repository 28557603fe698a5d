import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { NodeSummary } from '../../contracts/control-api.js'
import type { ConnectionRegistry } from '../clients/registry.js'
import { isProcessAlive } from '../runtime/process-alive.js'
import { storeError } from '../store/redis-errors.js'
import type { RedisStore } from '../store/redis-store.js'
import { Bus } from './bus.js'
import type { BusMessage } from './bus-message.js'
import { describeConnection, type DirectoryEntry } from './directory-entry.js'
import { heartbeatValue, parseHeartbeat } from './heartbeat-value.js'
import { clusterKeys } from './keys.js'
import type { ClusterPresence } from './presence-events.js'
import { membershipSets, readDirectory, sweepNode, tryLock, unlock } from './sweep.js'

export type ClusterState = 'ok' | 'degraded'

export interface RedisClusterOptions {
  store: RedisStore
  node: string
  registry: ConnectionRegistry
  /** setting.node_timeout in ms: a node silent this long is gone, its connections removed. */
  nodeTimeoutMs: number
  logger: Logger
  onMessage(message: BusMessage): void
  /** app.json `presence`'s counts, when it names rooms: a node's share is removed with it, and set again when it rewrites its entries. */
  presence?: ClusterPresence | undefined
  /** This node as the others should see it (status's cluster.members), written at each heartbeat. */
  summary?: () => NodeSummary
}

/** Commands per write when a node rewrites its entries: big enough to be few, small enough not to stall Redis. */
const CHUNK = 1000
const LOCK_ATTEMPTS = 100
const LOCK_RETRY_MS = 100

/**
 * This node's membership of a cluster on Redis.
 * - Liveness: a heartbeat key that expires at half of node_timeout, refreshed
 *   six times per node_timeout. Each refresh also looks for nodes whose key has
 *   expired; one survivor, holding that node's lock, removes its connections
 *   from every room and uid set, so a dead node is gone within node_timeout.
 * - Outages: while Redis is away the node serves its own connections; writes
 *   that fail are not retried one by one. Once Redis and the subscription are
 *   back, the node rewrites its entries (removing what it left behind) and
 *   reports ok again. Each change of state is logged once.
 */
export class RedisCluster {
  readonly instance = randomUUID()
  readonly bus: Bus
  #state: ClusterState = 'ok'
  #needsRewrite = false
  #nodes: string[] = []
  #members: NodeSummary[] = []
  #timer: NodeJS.Timeout | undefined
  #ticking: Promise<void> | undefined
  #stopped = false
  readonly #heartbeat: string
  readonly #ttlMs: number

  private constructor(private readonly options: RedisClusterOptions) {
    this.bus = new Bus({
      store: options.store,
      node: options.node,
      onMessage: options.onMessage,
      otherNodes: () => this.#nodes.filter((node) => node !== options.node).length,
    })
    this.#heartbeat = heartbeatValue(this.instance)
    this.#ttlMs = Math.max(1000, Math.round(options.nodeTimeoutMs / 2))
  }

  /** Joins the cluster: refuses a node id that a live node holds, cleans up after a former self, subscribes. */
  static async join(options: RedisClusterOptions): Promise<RedisCluster> {
    const cluster = new RedisCluster(options)
    try {
      await cluster.#claim()
      await cluster.bus.start()
      await cluster.#rewrite()
      cluster.#nodes = await options.store.client.smembers(options.store.k(clusterKeys.nodes))
    } catch (err) {
      cluster.bus.close()
      throw err
    }
    cluster.#watch()
    return cluster
  }

  get node(): string {
    return this.options.node
  }

  get state(): ClusterState {
    return this.#state
  }

  /** The nodes seen at the last heartbeat. */
  get nodes(): readonly string[] {
    return this.#nodes
  }

  /** A heartbeat now, not at the next tick: after a change the others should see soon (the workers up). */
  refresh(): Promise<void> {
    return this.#tick()
  }

  /** What the nodes reported at the last heartbeat, in `nodes` order. */
  get members(): readonly NodeSummary[] {
    return this.#members
  }

  /** A write or publish failed because Redis is away: report degraded and rewrite once it is back. */
  unavailable(err: unknown): void {
    this.#needsRewrite = true
    if (this.#state === 'degraded' || this.#stopped) return
    this.#state = 'degraded'
    this.options.logger.warn({ err }, 'lost Redis: serving this node only until it is back')
  }

  /** The cluster's nodes, read from Redis; MSW_ERR_STORE_UNAVAILABLE while it is away. */
  nodeIds(): Promise<string[]> {
    const { store } = this.options
    return this.#read(() => store.client.smembers(store.k(clusterKeys.nodes)))
  }

  /** The directory of another node: its connections as it last wrote them. */
  async entries(node: string): Promise<DirectoryEntry[]> {
    const entries = await this.#read(() => readDirectory(this.options.store, node))
    return entries.sort((a, b) => a.fd - b.fd)
  }

  /** Whether a live node holds this fd: in its directory, with its heartbeat current. */
  async hasConnection(node: string, fd: number): Promise<boolean> {
    const { store } = this.options
    const [listed, alive] = await this.#read(() =>
      Promise.all([
        store.client.hexists(store.k(clusterKeys.connections(node)), String(fd)),
        store.client.exists(store.k(clusterKeys.heartbeat(node))),
      ]),
    )
    return listed === 1 && alive === 1
  }

  async #read<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (err) {
      this.unavailable(err)
      throw storeError(err, undefined, this.options.store.url)
    }
  }

  /** Leaves the cluster: this node's entries, heartbeat and subscription go. Call after its connections have closed. */
  async leave(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#ticking
    const { store, node } = this.options
    try {
      if (await tryLock(store, node, this.instance)) {
        await sweepNode(store, node, this.options.presence)
        await store.client.del(store.k(clusterKeys.heartbeat(node)))
        await store.client.hdel(store.k(clusterKeys.nodeInfo), node)
        await unlock(store, node, this.instance)
      }
    } catch (err) {
      // Redis is away: the other nodes remove this one's entries once its heartbeat expires.
      this.options.logger.warn({ err }, 'could not remove this node from the cluster; the others will once its heartbeat expires')
    }
    this.bus.close()
  }

  #watch(): void {
    const { store, nodeTimeoutMs } = this.options
    const lost = (): void => this.unavailable(new MswError('MSW_ERR_STORE_UNAVAILABLE', `the connection to ${store.url} closed`))
    const back = (): void => void this.#tick()
    store.client.on('close', lost).on('ready', back)
    this.bus.subscriber.on('close', lost).on('ready', back)
    this.#timer = setInterval(() => void this.#tick(), Math.max(200, Math.round(nodeTimeoutMs / 6)))
    this.#timer.unref()
  }

  /** One heartbeat; runs one at a time. */
  #tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    this.#ticking ??= this.#beat().finally(() => (this.#ticking = undefined))
    return this.#ticking
  }

  async #beat(): Promise<void> {
    const { store, node, logger } = this.options
    const { client } = store
    try {
      if (this.#needsRewrite) {
        if (client.status !== 'ready' || !this.bus.ready) return
        await this.#rewrite()
        this.#needsRewrite = false
        if (this.#state === 'degraded') logger.info('Redis is back: subscribed again and this node rewritten')
        this.#state = 'ok'
      }
      const before = await client.set(store.k(clusterKeys.heartbeat(node)), this.#heartbeat, 'PX', this.#ttlMs, 'GET')
      if (before !== this.#heartbeat) {
        // Our key had expired (a long pause, a Redis restart): others may have removed our entries.
        logger.warn('this node was missing from the cluster; writing its entries again')
        await this.#rewrite()
        return
      }
      const nodes = await client.smembers(store.k(clusterKeys.nodes))
      for (const other of nodes) {
        if (other !== node && (await client.exists(store.k(clusterKeys.heartbeat(other)))) === 0) await this.#sweepDead(other)
      }
      this.#nodes = nodes.includes(node) ? nodes : [...nodes, node]
      await this.#exchangeSummaries()
    } catch (err) {
      this.unavailable(err)
    }
  }

  /** Writes this node's summary and reads the others', dropping those of nodes no longer in the cluster. */
  async #exchangeSummaries(): Promise<void> {
    const { store, node, summary } = this.options
    if (summary === undefined) return
    const key = store.k(clusterKeys.nodeInfo)
    await store.client.hset(key, node, JSON.stringify(summary()))
    const all = await store.client.hgetall(key)
    const gone = Object.keys(all).filter((name) => !this.#nodes.includes(name))
    if (gone.length > 0) await store.client.hdel(key, ...gone)
    this.#members = this.#nodes.flatMap((name) => {
      const text = all[name]
      if (text === undefined) return []
      try {
        return [JSON.parse(text) as NodeSummary]
      } catch {
        return []
      }
    })
  }

  /** Removes a node whose heartbeat expired, unless another survivor is at it or the node came back. */
  async #sweepDead(node: string): Promise<void> {
    const { store, logger } = this.options
    if (!(await tryLock(store, node, this.instance))) return
    try {
      // Under the lock, look again: the node may be back, or another survivor may have removed it since our read of @nodes.
      const [alive, listed] = await Promise.all([
        store.client.exists(store.k(clusterKeys.heartbeat(node))),
        store.client.sismember(store.k(clusterKeys.nodes), node),
      ])
      if (alive === 1 || listed === 0) return
      const removed = (await sweepNode(store, node, this.options.presence)).length
      logger.warn({ deadNode: node, connections: removed }, 'a node stopped answering: removed its connections from the cluster')
    } finally {
      await unlock(store, node, this.instance)
    }
  }

  /** At start, another heartbeat under our id is a former self (dead) or a namesake (alive): tell which. */
  async #claim(): Promise<void> {
    const { store, node } = this.options
    const key = store.k(clusterKeys.heartbeat(node))
    const holder = parseHeartbeat(await store.client.get(key))
    if (holder === undefined) return
    if (holder.host === hostname() && !isProcessAlive(holder.pid)) return
    // A live holder refreshes its key at least once within our wait; a dead one lets it expire.
    let last = await store.client.pttl(key)
    const step = Math.max(100, Math.round(this.options.nodeTimeoutMs / 12))
    for (let waited = 0; waited <= this.#ttlMs + step && last > 0; waited += step) {
      await delay(step)
      const now = await store.client.pttl(key)
      if (now > last) {
        throw new MswError(
          'MSW_ERR_NODE_ID_IN_USE',
          `node id "${node}" is held by a live node (pid ${holder.pid} on ${holder.host}); give this node another app.json node_id`,
          {
            details: { node, pid: holder.pid, host: holder.host },
          },
        )
      }
      last = now
    }
  }

  /**
   * Removes what this node left in Redis (a former self's connections, closes
   * that failed while Redis was away) and writes its present: heartbeat, node
   * list, directory, room and uid sets. Holds the node's lock throughout.
   */
  async #rewrite(): Promise<void> {
    const { store, node } = this.options
    let attempt = 0
    while (!(await tryLock(store, node, this.instance))) {
      if (++attempt >= LOCK_ATTEMPTS) throw new MswError('MSW_ERR_STORE_UNAVAILABLE', `the lock on node ${node} stayed taken`)
      await delay(LOCK_RETRY_MS)
    }
    try {
      const before = await sweepNode(store, node)
      const { presence } = this.options
      const presenceRooms = presence === undefined ? [] : [...(await presence.rooms(node)), ...before.flatMap((e) => e.rooms)]
      // Issued in one synchronous pass, so a close that happens meanwhile reaches Redis after these writes.
      await Promise.all(this.#writeEntries(presenceRooms))
    } finally {
      await unlock(store, node, this.instance).catch(() => {})
    }
  }

  /** This node's present, as writes; with presence, its share of these rooms and its connections' is set to what they hold. */
  #writeEntries(presenceRooms: readonly string[]): Array<Promise<unknown>> {
    const { store, node, registry } = this.options
    const { client } = store
    const writes: Array<Promise<unknown>> = [
      client.set(store.k(clusterKeys.heartbeat(node)), this.#heartbeat, 'PX', this.#ttlMs),
      client.sadd(store.k(clusterKeys.nodes), node),
    ]
    const fields: string[] = []
    const entries: DirectoryEntry[] = []
    for (const connection of registry.values()) {
      if (connection.state !== 'open') continue
      const entry = describeConnection(connection)
      fields.push(String(connection.fd), JSON.stringify(entry))
      entries.push(entry)
    }
    const directory = store.k(clusterKeys.connections(node))
    for (let i = 0; i < fields.length; i += 2 * CHUNK) writes.push(client.hset(directory, ...fields.slice(i, i + 2 * CHUNK)))
    for (const [key, ids] of membershipSets(store, node, entries)) {
      for (let i = 0; i < ids.length; i += CHUNK) writes.push(client.sadd(key, ...ids.slice(i, i + CHUNK)))
    }
    // Set, not added: what closed, opened or was already counted while Redis was away comes out right, with its events.
    if (this.options.presence !== undefined) writes.push(this.options.presence.restate(node, presenceRooms, entries))
    return writes
  }
}
