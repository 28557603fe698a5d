import type { KeyValueStore } from './types.js'

/**
 * Every KeyValueStore method by name: what a controller may call through
 * `app.store`, and all the master will run for it. Checked against the
 * interface so a new method cannot be forgotten here.
 */
export const STORE_METHODS = [
  'get',
  'set',
  'del',
  'expire',
  'ttl',
  'incr',
  'hget',
  'hset',
  'hdel',
  'hgetall',
  'hlen',
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'scard',
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'lrange',
  'llen',
  'ltrim',
] as const satisfies ReadonlyArray<keyof KeyValueStore>

type MissingStoreMethod = Exclude<keyof KeyValueStore, (typeof STORE_METHODS)[number]>
const storeIsComplete: MissingStoreMethod extends never ? true : MissingStoreMethod = true
void storeIsComplete

const NAMES: ReadonlySet<string> = new Set(STORE_METHODS)

export function isStoreMethod(name: string): name is keyof KeyValueStore {
  return NAMES.has(name)
}
