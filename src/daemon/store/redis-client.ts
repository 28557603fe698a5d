import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import { MswError } from '../../errors.js'
import { redactUrl } from './redis-errors.js'

/** Where Redis is: one server (`url`), a Sentinel-managed primary (`options.sentinels`) or a Redis Cluster (`cluster`). */
export interface RedisTarget {
  /** redis:// or rediss:// URL of one server (cache.json `url`). */
  url?: string | undefined
  /** Startup nodes of a Redis Cluster, as URLs (cache.json `cluster`). */
  cluster?: readonly string[] | undefined
  /**
   * ioredis options (cache.json `options`), over the defaults below: RedisOptions,
   * with `sentinels` and `name` for Sentinel; ClusterOptions for a cluster (the
   * defaults then go to its `redisOptions`). `keyPrefix` is refused: use the store prefix.
   */
  options?: Record<string, unknown> | undefined
}

export type RedisClient = Redis | Cluster

const MAX_RECONNECT_DELAY_MS = 2000

/** Reconnection delay: doubling from 100 ms, capped. */
const backoff = (times: number): number => Math.min(50 * 2 ** times, MAX_RECONNECT_DELAY_MS)

/**
 * How a client behaves while Redis is away: a command fails at once instead
 * of waiting for a reconnection, and the client keeps reconnecting behind it.
 * - enableOfflineQueue: false — a command sent while not connected is rejected
 *   immediately rather than queued (the store waits for the first connection,
 *   so this never refuses commands at start);
 * - maxRetriesPerRequest: 0 and autoResendUnfulfilledCommands: false — a
 *   command already written when the connection drops is rejected at the drop,
 *   never replayed on the next connection;
 * - commandTimeout — a connection that is up but silent (a hung server, a dead
 *   peer TCP has not noticed) fails the command instead of holding it;
 * - retryStrategy — reconnect with a doubling delay capped at 2 s, forever, so
 *   the same store works again as soon as Redis is back;
 * - disconnectTimeout — closing while Redis is down still arms this timer on
 *   the dead socket; a short one lets the process exit promptly.
 */
const CLIENT_DEFAULTS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: 5000,
  connectTimeout: 5000,
  disconnectTimeout: 200,
  retryStrategy: backoff,
}

/** A client that has not started connecting (`lazyConnect`), and its name for messages (no password). */
export function createRedisClient(target: RedisTarget): { client: RedisClient; name: string } {
  const options = target.options ?? {}
  const redisOptions = target.cluster === undefined ? options : ((options.redisOptions as Record<string, unknown> | undefined) ?? {})
  if (options.keyPrefix !== undefined || redisOptions.keyPrefix !== undefined) {
    throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'the ioredis option keyPrefix is not supported: set the store prefix instead', {
      details: { key: 'options.keyPrefix' },
    })
  }
  if (target.cluster !== undefined) {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      ...(options as ClusterOptions),
      redisOptions: { ...CLIENT_DEFAULTS, ...(redisOptions as RedisOptions) },
      lazyConnect: true,
    }
    return { client: new Cluster([...target.cluster], clusterOptions), name: `cluster ${target.cluster.map(redactUrl).join(',')}` }
  }
  const merged: RedisOptions = { ...CLIENT_DEFAULTS, ...(options as RedisOptions), lazyConnect: true }
  if (target.url !== undefined) return { client: new Redis(target.url, merged), name: redactUrl(target.url) }
  if (Array.isArray(merged.sentinels) && merged.sentinels.length > 0) {
    const sentinels = merged.sentinels.map((s) => `${s.host ?? 'localhost'}:${s.port ?? 26379}`).join(',')
    return { client: new Redis(merged), name: `sentinel ${merged.name ?? 'mymaster'} via ${sentinels}` }
  }
  throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'Redis needs a url, cluster nodes or options.sentinels', { details: { key: 'url' } })
}

/** A connection of the same kind to the same Redis (for pub/sub, which holds its connection). */
export function duplicateClient(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate([], { lazyConnect: true }) : client.duplicate({ lazyConnect: true })
}
