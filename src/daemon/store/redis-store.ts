import { Cluster } from 'ioredis'
import { createRedisClient, type RedisClient, type RedisTarget } from './redis-client.js'
import { storeError, unavailableError } from './redis-errors.js'
import { checkExpireSeconds, checkIncrement, checkIndex, checkSetTtl, DEFAULT_STORE_PREFIX, type Store } from './store.js'

export interface RedisStoreOptions extends RedisTarget {
  /** Namespace for every key (cache.json `prefix`). */
  prefix?: string
}

export interface RedisConnectOptions extends RedisStoreOptions {
  /** How long to wait for the first connection (retrying meanwhile) before failing. */
  timeoutMs?: number
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const PING_TIMEOUT_MS = 1000
const QUIT_TIMEOUT_MS = 1000
/** The cluster store: the Store contract on a Redis server through ioredis. */
export class RedisStore implements Store {
  readonly kind = 'redis' as const
  /** Where Redis is, without a password, as named in errors. */
  readonly url: string
  readonly prefix: string
  /** The connection itself, for the cluster layer's commands that the Store contract has no name for. */
  readonly client: RedisClient
  private closing: Promise<void> | undefined

  /** Starts connecting at once; commands fail with MSW_ERR_STORE_UNAVAILABLE until the connection is ready (see `connect`). */
  constructor(options: RedisStoreOptions) {
    const { client, name } = createRedisClient(options)
    this.url = name
    this.prefix = options.prefix ?? DEFAULT_STORE_PREFIX
    this.client = client
    // Without a listener ioredis prints every connection error to the console. Callers learn of
    // failures through their commands' rejections; the connection state is read with `whenReady`.
    this.client.on('error', () => {})
    // The first attempt's failure is retried by retryStrategy; `whenReady` reports it if it lasts.
    this.client.connect().catch(() => {})
  }

