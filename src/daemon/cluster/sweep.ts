import type { RedisStore } from '../store/redis-store.js'
import { connectionId } from './connection-id.js'
import { parseDirectoryEntry } from './directory-entry.js'
import { clusterKeys } from './keys.js'

const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

/** How long a sweep lock lives if its holder dies holding it. */
const LOCK_TTL_MS = 30_000

/**
 * The lock on a node's entries: whoever removes a dead node's connections, or
 * a node rewriting its own, holds it, so that happens once and never under the
 * feet of a node coming back under the same id.
 */
export async function tryLock(store: RedisStore, node: string, holder: string): Promise<boolean> {
  return (await store.client.set(store.k(clusterKeys.sweepLock(node)), holder, 'PX', LOCK_TTL_MS, 'NX')) === 'OK'
}

export async function unlock(store: RedisStore, node: string, holder: string): Promise<void> {
  await store.client.eval(RELEASE_SCRIPT, 1, store.k(clusterKeys.sweepLock(node)), holder)
}

/**
 * Removes a node's connections from every room and uid set, then its directory
 * and its place in the node list. Answers how many connections it removed.
 * The caller holds the node's lock.
 */
export async function sweepNode(store: RedisStore, node: string): Promise<number> {
  const { client } = store
  const raw = await client.hgetall(store.k(clusterKeys.connections(node)))
  const removals = new Map<string, string[]>()
  let count = 0
  for (const text of Object.values(raw)) {
    const entry = parseDirectoryEntry(text)
    if (entry === undefined) continue
    count++
    const id = connectionId(node, entry.fd)
    for (const room of entry.rooms) push(removals, store.k(room), id)
    for (const uid of entry.uids) push(removals, store.k(clusterKeys.uid(uid)), id)
  }
  await Promise.all([...removals].map(([key, ids]) => client.srem(key, ...ids)))
  await client.del(store.k(clusterKeys.connections(node)))
  await client.srem(store.k(clusterKeys.nodes), node)
  return count
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}
