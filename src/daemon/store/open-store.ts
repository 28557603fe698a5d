import type { CacheConfig } from '../../config/schema.js'
import { MemoryStore } from './memory-store.js'
import type { Store } from './store.js'

/** How long a start waits for Redis before it fails. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * The store that cache.json names; a Redis store once its first connection is ready.
 * ioredis is loaded only for a Redis store: most nodes never need it, and it is
 * a good part of a start's module loading.
 */
export async function openStore(cache: CacheConfig): Promise<Store> {
  if (cache.driver === 'memory') return new MemoryStore({ prefix: cache.prefix })
  const { RedisStore } = await import('./redis-store.js')
  return RedisStore.connect({
    url: cache.url,
    cluster: cache.cluster,
    options: cache.options,
    prefix: cache.prefix,
    timeoutMs: CONNECT_TIMEOUT_MS,
  })
}
