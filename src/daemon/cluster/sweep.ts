import type { RedisStore } from '../store/redis-store.js'
import { connectionId } from '../../protocol/connection-id.js'
import { parseDirectoryEntry, type DirectoryEntry } from './directory-entry.js'
import { clusterKeys } from './keys.js'
import type { ClusterPresence } from './presence-events.js'

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

/** A node's directory as it last wrote it: fd → its connection; entries that do not parse are skipped. */
export async function readDirectory(store: RedisStore, node: string): Promise<DirectoryEntry[]> {
  const raw = await store.client.hgetall(store.k(clusterKeys.connections(node)))
  const entries: DirectoryEntry[] = []
  for (const text of Object.values(raw)) {
    const entry = parseDirectoryEntry(text)
    if (entry !== undefined) entries.push(entry)
  }
  return entries
}

/** The room and uid sets that hold these connections of `node`: each set's Redis key → their connection ids. */
export function membershipSets(
  store: RedisStore,
  node: string,
  entries: Iterable<Pick<DirectoryEntry, 'fd' | 'rooms' | 'uids'>>,
): Map<string, string[]> {
  const sets = new Map<string, string[]>()
  const add = (key: string, id: string): void => {
    const ids = sets.get(key)
    if (ids === undefined) sets.set(key, [id])
    else ids.push(id)
  }
  for (const entry of entries) {
    const id = connectionId(node, entry.fd)
    for (const room of entry.rooms) add(store.k(room), id)
    for (const uid of entry.uids) add(store.k(clusterKeys.uid(uid)), id)
  }
  return sets
}

/**
 * Removes a node's connections from every room and uid set, then its directory
 * and its place in the node list. With `presence`, its share of the presence
 * rooms goes first (sending their leaves), while the directory still says what
 * to remove if this is cut short. Answers the entries it removed. The caller
 * holds the node's lock.
 */
export async function sweepNode(store: RedisStore, node: string, presence?: ClusterPresence): Promise<DirectoryEntry[]> {
  const { client } = store
  const entries = await readDirectory(store, node)
  if (presence !== undefined) await presence.restate(node, [...(await presence.rooms(node)), ...entries.flatMap((e) => e.rooms)], [])
  await Promise.all([...membershipSets(store, node, entries)].map(([key, ids]) => client.srem(key, ...ids)))
  await client.del(store.k(clusterKeys.connections(node)))
  await client.srem(store.k(clusterKeys.nodes), node)
  return entries
}