  /** A store whose first connection is ready; fails with MSW_ERR_STORE_UNAVAILABLE after `timeoutMs`, leaving nothing running. */
  static async connect(options: RedisConnectOptions): Promise<RedisStore> {
    const store = new RedisStore(options)
    try {
      await store.whenReady(options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /**
   * Resolves once the connection is ready: at once if it is, else when the
   * client next (re)connects. Fails with MSW_ERR_STORE_UNAVAILABLE after
   * `timeoutMs`, or when the store is closed first.
   */
  whenReady(timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<void> {
    const client = this.client
    if (client.status === 'ready') return Promise.resolve()
    if (client.status === 'end') return Promise.reject(unavailableError(this.url, new Error('the connection is closed')))
    return new Promise((resolve, reject) => {
      let lastError: Error | undefined
      const onError = (err: Error): void => {
        lastError = err
      }
      const settle = (err?: Error): void => {
        clearTimeout(timer)
        client.off('ready', onReady).off('end', onEnd).off('error', onError)
        if (err === undefined) resolve()
        else reject(unavailableError(this.url, err))
      }
      const onReady = (): void => settle()
      const onEnd = (): void => settle(lastError ?? new Error('the connection was closed'))
      const timer = setTimeout(() => {
        const last = lastError === undefined ? '' : ` (last error: ${lastError.message})`
        settle(new Error(`no connection within ${timeoutMs} ms${last}`, { cause: lastError }))
      }, timeoutMs)
      client.on('ready', onReady).on('end', onEnd).on('error', onError)
    })
  }

  async ping(): Promise<void> {
    try {
      await within(this.client.ping(), PING_TIMEOUT_MS, 'PING')
    } catch (err) {
      throw unavailableError(this.url, err)
    }
  }

  /** QUIT, so replies in flight arrive first; a plain disconnect when Redis is gone or does not answer. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    if (this.client.status === 'ready') {
      try {
        await within(this.client.quit(), QUIT_TIMEOUT_MS, 'QUIT')
        return
      } catch {
        // Redis went away or hung meanwhile: the disconnect below still releases everything.
      }
    }
    // Also stops a pending reconnection, so nothing of the store stays scheduled.
    this.client.disconnect()
  }

  // Strings

  get(key: string): Promise<string | null> {
    return this.run(key, () => this.client.get(this.k(key)))
  }

  async set(key: string, value: string, options?: { ttl?: number }): Promise<void> {
    const ttl = options?.ttl
    checkSetTtl(ttl)
    const k = this.k(key)
    await this.run(key, () => (ttl === undefined ? this.client.set(k, value) : this.client.set(k, value, 'EX', ttl)))
  }

  async incr(key: string, by = 1): Promise<number> {
    checkIncrement(by)
    return Number(await this.run(key, () => this.client.incrby(this.k(key), by)))
  }

  // Keys

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    const client = this.client
    // A Redis Cluster refuses one DEL over keys of different slots.
    if (client instanceof Cluster && keys.length > 1) {
      const counts = await Promise.all(keys.map((key) => this.run(key, () => client.del(this.k(key)))))
      return counts.reduce((sum, n) => sum + n, 0)
    }
    return this.run(undefined, () => client.del(...keys.map((key) => this.k(key))))
  }

  async expire(key: string, ttlSeconds: number): Promise<boolean> {
    checkExpireSeconds(ttlSeconds)
    return (await this.run(key, () => this.client.expire(this.k(key), ttlSeconds))) === 1
  }

  ttl(key: string): Promise<number> {
    return this.run(key, () => this.client.ttl(this.k(key)))
  }

  // Hashes

  hget(key: string, field: string): Promise<string | null> {
    return this.run(key, () => this.client.hget(this.k(key), field))
  }

  hset(key: string, field: string, value: string): Promise<number> {
    return this.run(key, () => this.client.hset(this.k(key), field, value))
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    if (fields.length === 0) return 0
    return this.run(key, () => this.client.hdel(this.k(key), ...fields))
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.run(key, () => this.client.hgetall(this.k(key)))
  }

  hlen(key: string): Promise<number> {
    return this.run(key, () => this.client.hlen(this.k(key)))
  }

  // Sets

  async sadd(key: string, ...members: string[]): Promise<number> {
    if (members.length === 0) return 0
    return this.run(key, () => this.client.sadd(this.k(key), ...members))
  }

  async srem(key: string, ...members: string[]): Promise<number> {
    if (members.length === 0) return 0
    return this.run(key, () => this.client.srem(this.k(key), ...members))
  }

  smembers(key: string): Promise<string[]> {
    return this.run(key, () => this.client.smembers(this.k(key)))
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return (await this.run(key, () => this.client.sismember(this.k(key), member))) === 1
  }

  scard(key: string): Promise<number> {
    return this.run(key, () => this.client.scard(this.k(key)))
  }

  // Lists

  lpush(key: string, ...values: string[]): Promise<number> {
    if (values.length === 0) return this.llen(key)
    return this.run(key, () => this.client.lpush(this.k(key), ...values))
  }

  rpush(key: string, ...values: string[]): Promise<number> {
    if (values.length === 0) return this.llen(key)
    return this.run(key, () => this.client.rpush(this.k(key), ...values))
  }

  lpop(key: string): Promise<string | null> {
    return this.run(key, () => this.client.lpop(this.k(key)))
  }

  rpop(key: string): Promise<string | null> {
    return this.run(key, () => this.client.rpop(this.k(key)))
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    checkIndex('start', start)
    checkIndex('stop', stop)
    return this.run(key, () => this.client.lrange(this.k(key), listIndex(start), listIndex(stop)))
  }

  llen(key: string): Promise<number> {
    return this.run(key, () => this.client.llen(this.k(key)))
  }

  async ltrim(key: string, start: number, stop: number): Promise<void> {
    checkIndex('start', start)
    checkIndex('stop', stop)
    await this.run(key, () => this.client.ltrim(this.k(key), listIndex(start), listIndex(stop)))
  }

  // Internals

  /** The Redis key of a store key. */
  k(key: string): string {
    return this.prefix + key
  }

  /** Runs one command, turning its failure into the store's error for `key` (the caller's name for it). */
  async run<T>(key: string | undefined, command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (err) {
      throw storeError(err, key, this.url)
    }
  }
}

/** `promise`, or a rejection once it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timedOut])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * An index Redis can parse. Past ±2^53 no list reaches, so clamping changes no
 * answer, while Redis would refuse an index beyond 64 bits (and `String(1e21)`
 * is "1e+21"); the memory store accepts any whole number.
 */
function listIndex(index: number): number {
  return Math.min(Math.max(index, -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)
}
