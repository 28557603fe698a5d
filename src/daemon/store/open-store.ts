import type { CacheConfig } from '../../config/schema.js'
import { MemoryStore } from './memory-store.js'
import { RedisStore } from './redis-store.js'
import type { Store } from './store.js'

/** How long a start waits for Redis before it fails. */
const CONNECT_TIMEOUT_MS = 10_000

/** The store that cache.json names; a Redis store once its first connection is ready. */
export async function openStore(cache: CacheConfig): Promise<Store> {
  if (cache.driver === 'memory') return new MemoryStore({ prefix: cache.prefix })
  return RedisStore.connect({ url: cache.url, cluster: cache.cluster, options: cache.options, prefix: cache.prefix, timeoutMs: CONNECT_TIMEOUT_MS })
}
