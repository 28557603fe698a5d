import type { CacheConfig } from '../../config/schema.js'
import { MswError } from '../../errors.js'
import { MemoryStore } from './memory-store.js'
import type { Store } from './store.js'

/** The store that cache.json names. */
export function openStore(cache: CacheConfig): Store {
  if (cache.driver === 'memory') return new MemoryStore({ prefix: cache.prefix })
  throw new MswError('MSW_ERR_CONFIG_INVALID', `cache.json: driver: "${cache.driver}" is not available in this version; use "memory"`, {
    details: { file: 'cache.json', key: 'driver' },
  })
}
