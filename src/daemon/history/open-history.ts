import type { Logger } from 'pino'
import type { AppConfig } from '../../config/schema.js'
import type { Connection } from '../clients/connection.js'
import type { Delivery } from '../clients/delivery.js'
import type { RedisStore } from '../store/redis-store.js'
import type { Store } from '../store/store.js'
import { MemoryHistory } from './memory-history.js'
import type { RedisHistory } from './redis-history.js'
import { Recovery } from './recovery.js'

/** app.json `history`'s keeper: in the daemon on the memory store, in Redis on the Redis store. */
export type RoomHistory = MemoryHistory | RedisHistory

/** app.json `history`'s keeper for this store, or none while `size` is 0. */
export async function openHistory(config: AppConfig['history'], store: Store): Promise<RoomHistory | undefined> {
  if (config.size === 0) return undefined
  const settings = { size: config.size, ttlSeconds: config.ttl }
  if (store.kind === 'memory') return new MemoryHistory(settings)
  // Loaded only beside the Redis store, as the cluster's modules are.
  const { RedisHistory } = await import('./redis-history.js')
  return new RedisHistory(store as RedisStore, settings)
}

/** What answers a client's @recover from this history. */
export function recoveryFor(history: RoomHistory, delivery: Delivery, logger: Logger): (connection: Connection, text: string) => boolean {
  const recovery = new Recovery({ delivery, since: (room, asked) => history.since(room, asked), logger })
  return (connection, text) => recovery.handle(connection, text)
}
