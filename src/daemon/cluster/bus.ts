import { Cluster } from 'ioredis'
import { duplicateClient, type RedisClient } from '../store/redis-client.js'
import type { RedisStore } from '../store/redis-store.js'
import { parseBusMessage, type BusMessage } from './bus-message.js'
import { clusterChannels } from './keys.js'

export interface BusOptions {
  store: RedisStore
  node: string
  /** A message from another node (its own are not delivered back, but its history messages). */
  onMessage(message: BusMessage): void
  /** The other nodes of the cluster, as last seen. */
  otherNodes(): number
}

/**
 * Cross-node sends over Redis pub/sub: one channel every node hears, and one
 * per node for its own connections. Publishing uses the store's connection;
 * listening needs one of its own (a subscribed connection runs no commands).
 * ioredis subscribes again by itself after every reconnection.
 */
export class Bus {
  readonly subscriber: RedisClient
  readonly #channels: ReturnType<typeof clusterChannels>
  readonly #own: string

  /** The channel every node hears. */
  readonly channel: string

  constructor(private readonly options: BusOptions) {
    this.#channels = clusterChannels(options.store.prefix)
    this.channel = this.#channels.bus
    this.#own = this.#channels.node(options.node)
    this.subscriber = duplicateClient(options.store.client)
    // Failures show as the connection's state, which the cluster watches; ioredis would print them.
    this.subscriber.on('error', () => {})
    this.subscriber.on('message', (_channel: string, text: string) => {
      const message = parseBusMessage(text)
      // A room's history messages reach their sender too: it delivers them in offset order with the rest.
      if (message !== undefined && (message.from !== options.node || message.t === 'hist')) options.onMessage(message)
    })
  }

  async start(): Promise<void> {
    await this.subscriber.connect()
    await this.subscriber.subscribe(this.#channels.bus, this.#own)
  }

  get ready(): boolean {
    return this.subscriber.status === 'ready'
  }

  /**
   * To every node; answers how many other nodes heard it. A Redis Cluster
   * counts only the subscribers of the shard that took the PUBLISH, so there
   * the answer is the other nodes last seen.
   */
  async toEveryNode(message: BusMessage): Promise<number> {
    const { client } = this.options.store
    const heard = await client.publish(this.#channels.bus, JSON.stringify(message))
    if (client instanceof Cluster) return this.options.otherNodes()
    return Math.max(0, heard - (this.ready ? 1 : 0))
  }

  /** To one node; answers whether it was listening (on a Redis Cluster, which cannot tell: true). */
  async toNode(node: string, message: BusMessage): Promise<boolean> {
    const { client } = this.options.store
    const heard = await client.publish(this.#channels.node(node), JSON.stringify(message))
    return client instanceof Cluster || heard > 0
  }

  close(): void {
    this.subscriber.disconnect()
  }
}
